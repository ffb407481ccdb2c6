// The CLI against hostile and careless input (issue 15): each case once crashed, hung
// or misled; each must now end with one clear line on stderr and exit code 1.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;
using testing::fixtures_dir;
using testing::run_clipkit;

constexpr int kTimeout = 60;  // a hang is a failure, not a stuck suite

void expect_refusal(const std::vector<std::string>& args, const std::string& message, const std::string& label) {
  const testing::CommandResult r = run_clipkit(args, "", kTimeout);
  EXPECT_EQ(r.exit_code, 1) << label << ": " << r.err;
  EXPECT_EQ(r.out, "") << label;
  EXPECT_EQ(r.err, "clipkit: error: " + message + "\n") << label;
}

// A copy of the tiny fixture's Hugging Face folder with its config.json edited.
fs::path hf_copy(const fs::path& dir, const std::function<void(nlohmann::json&)>& edit) {
  fs::create_directories(dir);
  const fs::path src = fixtures_dir() / "models/tiny_quickgelu/hf";
  fs::copy_file(src / "model.safetensors", dir / "model.safetensors");
  nlohmann::json config = testing::read_json(src / "config.json");
  edit(config);
  std::ofstream(dir / "config.json") << config.dump(2);
  return dir;
}

TEST(CliHostile, ZeroAttentionHeadsInAConfigIsAnErrorNotASigfpe) {
  testing::TempDir tmp;
  const fs::path vision = hf_copy(tmp.path() / "v", [](auto& c) { c["vision_config"]["num_attention_heads"] = 0; });
  expect_refusal({"info", "--model", vision.string()},
                 (vision / "config.json").string() +
                     ": \"vision_config.num_attention_heads\" is 0, expected an integer from 1 to 16777216",
                 "hf vision heads 0");
  const fs::path text = hf_copy(tmp.path() / "t", [](auto& c) { c["text_config"]["num_attention_heads"] = 0; });
  expect_refusal({"info", "--model", text.string()},
                 (text / "config.json").string() +
                     ": \"text_config.num_attention_heads\" is 0, expected an integer from 1 to 16777216",
                 "hf text heads 0");
  // No vision_config: transformers' default of 12 heads does not divide the width 128.
  const fs::path none = hf_copy(tmp.path() / "n", [](auto& c) { c.erase("vision_config"); });
  expect_refusal({"info", "--model", none.string()},
                 none.string() + ": vision width 128 (from the weights) is not divisible by 12 attention heads (" +
                     (none / "config.json").string() + " has no vision_config.num_attention_heads, so the default 12)",
                 "hf without vision_config");
}

TEST(CliHostile, AFifoIsRefusedInsteadOfWaitedOn) {
  testing::TempDir tmp;
  const fs::path fifo = tmp.path() / "model.pt", image = tmp.path() / "photo.png";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo(image.c_str(), 0600), 0);
  const std::string vocab = testing::bpe_vocab().string();
  const std::string model = (fixtures_dir() / "models/tiny_quickgelu/model.jit.pt").string();
  expect_refusal({"info", "--model", fifo.string()},
                 fifo.string() + ": a named pipe (FIFO), expected a checkpoint file or model folder", "--model FIFO");
  expect_refusal({"index", "--db", (tmp.path() / "i.clipkit").string(), "--model", model, "--vocab", vocab,
                  image.string()},
                 image.string() + ": a named pipe (FIFO), expected an image file or folder", "index FIFO");
  expect_refusal({"embed", "--model", model, "--vocab", vocab, "--image", image.string()},
                 image.string() + ": a named pipe (FIFO), expected an image file", "--image FIFO");
  expect_refusal({"embed", "--model", model, "--vocab", image.string(), "--text", "a cat"},
                 image.string() + ": a named pipe (FIFO), expected a vocabulary file", "--vocab FIFO");
}

TEST(CliHostile, MessagesSayWhatThePathIs) {
  testing::TempDir tmp;
  const std::string vocab = testing::bpe_vocab().string();
  const std::string model = (fixtures_dir() / "models/tiny_quickgelu/model.jit.pt").string();
  fs::create_symlink(tmp.path() / "loop", tmp.path() / "loop");
  expect_refusal({"embed", "--model", model, "--vocab", vocab, "--image", tmp.path().string()},
                 tmp.path().string() + ": a folder, expected an image file", "--image folder");
  expect_refusal({"info", "--model", (tmp.path() / "loop").string()},
                 (tmp.path() / "loop").string() + ": a symlink loop, expected a checkpoint file or model folder",
                 "--model symlink loop");
}

TEST(CliHostile, UnknownCommandIsAnErrorEvenWithHelp) {
  for (const auto& args : {std::vector<std::string>{"frobnicate", "--help"}, std::vector<std::string>{"frobnicate"}}) {
    const testing::CommandResult r = run_clipkit(args, "", kTimeout);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("clipkit: error: unknown command 'frobnicate' (commands: classify, embed,", 0), 0u) << r.err;
  }
}

TEST(CliHostile, MaxPixelsMustBePositive) {
  for (const char* value : {"-1", "0"}) {
    const testing::CommandResult r =
        run_clipkit({"classify", "--max-pixels", value, "--image", "x.png", "--text", "a"}, "", kTimeout);
    EXPECT_NE(r.exit_code, 0) << value;
    EXPECT_NE(r.err.find(std::string("--max-pixels: Value ") + value + " not in range 1 to 1099511627776"),
              std::string::npos)
        << r.err;
  }
}

}  // namespace
}  // namespace clipkit
