// XLM-RoBERTa's tokenizer (SentencePiece + fairseq's id map) against token rows made by
// the upstream code (tests/data/xlmr/token_goldens.jsonl, written by
// tests/reference/xlmr_token_goldens.py: open_clip's own basic_clean / whitespace_clean,
// SentencePiece's own encode, transformers' XLMRobertaTokenizer id map and added-token
// split), on the 1000-piece model tests/reference/xlmr_tokenizers.py trains.
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clipkit/error.hpp"
#include "clipkit/tokenizer.hpp"
#include "support/test_support.hpp"

namespace {

using clipkit::ErrorCode;
using clipkit::SentencePieceConventions;
using clipkit::Tokenizer;
using clipkit::testing::expect_error;
using clipkit::testing::first_difference;

std::filesystem::path model_file() {
  return clipkit::testing::source_dir() / "tests/data/xlmr/tokenizer/sentencepiece.bpe.model";
}

struct Golden {
  std::string text, kind;
  std::vector<int32_t> open_clip, mclip;  // rows before padding
};

const std::vector<Golden>& goldens() {
  static const std::vector<Golden> all = [] {
    std::vector<Golden> out;
    std::ifstream in(clipkit::testing::source_dir() / "tests/data/xlmr/token_goldens.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto j = nlohmann::json::parse(line);
      out.push_back(Golden{j.at("text").get<std::string>(), j.at("case").get<std::string>(),
                           j.at("open_clip").get<std::vector<int32_t>>(), j.at("mclip").get<std::vector<int32_t>>()});
    }
    return out;
  }();
  return all;
}

const Tokenizer& open_clip() {
  static const Tokenizer tok = Tokenizer::from_sentencepiece(model_file(), SentencePieceConventions::xlm_roberta());
  return tok;
}

const Tokenizer& mclip() {
  static const Tokenizer tok = Tokenizer::from_sentencepiece(model_file(), SentencePieceConventions::xlm_roberta_hf());
  return tok;
}

std::vector<int32_t> padded(std::vector<int32_t> row, size_t context) {
  row.resize(context, 1);  // XLM-R's <pad>
  return row;
}

TEST(XlmRobertaTokenizer, GoldensCoverSharedCasesAndExtras) {
  size_t shared = 0, extra = 0, with_specials = 0, cut = 0;
  for (const Golden& g : goldens()) {
    shared += g.kind == "fixture";
    extra += g.kind == "extra";
    with_specials += g.text.find("<s>") != std::string::npos || g.text.find("<mask>") != std::string::npos;
    cut += g.open_clip.size() == 77;
  }
  EXPECT_EQ(shared, 643u);  // every text of tokenizer_cases.jsonl
  EXPECT_GE(extra, 30u);
  EXPECT_GE(with_specials, 5u);
  EXPECT_GE(cut, 5u);
}

TEST(XlmRobertaTokenizer, EveryOpenClipRowMatches) {
  size_t matched = 0;
  for (size_t i = 0; i < goldens().size(); ++i) {
    const Golden& g = goldens()[i];
    const std::string d = first_difference(padded(g.open_clip, 77), open_clip().tokenize(g.text, 77));
    if (d.empty()) ++matched;
    else ADD_FAILURE() << "case " << i << " text=" << nlohmann::json(g.text).dump() << ": " << d;
  }
  EXPECT_EQ(matched, goldens().size());
}

TEST(XlmRobertaTokenizer, EveryMclipRowMatches) {
  size_t matched = 0;
  for (size_t i = 0; i < goldens().size(); ++i) {
    const Golden& g = goldens()[i];
    const std::string d = first_difference(padded(g.mclip, 512), mclip().tokenize(g.text, 512));
    if (d.empty()) ++matched;
    else ADD_FAILURE() << "case " << i << " text=" << nlohmann::json(g.text).dump() << ": " << d;
  }
  EXPECT_EQ(matched, goldens().size());
}

TEST(XlmRobertaTokenizer, FairseqIdsAndSpecials) {
  EXPECT_EQ(open_clip().sot_id(), 0);  // <s>
  EXPECT_EQ(open_clip().eot_id(), 2);  // </s>
  EXPECT_EQ(open_clip().vocab_size(), 1000);  // pieces; the embedding adds <mask>: 1002 rows
  // SentencePiece's <unk> (its id 0) is fairseq's 3; <mask> is the piece count + 1.
  const std::vector<int32_t> ids = open_clip().encode("a <mask> b <unk>");
  ASSERT_GE(ids.size(), 3u);
  EXPECT_NE(std::find(ids.begin(), ids.end(), 1001), ids.end());
  EXPECT_EQ(ids.back(), 3);
  // A row cut to its context keeps <s> first and </s> last.
  const std::vector<int32_t> row = open_clip().tokenize(std::string(400, 'x') + " cat", 8);
  EXPECT_EQ(row.front(), 0);
  EXPECT_EQ(row.back(), 2);
  expect_error([] { open_clip().tokenize(std::string(400, 'x') + " cat", 8, /*truncate=*/false); },
               ErrorCode::invalid_argument, {"too long", "context length 8"});
}

TEST(XlmRobertaTokenizer, DecodeSkipsSpecials) {
  const std::vector<int32_t> row = open_clip().tokenize("a photo of a cat", 77);
  EXPECT_EQ(open_clip().decode(row), "a photo of a cat");
}

}  // namespace
