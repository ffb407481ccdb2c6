// pull() into a temporary cache from a loopback server: the full pull, what is missing,
// offline mode naming the missing files, and two concurrent pulls of one model.
#include "clipkit/fetch.hpp"

#include <gtest/gtest.h>
#include <thread>

#include "fetch/file_server.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;

std::string file_text(const fs::path& p) {
  const auto b = testing::read_bytes(p);
  return std::string(b.begin(), b.end());
}

class Pull : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path model = testing::fixtures_dir() / "models/tiny_quickgelu/model.jit.pt";
    model_bytes_ = file_text(model);
    vocab_bytes_ = file_text(testing::bpe_vocab());
    server_.add("/clip/models/abc/Tiny-B-32.pt", model_bytes_);
    server_.add("/clip/bpe_simple_vocab_16e6.txt.gz", vocab_bytes_);
    entry_.name = "Tiny-B/32";
    entry_.family = "openai";
    entry_.model = "Tiny-B-32.pt";
    entry_.vocab = "bpe_simple_vocab_16e6.txt.gz";
    entry_.files = {{server_.url("/clip/models/abc/Tiny-B-32.pt"), "Tiny-B-32.pt", sha256_file(model), std::nullopt},
                    {server_.url("/clip/bpe_simple_vocab_16e6.txt.gz"), "bpe_simple_vocab_16e6.txt.gz",
                     sha256_file(testing::bpe_vocab()), vocab_bytes_.size()}};
    options_.cache = tmp_.path() / "cache";
    options_.download.first_backoff_s = 0.01;
  }
  testing::FileServer server_;
  testing::TempDir tmp_;
  std::string model_bytes_, vocab_bytes_;
  RegistryEntry entry_;
  PullOptions options_;
};

TEST_F(Pull, FetchesEveryFileIntoTheModelsFolder) {
  EXPECT_EQ(missing_files(entry_, options_.cache).size(), 2u);
  const PulledModel pulled = pull(entry_, options_);
  EXPECT_EQ(pulled.folder, options_.cache / "Tiny-B-32");
  EXPECT_EQ(pulled.model, options_.cache / "Tiny-B-32" / "Tiny-B-32.pt");
  EXPECT_EQ(pulled.vocab, options_.cache / "Tiny-B-32" / "bpe_simple_vocab_16e6.txt.gz");
  EXPECT_EQ(file_text(pulled.model), model_bytes_);
  EXPECT_EQ(file_text(pulled.vocab), vocab_bytes_);
  EXPECT_EQ(pulled.downloads.size(), 2u);
  EXPECT_TRUE(missing_files(entry_, options_.cache).empty());
  // Cached: a second pull makes no request.
  const PulledModel again = pull(entry_, options_);
  EXPECT_TRUE(again.downloads.empty());
  EXPECT_EQ(server_.requests().size(), 2u);
}

TEST_F(Pull, OfflineNamesWhatIsMissingAndTouchesNoNetwork) {
  options_.offline = true;
  testing::expect_error([&] { pull(entry_, options_); }, ErrorCode::not_found,
                        {"Tiny-B/32", "offline", "Tiny-B-32.pt", "bpe_simple_vocab_16e6.txt.gz", "clipkit pull Tiny-B/32"});
  EXPECT_TRUE(server_.requests().empty());
  // Once cached, offline works.
  options_.offline = false;
  pull(entry_, options_);
  options_.offline = true;
  EXPECT_EQ(pull(entry_, options_).model, options_.cache / "Tiny-B-32" / "Tiny-B-32.pt");
}

TEST_F(Pull, OneFileMissingIsFetchedAlone) {
  pull(entry_, options_);
  fs::remove(options_.cache / "Tiny-B-32" / "bpe_simple_vocab_16e6.txt.gz");
  EXPECT_EQ(missing_files(entry_, options_.cache), std::vector<std::string>{"bpe_simple_vocab_16e6.txt.gz"});
  const PulledModel pulled = pull(entry_, options_);
  ASSERT_EQ(pulled.downloads.size(), 1u);
  EXPECT_EQ(server_.requests("/clip/bpe_simple_vocab_16e6.txt.gz").size(), 2u);
  EXPECT_EQ(server_.requests("/clip/models/abc/Tiny-B-32.pt").size(), 1u);
}

// Two pulls at once (threads, each with its own lock descriptor, as two processes would
// have): one downloads while the other waits on the lock, then finds the files there.
TEST_F(Pull, ConcurrentPullsOfOneModelGiveOneGoodFile) {
  server_.delay("/clip/models/abc/Tiny-B-32.pt", 300);
  std::atomic<int> waited{0};
  PullOptions a = options_, b = options_;
  a.on_wait = b.on_wait = [&] { ++waited; };
  PulledModel got_a, got_b;
  std::exception_ptr error_a, error_b;
  std::thread ta([&] {
    try { got_a = pull(entry_, a); } catch (...) { error_a = std::current_exception(); }
  });
  std::thread tb([&] {
    try { got_b = pull(entry_, b); } catch (...) { error_b = std::current_exception(); }
  });
  ta.join();
  tb.join();
  ASSERT_FALSE(error_a);
  ASSERT_FALSE(error_b);
  EXPECT_EQ(waited.load(), 1);
  EXPECT_EQ(got_a.downloads.size() + got_b.downloads.size(), 2u);  // the files were fetched once
  EXPECT_EQ(server_.requests("/clip/models/abc/Tiny-B-32.pt").size(), 1u);
  EXPECT_EQ(file_text(got_a.model), model_bytes_);
  EXPECT_EQ(got_a.model, got_b.model);
  EXPECT_FALSE(fs::exists(got_a.model.string() + ".part"));
}

TEST_F(Pull, HfTokenGoesOnlyToHuggingFace) {
  setenv("HF_TOKEN", "hf_secret", 1);
  pull(entry_, options_);
  unsetenv("HF_TOKEN");
  for (const auto& r : server_.requests()) EXPECT_EQ(r.authorization, "") << r.path;  // 127.0.0.1 is not huggingface.co
}

}  // namespace
}  // namespace clipkit
