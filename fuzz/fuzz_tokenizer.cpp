// fuzz/fuzz_tokenizer.cpp — clipkit::Tokenizer on arbitrary bytes as text (invalid UTF-8,
// controls, HTML entities, mojibake, CJK, emoji...): the ftfy clean-up, the regex split
// and BPE. Rows must be SOT ... EOT within the context, ids inside the vocabulary, and
// decode must accept whatever encode gave.
//
// The merges load once, from $CLIPKIT_FUZZ_VOCAB or else the shared fixture
// ../shared/data/clip/bpe_simple_vocab_16e6.txt.gz (path compiled in).
#include <cstdlib>
#include <memory>

#include "clipkit/tokenizer.hpp"
#include "fuzz_support.hpp"

namespace {

std::unique_ptr<clipkit::Tokenizer> g_tokenizer;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* env = std::getenv("CLIPKIT_FUZZ_VOCAB");
  const std::string path = env && *env ? env : CLIPKIT_SHARED_DIR "/data/clip/bpe_simple_vocab_16e6.txt.gz";
  try {
    g_tokenizer = std::make_unique<clipkit::Tokenizer>(clipkit::Tokenizer::from_file(path));
  } catch (const clipkit::Error& e) {
    std::fprintf(stderr, "fuzz_tokenizer: cannot load the BPE merges (set CLIPKIT_FUZZ_VOCAB): %s\n", e.what());
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const clipkit::Tokenizer& tok = *g_tokenizer;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  clipkit::fuzz::run([&] {
    const std::vector<int32_t> ids = tok.encode(text);
    for (int32_t id : ids) FUZZ_CHECK(id >= 0 && id < tok.vocab_size());
    (void)tok.decode(ids);

    const std::vector<int32_t> row = tok.tokenize(text);
    FUZZ_CHECK(row.size() == 77 && row[0] == tok.sot_id());
    const size_t kept = std::min<size_t>(ids.size(), 75);
    FUZZ_CHECK(std::equal(ids.begin(), ids.begin() + kept, row.begin() + 1));
    FUZZ_CHECK(row[kept + 1] == tok.eot_id());
    for (size_t i = kept + 2; i < row.size(); ++i) FUZZ_CHECK(row[i] == 0);

    // Too long for a short context without truncation: an invalid_argument error. (One
    // input in four: each call cleans and encodes the text again.)
    if (size > 0 && data[0] % 4 == 0) clipkit::fuzz::run([&] {
      const std::vector<int32_t> short_row = tok.tokenize(text, 8, false);
      FUZZ_CHECK(ids.size() <= 6 && short_row.size() == 8);
    });
  });
  return 0;
}
