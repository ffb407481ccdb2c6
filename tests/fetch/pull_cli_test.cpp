// `clipkit pull` and `--model NAME` end to end: a registry override ($CLIPKIT_REGISTRY)
// whose URLs point at a loopback server serving ../shared's fixture model and BPE
// vocabulary, and a temporary cache ($CLIPKIT_CACHE). No outside address.
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clipkit/fetch.hpp"
#include "fetch/file_server.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;

class PullCli : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = testing::fixtures_dir() / "models/tiny_quickgelu/model.jit.pt";
    const auto model = testing::read_bytes(model_);
    const auto vocab = testing::read_bytes(testing::bpe_vocab());
    server_.add("/clip/models/t1/Tiny-B-32.pt", std::string(model.begin(), model.end()));
    server_.add("/clip/bpe_simple_vocab_16e6.txt.gz", std::string(vocab.begin(), vocab.end()));
    server_.fail("/gated/resolve/main/config.json", 401);
    nlohmann::json registry = {{"models", nlohmann::json::array()}};
    registry["models"].push_back(
        {{"name", "Tiny-B/32"}, {"family", "openai"}, {"source", "loopback"}, {"model", "Tiny-B-32.pt"},
         {"vocab", "bpe_simple_vocab_16e6.txt.gz"},
         {"files",
          {{{"url", server_.url("/clip/models/t1/Tiny-B-32.pt")}, {"path", "Tiny-B-32.pt"}, {"sha256", sha256_file(model_)}},
           {{"url", server_.url("/clip/bpe_simple_vocab_16e6.txt.gz")},
            {"path", "bpe_simple_vocab_16e6.txt.gz"},
            {"sha256", sha256_file(testing::bpe_vocab())},
            {"size", vocab.size()}}}}});
    registry["models"].push_back({{"name", "hf:someone/gated"}, {"family", "hf-clip"},
                                  {"files", {{{"url", server_.url("/gated/resolve/main/config.json")}, {"path", "config.json"}}}}});
    registry["models"].push_back({{"name", "RN-Tiny"}, {"family", "openai"}, {"loadable", false},
                                  {"note", "ResNet: not loadable yet"},
                                  {"files", {{{"url", server_.url("/clip/models/t2/RN.pt")}, {"path", "RN.pt"}}}}});
    std::ofstream(tmp_.path() / "registry.json") << registry.dump(2);
    setenv("CLIPKIT_REGISTRY", (tmp_.path() / "registry.json").c_str(), 1);
    setenv("CLIPKIT_CACHE", (tmp_.path() / "cache").c_str(), 1);
    unsetenv("CLIPKIT_OFFLINE");
  }
  void TearDown() override {
    unsetenv("CLIPKIT_REGISTRY");
    unsetenv("CLIPKIT_CACHE");
    unsetenv("CLIPKIT_OFFLINE");
  }
  std::vector<std::string> classify_args(const std::string& model) {
    return {"classify", "--json", "--no-exif", "--model", model, "--image", (testing::images_dir() / "CLIP.png").string(),
            "--text", "a diagram", "--text", "a dog", "--text", "a cat"};
  }
  testing::FileServer server_;
  testing::TempDir tmp_;
  fs::path model_;
};

