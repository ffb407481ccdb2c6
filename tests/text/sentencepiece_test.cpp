// tests/text/sentencepiece_test.cpp — SentencePiece tokenizers (Tokenizer::from_sentencepiece)
// against token rows made by the upstream code (tests/data/siglip/token_goldens.jsonl,
// written by tests/reference/siglip_token_goldens.py: open_clip's own basic_clean /
// canonicalize_text, transformers' SiglipTokenizer path, SentencePiece's own encode),
// and the errors: bad UTF-8, bad model files, impossible conventions.
#include "text/sentencepiece.hpp"

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clipkit/error.hpp"
#include "clipkit/tokenizer.hpp"
#include "support/test_support.hpp"

namespace {

using clipkit::Error;
using clipkit::ErrorCode;
using clipkit::SentencePieceConventions;
using clipkit::Tokenizer;
using clipkit::testing::expect_error;
using clipkit::testing::first_difference;

constexpr int kContext = 64;

std::filesystem::path tokenizers_dir() { return clipkit::testing::source_dir() / "tests/data/siglip/tokenizers"; }
std::filesystem::path unigram_model() { return tokenizers_dir() / "unigram.model"; }
std::filesystem::path gemma_model() { return tokenizers_dir() / "gemma_bpe.model"; }

struct Golden {
  std::string text;
  bool extra = false;
  std::vector<int32_t> siglip, siglip2, hf;  // rows before padding
};

const std::vector<Golden>& goldens() {
  static const std::vector<Golden> all = [] {
    std::vector<Golden> out;
    std::ifstream in(clipkit::testing::source_dir() / "tests/data/siglip/token_goldens.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto j = nlohmann::json::parse(line);
      out.push_back(Golden{j.at("text").get<std::string>(), j.at("case").get<std::string>() == "extra",
                           j.at("siglip").get<std::vector<int32_t>>(), j.at("siglip2").get<std::vector<int32_t>>(),
                           j.at("hf").get<std::vector<int32_t>>()});
    }
    return out;
  }();
  return all;
}

const Tokenizer& siglip() {
  static const Tokenizer tok = Tokenizer::from_sentencepiece(unigram_model(), SentencePieceConventions::siglip());
  return tok;
}
const Tokenizer& siglip2() {
  static const Tokenizer tok = Tokenizer::from_sentencepiece(gemma_model(), SentencePieceConventions::siglip2());
  return tok;
}
const Tokenizer& siglip_hf() {
  static const Tokenizer tok = Tokenizer::from_sentencepiece(unigram_model(), SentencePieceConventions::siglip_hf());
  return tok;
}

std::vector<int32_t> padded(std::vector<int32_t> ids, int32_t pad) {
  ids.resize(kContext, pad);
  return ids;
}

struct Variant {
  const char* name;
  const Tokenizer& (*tokenizer)();
  std::vector<int32_t> Golden::*ids;
  int32_t pad;
};
const Variant kVariants[] = {
    {"siglip (unigram, open_clip canonicalize)", &siglip, &Golden::siglip, 1},
    {"siglip2 (gemma bpe, open_clip canonicalize)", &siglip2, &Golden::siglip2, 0},
    {"siglip_hf (unigram, transformers SiglipTokenizer)", &siglip_hf, &Golden::hf, 1},
};

TEST(SentencePiece, GoldensCoverFixturesAndExtras) {
  size_t extras = 0;
  for (const Golden& g : goldens()) extras += g.extra ? 1 : 0;
  EXPECT_EQ(goldens().size() - extras, 643u);  // every text of tokenizer_cases.jsonl
  EXPECT_GE(extras, 30u);
}

TEST(SentencePiece, EveryGoldenRowMatches) {
  for (const Variant& v : kVariants) {
    size_t matched = 0;
    for (size_t i = 0; i < goldens().size(); ++i) {
      const Golden& g = goldens()[i];
      const std::vector<int32_t> expected = padded(g.*v.ids, v.pad);
      const std::string d = first_difference(expected, v.tokenizer().tokenize(g.text, kContext));
      if (d.empty()) {
        ++matched;
      } else {
        ADD_FAILURE() << v.name << " case " << i << " text=" << nlohmann::json(g.text).dump() << ": " << d;
      }
    }
    EXPECT_EQ(matched, goldens().size()) << v.name;
  }
}

// encode() is the row without EOS and padding, for texts that fit; truncate=false
// refuses exactly the texts whose pieces and EOS do not fit.
TEST(SentencePiece, EncodeAndNoTruncateAgreeWithRows) {
  for (const Variant& v : kVariants) {
    for (size_t i = 0; i < goldens().size(); ++i) {
      const Golden& g = goldens()[i];
      const std::vector<int32_t> ids = v.tokenizer().encode(g.text);
      const bool too_long = ids.size() + 1 > static_cast<size_t>(kContext);
      const std::vector<int32_t>& row = g.*v.ids;
      if (!too_long && g.text.find("</s>") == std::string::npos) {
        const std::vector<int32_t> body(row.begin(), row.end() - 1);
        EXPECT_EQ(first_difference(body, ids), "") << v.name << " case " << i;
      }
      if (too_long) {
        EXPECT_EQ(row.size(), static_cast<size_t>(kContext)) << v.name << " case " << i;
        EXPECT_EQ(row.back(), 1) << v.name << " case " << i << ": EOS must stay last";
        expect_error([&] { v.tokenizer().tokenize(g.text, kContext, /*truncate=*/false); },
                     ErrorCode::invalid_argument, {"too long", "context length 64"},
                     std::string(v.name) + " case " + std::to_string(i));
      } else {
        EXPECT_EQ(first_difference(padded(row, v.pad), v.tokenizer().tokenize(g.text, kContext, false)), "")
            << v.name << " case " << i;
      }
    }
  }
}

TEST(SentencePiece, SomeGoldensAreTruncated) {
  size_t truncated = 0;
  for (const Golden& g : goldens()) truncated += siglip().encode(g.text).size() + 1 > kContext ? 1 : 0;
  EXPECT_GE(truncated, 3u);  // the long extras
}

TEST(SentencePiece, SpecialIdsAndVocabSize) {
  EXPECT_EQ(siglip().sot_id(), -1);
  EXPECT_EQ(siglip().eot_id(), 1);
  EXPECT_EQ(siglip().vocab_size(), 700);
  EXPECT_EQ(siglip2().sot_id(), -1);
  EXPECT_EQ(siglip2().eot_id(), 1);
  EXPECT_EQ(siglip2().vocab_size(), 900);
  SentencePieceConventions with_bos = SentencePieceConventions::siglip2();
  with_bos.add_bos = true;
  const Tokenizer gemma_bos = Tokenizer::from_sentencepiece(gemma_model(), with_bos);
  EXPECT_EQ(gemma_bos.sot_id(), 2);
  const std::vector<int32_t> row = gemma_bos.tokenize("a cat", 8);
  EXPECT_EQ(row.front(), 2);
  EXPECT_EQ(first_difference(row, [&] {
              std::vector<int32_t> r{2};
              for (int32_t id : siglip2().encode("a cat")) r.push_back(id);
              r.push_back(1);
              r.resize(8, 0);
              return r;
            }()),
            "");
}

TEST(SentencePiece, ShortContextKeepsEosLast) {
  const std::vector<int32_t> ids = siglip().encode("a photo of a dog on the grass");
  ASSERT_GT(ids.size(), 3u);
  const std::vector<int32_t> row = siglip().tokenize("a photo of a dog on the grass", 4);
  EXPECT_EQ(row, (std::vector<int32_t>{ids[0], ids[1], ids[2], 1}));
  EXPECT_EQ(siglip().tokenize("a photo of a dog", 1), (std::vector<int32_t>{1}));
  expect_error([] { siglip().tokenize("a dog", 0); }, ErrorCode::invalid_argument, {"context_length"});
}

TEST(SentencePiece, IdOffsetShiftsEveryModelId) {
  SentencePieceConventions shifted = SentencePieceConventions::siglip();
  shifted.id_offset = 3;
  shifted.pad_id = 1;
  const Tokenizer tok = Tokenizer::from_sentencepiece(unigram_model(), shifted);
  EXPECT_EQ(tok.eot_id(), 4);
  for (size_t i = 0; i < goldens().size(); i += 7) {
    std::vector<int32_t> expected = goldens()[i].siglip;
    for (int32_t& id : expected) id += 3;
    EXPECT_EQ(first_difference(padded(expected, 1), tok.tokenize(goldens()[i].text, kContext)), "") << i;
  }
  EXPECT_EQ(tok.decode(tok.encode("a photo of a cat")), siglip().decode(siglip().encode("a photo of a cat")));
}

TEST(SentencePiece, DecodeSkipsSpecialsAndPadding) {
  const std::vector<int32_t> row = siglip().tokenize("A photo of a cat!", kContext);
  EXPECT_EQ(siglip().decode(row), "a photo of a cat");
  const std::vector<int32_t> outside = {-5, 100000};
  EXPECT_EQ(siglip().decode(outside), "");
}

TEST(SentencePiece, InvalidUtf8IsAnError) {
  const std::string bad[] = {std::string("\xff\xfe"), std::string("abc\xc3"), std::string("a\xed\xa0\x80z"),
                             std::string("\xc0\xaf overlong")};
  for (const Variant& v : kVariants) {
    for (const std::string& text : bad) {
      expect_error([&] { v.tokenizer().tokenize(text, kContext); }, ErrorCode::invalid_argument,
                   {"not valid UTF-8", "offset"}, v.name);
      expect_error([&] { v.tokenizer().encode(text); }, ErrorCode::invalid_argument, {"not valid UTF-8"}, v.name);
    }
  }
}

// Hand-made broken model files, one expected error each.
TEST(SentencePiece, BrokenModelFilesGiveCleanErrors) {
  const std::vector<uint8_t> good = clipkit::testing::read_bytes(unigram_model());
  const std::vector<uint8_t> good_bpe = clipkit::testing::read_bytes(gemma_model());
  clipkit::testing::TempDir dir;
  struct Broken {
    const char* name;
    std::vector<uint8_t> bytes;
  };
  std::vector<Broken> table = {
      {"empty", {}},
      {"one_byte", {good.begin(), good.begin() + 1}},
      {"first_100_bytes", {good.begin(), good.begin() + 100}},
      {"truncated_half", {good.begin(), good.begin() + static_cast<long>(good.size() / 2)}},
      {"truncated_by_one", {good.begin(), good.end() - 1}},
      {"bpe_truncated_third", {good_bpe.begin(), good_bpe.begin() + static_cast<long>(good_bpe.size() / 3)}},
      {"text", {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n'}},
      {"gzip_magic", {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03}},
  };
  for (const Broken& b : table) {
    const std::filesystem::path path = dir.path() / (std::string(b.name) + ".model");
    clipkit::testing::write_bytes(path, b.bytes);
    expect_error([&] { Tokenizer::from_sentencepiece(path, SentencePieceConventions::siglip()); },
                 ErrorCode::corrupt_data, {path.string(), "not a SentencePiece model"}, b.name);
    expect_error([&] { Tokenizer::from_sentencepiece(path, SentencePieceConventions::siglip_hf()); },
                 ErrorCode::corrupt_data, {path.string(), "not a SentencePiece model"}, b.name);
  }
  expect_error([&] { Tokenizer::from_sentencepiece(dir.path() / "missing.model", SentencePieceConventions::siglip()); },
               ErrorCode::not_found, {"missing.model"});
  expect_error([&] { Tokenizer::from_sentencepiece(dir.path(), SentencePieceConventions::siglip()); },
               ErrorCode::invalid_argument, {dir.path().string()});
}

// Every prefix of a model either loads (a cut at a field boundary is a smaller valid
// protobuf) or gives corrupt_data — never a crash or another exception. Run under
// ASan/UBSan by scripts/test.
TEST(SentencePiece, EveryTruncationIsHandled) {
  const std::vector<uint8_t> good = clipkit::testing::read_bytes(unigram_model());
  size_t refused = 0, loaded = 0;
  for (size_t n = 0; n < good.size(); n += 37) {
    const std::string_view bytes(reinterpret_cast<const char*>(good.data()), n);
    try {
      auto tok = clipkit::text::SentencePieceTokenizer::from_bytes(bytes, "cut.model", SentencePieceConventions::siglip());
      (void)tok->tokenize("a photo of a cat", kContext, true);
      ++loaded;
    } catch (const Error& e) {
      EXPECT_TRUE(e.code() == ErrorCode::corrupt_data || e.code() == ErrorCode::invalid_argument)
          << n << ": " << e.what();
      EXPECT_EQ(std::string(e.what()).rfind("cut.model: ", 0), 0u) << n << ": " << e.what();
      ++refused;
    }
  }
  EXPECT_GT(refused, 0u);
  (void)loaded;
}

TEST(SentencePiece, ConventionsTheModelCannotMeet) {
  SentencePieceConventions bos = SentencePieceConventions::siglip();
  bos.add_bos = true;  // the T5 layout has no <s>
  expect_error([&] { Tokenizer::from_sentencepiece(unigram_model(), bos); }, ErrorCode::invalid_argument,
               {"unigram.model", "no BOS"});
  SentencePieceConventions negative = SentencePieceConventions::siglip();
  negative.pad_id = -1;
  expect_error([&] { Tokenizer::from_sentencepiece(unigram_model(), negative); }, ErrorCode::invalid_argument,
               {"pad_id"});
  negative = SentencePieceConventions::siglip();
  negative.id_offset = -2;
  expect_error([&] { Tokenizer::from_sentencepiece(unigram_model(), negative); }, ErrorCode::invalid_argument,
               {"id_offset"});
}

// The clean-ups open_clip offers besides canonicalize, on the unigram model.
TEST(SentencePiece, OtherCleanUps) {
  auto with = [](SentencePieceConventions::Clean clean) {
    SentencePieceConventions c = SentencePieceConventions::siglip();
    c.clean = clean;
    return clipkit::text::SentencePieceTokenizer::load(unigram_model(), c);
  };
  using Clean = SentencePieceConventions::Clean;
  const std::string text = "  A_Photo,\tof  &amp; ﬁsh!  ";
  EXPECT_EQ(with(Clean::none)->clean(text), text);
  EXPECT_EQ(with(Clean::whitespace)->clean(text), "A_Photo, of & fish!");
  EXPECT_EQ(with(Clean::lower)->clean(text), "a_photo, of & fish!");
  EXPECT_EQ(with(Clean::canonicalize)->clean(text), "a photo of fish");
  EXPECT_EQ(with(Clean::canonicalize_hf)->clean(text), "aphoto of amp ﬁsh");
}

TEST(SentencePiece, ThreadsShareOneTokenizer) {
  std::vector<std::thread> threads;
  std::vector<size_t> good(4, 0);
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([t, &good] {
      for (size_t i = t; i < goldens().size(); i += 4) {
        for (const Variant& v : kVariants) {
          good[t] += v.tokenizer().tokenize(goldens()[i].text, kContext) == padded(goldens()[i].*v.ids, v.pad) ? 1 : 0;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  size_t total = 0;
  for (size_t g : good) total += g;
  EXPECT_EQ(total, 3 * goldens().size());
}

}  // namespace
