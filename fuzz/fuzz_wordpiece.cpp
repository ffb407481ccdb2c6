// fuzz/fuzz_wordpiece.cpp — WordPiece (Chinese-CLIP's BERT tokenizer): the first byte picks
//  - odd:  the rest is a vocab.txt (UTF-8 check, line splitting, [CLS]/[SEP]/[UNK]
//          lookup), used once on a fixed text if it loads;
//  - even: the rest is a text for the committed vocabulary (tests/data/chinese_clip).
// Rows must hold context ids: [CLS], ids inside the vocabulary, [SEP], then zeros; a
// vocabulary that does not load and a text that is not UTF-8 are clipkit::Errors.
#include <memory>

#include "fuzz_text.hpp"
#include "text/wordpiece.hpp"

namespace {

std::unique_ptr<clipkit::Tokenizer> g_tokenizers[1];

void check_row(const std::vector<int32_t>& row, size_t context, int32_t cls, int32_t sep, int32_t vocab) {
  FUZZ_CHECK(row.size() == context);
  FUZZ_CHECK(row[0] == cls);
  size_t end = context;
  while (end > 0 && row[end - 1] == 0) --end;
  FUZZ_CHECK(end >= 2 && row[end - 1] == sep);
  for (size_t i = 0; i < end; ++i) FUZZ_CHECK(row[i] >= 0 && row[i] < vocab);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  clipkit::fuzz::load_or_exit("fuzz_wordpiece: cannot load the test vocabulary", [] {
    g_tokenizers[0] = std::make_unique<clipkit::Tokenizer>(
        clipkit::Tokenizer::from_wordpiece(CLIPKIT_SOURCE_DIR "/tests/data/chinese_clip/vocab.txt"));
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return clipkit::fuzz::file_or_text(
      data, size, g_tokenizers,
      [](std::string_view file) {
        const auto tok = clipkit::text::WordPieceTokenizer::from_text(file, "fuzz/vocab.txt");
        const std::vector<int32_t> row = tok.tokenize("一只猫的照片 a photo of a cat", 16, true);
        FUZZ_CHECK(row.size() == 16 && row[0] == tok.cls_id());
        (void)tok.decode(row);
      },
      [](const clipkit::Tokenizer& tok, size_t, std::string_view text) {
        const std::vector<int32_t> ids = tok.encode(text);
        for (int32_t id : ids) FUZZ_CHECK(id > 0 && id < tok.vocab_size());
        (void)tok.decode(ids);
        check_row(tok.tokenize(text, 52, true), 52, tok.sot_id(), tok.eot_id(), tok.vocab_size());
        check_row(tok.tokenize(text, 2, true), 2, tok.sot_id(), tok.eot_id(), tok.vocab_size());
      });
}
