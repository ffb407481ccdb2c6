// The CLI on Chinese-CLIP: `tokenize` with a vocab.txt is cn_clip's WordPiece (the
// goldens of tests/data/chinese_clip/wordpiece_goldens.jsonl), and `embed` / `info` on a
// cn_clip .pt checkpoint give cn_clip's text embeddings and name the family.
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;

fs::path data_dir() { return testing::source_dir() / "tests" / "data" / "chinese_clip"; }

TEST(ChineseClipCli, TokenizeWithVocabTxtIsWordPiece) {
  std::vector<nlohmann::json> goldens;
  std::string input;
  std::istringstream lines(testing::read_text(data_dir() / "wordpiece_goldens.jsonl"));
  std::string line;
  while (std::getline(lines, line)) {
    auto g = nlohmann::json::parse(line);
    if (g["vocab"] != "vocab.txt") continue;
    input += g["text"].dump() + "\n";
    goldens.push_back(std::move(g));
  }
  ASSERT_EQ(goldens.size(), 700u);
  const auto r = testing::run_clipkit({"tokenize", "--vocab", (data_dir() / "vocab.txt").string()}, input, 120);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream out(r.out);
  size_t matched = 0;
  for (const auto& g : goldens) {
    ASSERT_TRUE(std::getline(out, line));
    const auto j = nlohmann::json::parse(line);
    if (j["ids"] == g["ids"] && j["tokens"] == g["tokens_52"]) {
      ++matched;
    } else {
      ADD_FAILURE() << g["text"] << ": " << line;
    }
  }
  EXPECT_EQ(matched, goldens.size());

  std::string cats;
  for (int i = 0; i < 60; ++i) cats += "猫";
  const auto cut = testing::run_clipkit(
      {"tokenize", "--vocab", (data_dir() / "vocab.txt").string(), "--no-truncate"}, nlohmann::json(cats).dump() + "\n");
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  EXPECT_NE(cut.out.find("too long for context length 52"), std::string::npos) << cut.out;
}

TEST(ChineseClipCli, EmbedAndInfoOnACnClipCheckpoint) {
  const fs::path dir = data_dir() / "models" / "a";
  const nlohmann::json e = testing::read_json(dir / "expected.json");
  const std::string model = (dir / "clip_cn_test.pt").string(), vocab = (data_dir() / "vocab.txt").string();
  const auto r = testing::run_clipkit({"embed", "--model", model, "--vocab", vocab, "--json", "--raw", "--no-exif",
                                       "--image", (testing::images_dir() / "chelsea.png").string(), "--text",
                                       e["texts"][0].get<std::string>(), "--text", e["texts"][3].get<std::string>()},
                                      "", 120);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  // The image goes through cn_clip's transform (squash, bicubic) from the file itself.
  ASSERT_EQ(j["images"].size(), 1u);
  const auto image = j["images"][0]["embedding"].get<std::vector<float>>();
  const auto want_image = e["image_features"][1].get<std::vector<float>>();  // chelsea.png
  EXPECT_GE(testing::cosine(image, want_image), testing::kMinCosine);
  EXPECT_LE(testing::max_abs_diff(image, want_image), testing::kMaxAbsRelative * testing::max_abs(want_image));
  ASSERT_EQ(j["texts"].size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    const size_t i = k == 0 ? 0 : 3;
    EXPECT_EQ(j["texts"][k]["tokens"], e["tokens"][i]);
    const auto got = j["texts"][k]["embedding"].get<std::vector<float>>();
    const auto want = e["text_features"][i].get<std::vector<float>>();
    EXPECT_GE(testing::cosine(got, want), testing::kMinCosine) << "text " << i;
    EXPECT_LE(testing::max_abs_diff(got, want), testing::kMaxAbsRelative * testing::max_abs(want)) << "text " << i;
  }

  const auto info = testing::run_clipkit({"info", "--model", model, "--json"}, "", 120);
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const auto ij = nlohmann::json::parse(info.out);
  EXPECT_EQ(ij["family"], "chinese_clip") << info.out;
  EXPECT_EQ(ij["tokenizer"]["kind"], "wordpiece") << info.out;

  // Without a vocabulary the error names what to pass.
  const auto none = testing::run_clipkit({"embed", "--model", model, "--json", "--text", "猫"}, "", 120);
  EXPECT_NE(none.exit_code, 0);
  EXPECT_TRUE(none.out.empty());
  EXPECT_NE(none.err.find("vocab.txt"), std::string::npos) << none.err;
}

}  // namespace
}  // namespace clipkit