TEST_F(PullCli, PullThenClassifyByNameMatchesThePath) {
  auto r = testing::run_clipkit({"pull", "Tiny-B/32"}, "", 120);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path cached = tmp_.path() / "cache" / "Tiny-B-32" / "Tiny-B-32.pt";
  EXPECT_EQ(r.out, cached.string() + "\n");
  EXPECT_NE(r.err.find("Tiny-B-32.pt (1/2)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ETA"), std::string::npos) << r.err;

  auto by_name = testing::run_clipkit(classify_args("Tiny-B/32"), "", 120);
  ASSERT_EQ(by_name.exit_code, 0) << by_name.err;
  std::vector<std::string> by_path_args = classify_args(model_.string());
  by_path_args.insert(by_path_args.end(), {"--vocab", testing::bpe_vocab().string()});
  auto by_path = testing::run_clipkit(by_path_args, "", 120);
  ASSERT_EQ(by_path.exit_code, 0) << by_path.err;
  EXPECT_EQ(by_name.out, by_path.out);
  const auto j = nlohmann::json::parse(by_name.out);
  EXPECT_EQ(j["texts"].size(), 3u);
  EXPECT_EQ(server_.requests().size(), 2u);  // classify found the cache: no request

  auto list = testing::run_clipkit({"pull", "--list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("Tiny-B/32\topenai\tcached "), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("hf:someone/gated\thf-clip\tnot cached"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("RN-Tiny\topenai\tnot cached\tnot loadable yet"), std::string::npos) << list.out;
}

TEST_F(PullCli, ModelNameIsPulledOnFirstUse) {
  auto r = testing::run_clipkit(classify_args("Tiny-B-32"), "", 120);  // the folder spelling works too
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(tmp_.path() / "cache" / "Tiny-B-32" / "Tiny-B-32.pt"));
  EXPECT_EQ(server_.requests().size(), 2u);
}

TEST_F(PullCli, OfflineNamesTheMissingFiles) {
  auto r = testing::run_clipkit({"pull", "--offline", "Tiny-B/32"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("offline"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Tiny-B-32.pt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bpe_simple_vocab_16e6.txt.gz"), std::string::npos) << r.err;
  setenv("CLIPKIT_OFFLINE", "1", 1);
  auto c = testing::run_clipkit(classify_args("Tiny-B/32"));
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_NE(c.err.find("offline"), std::string::npos) << c.err;
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(PullCli, UnknownNameGivesTheClosest) {
  auto r = testing::run_clipkit({"pull", "Tiny-B/23"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown model name 'Tiny-B/23' (closest: Tiny-B/32"), std::string::npos) << r.err;
  auto m = testing::run_clipkit(classify_args("hf:someone/gatd"));
  EXPECT_EQ(m.exit_code, 1);
  EXPECT_NE(m.err.find("closest: hf:someone/gated"), std::string::npos) << m.err;
}

TEST_F(PullCli, UnauthorizedSaysHfToken) {
  auto r = testing::run_clipkit({"pull", "hf:someone/gated"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("HTTP 401"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("HF_TOKEN"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp_.path() / "cache" / "hf" / "someone" / "gated" / "config.json"));
}

// Writes that fail (here: over `ulimit -f`, the same path as a full disk) stop the pull
// with resource_exhausted and keep the bytes written; the next pull resumes from them.
TEST_F(PullCli, WriteFailureKeepsThePartForTheNextPull) {
  const std::string bin = (testing::binary_dir() / "clipkit").string();
  const std::string err = (tmp_.path() / "err").string();
  // ulimit -f counts 1024-byte blocks in bash, 512 in POSIX sh: ask for 2048 KiB in bash.
  const std::string cmd = "bash -c \"trap '' XFSZ; ulimit -f 2048; exec '" + bin + "' pull -q Tiny-B/32\" 2> " + err;
  EXPECT_NE(std::system(cmd.c_str()), 0);
  const std::string message = testing::read_text(err);
  EXPECT_NE(message.find("file size limit"), std::string::npos) << message;
  const fs::path part = tmp_.path() / "cache" / "Tiny-B-32" / "Tiny-B-32.pt.part";
  ASSERT_TRUE(fs::exists(part)) << message;
  const uint64_t kept = fs::file_size(part);
  EXPECT_EQ(kept, 2048u * 1024);
  EXPECT_FALSE(fs::exists(tmp_.path() / "cache" / "Tiny-B-32" / "Tiny-B-32.pt"));

  auto r = testing::run_clipkit({"pull", "-q", "Tiny-B/32"}, "", 120);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto requests = server_.requests("/clip/models/t1/Tiny-B-32.pt");
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests.back().range, "bytes=" + std::to_string(kept) + "-");
  EXPECT_EQ(*requests.back().bytes_sent, fs::file_size(model_) - kept);
  EXPECT_EQ(sha256_file(tmp_.path() / "cache" / "Tiny-B-32" / "Tiny-B-32.pt"), sha256_file(model_));
}

TEST_F(PullCli, TwoConcurrentPullProcessesGiveOneGoodFile) {
  server_.delay("/clip/models/t1/Tiny-B-32.pt", 500);
  const std::string bin = (testing::binary_dir() / "clipkit").string();
  const std::string out = (tmp_.path() / "o").string();
  const std::string cmd = "'" + bin + "' pull -q Tiny-B/32 > " + out + "1 2>&1 & '" + bin + "' pull -q Tiny-B/32 > " +
                          out + "2 2>&1; s2=$?; wait $!; s1=$?; exit $((s1 + s2))";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << testing::read_text(out + "1") << testing::read_text(out + "2");
  const fs::path cached = tmp_.path() / "cache" / "Tiny-B-32" / "Tiny-B-32.pt";
  EXPECT_EQ(sha256_file(cached), sha256_file(model_));
  EXPECT_EQ(server_.requests("/clip/models/t1/Tiny-B-32.pt").size(), 1u);
  EXPECT_FALSE(fs::exists(cached.string() + ".part"));
}

}  // namespace
}  // namespace clipkit
