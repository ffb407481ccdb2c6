// LaBSE's tokenizer (transformers' BertTokenizer, do_lower_case=False: cased, accents
// kept, special tokens written in the text kept whole, words over 100 characters one
// [UNK]) against tests/data/xlmr/labse/wordpiece_cased_goldens.jsonl, written by
// tests/reference/labse_goldens.py with cn_clip's BasicTokenizer / WordpieceTokenizer.
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clipkit/tokenizer.hpp"
#include "support/test_support.hpp"

namespace {

using clipkit::Tokenizer;
using clipkit::WordPieceConventions;
using clipkit::testing::first_difference;

std::filesystem::path dir() { return clipkit::testing::source_dir() / "tests/data/xlmr/labse"; }

TEST(LabseTokenizer, EveryGoldenRowMatches) {
  const Tokenizer tok = Tokenizer::from_wordpiece(dir() / "vocab.txt", WordPieceConventions::bert(false));
  std::ifstream in(dir() / "wordpiece_cased_goldens.jsonl");
  std::string line;
  size_t lines = 0, matched = 0, cut = 0, specials = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    const std::string text = j.at("text").get<std::string>();
    std::vector<int32_t> want = j.at("ids").get<std::vector<int32_t>>();
    if (want.size() > 512) {  // clipkit's rows are 512: the first 510 ids and [SEP]
      want.resize(511);
      want.push_back(102);
      ++cut;
    }
    want.resize(512, 0);
    specials += text.find("[CLS]") != std::string::npos;
    const std::string d = first_difference(want, tok.tokenize(text, 512));
    ++lines;
    if (d.empty()) ++matched;
    else ADD_FAILURE() << "line " << lines << " text=" << nlohmann::json(text).dump() << ": " << d;
  }
  EXPECT_EQ(lines, 703u);
  EXPECT_EQ(matched, lines);
  EXPECT_EQ(cut, 2u);
  EXPECT_GE(specials, 2u);
}

TEST(LabseTokenizer, CaseAndAccentsAreKept) {
  const Tokenizer cased = Tokenizer::from_wordpiece(dir() / "vocab.txt", WordPieceConventions::bert(false));
  const Tokenizer uncased = Tokenizer::from_wordpiece(dir() / "vocab.txt", WordPieceConventions::bert(true));
  EXPECT_NE(cased.encode("Paris in SPRING"), cased.encode("paris in spring"));
  EXPECT_EQ(uncased.encode("Paris in SPRING"), uncased.encode("paris in spring"));
  EXPECT_EQ(cased.encode("[CLS]"), std::vector<int32_t>{101});  // transformers keeps it whole
  const Tokenizer cn = Tokenizer::from_wordpiece(dir() / "vocab.txt", WordPieceConventions::chinese_clip());
  EXPECT_GT(cn.encode("[CLS]").size(), 1u);  // cn_clip splits it: "[", "cl", "##s", "]"
}

}  // namespace
