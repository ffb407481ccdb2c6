// fuzz/fuzz_sentencepiece.cpp — SentencePiece tokenizers (SigLIP's): the first byte picks
//  - odd:  the rest is a .model file (clipkit's checks, then libsentencepiece's
//          LoadFromSerializedProto), tokenized once if it loads;
//  - even: the rest is a text for the committed test models with the SigLIP, SigLIP 2
//          and transformers conventions (clean-ups, special-token split, truncation).
// Rows must have the context's length, end the text with EOS and pad after it; a model
// that does not load is a clipkit::Error.
#include <memory>
#include <string>

#include "fuzz_text.hpp"
#include "text/sentencepiece.hpp"

namespace {

std::unique_ptr<clipkit::Tokenizer> g_tokenizers[3];
const int32_t kPad[3] = {1, 0, 1};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::string dir = CLIPKIT_SOURCE_DIR "/tests/data/siglip/tokenizers/";
  clipkit::fuzz::load_or_exit("fuzz_sentencepiece: cannot load the test models", [&] {
    using C = clipkit::SentencePieceConventions;
    g_tokenizers[0] = std::make_unique<clipkit::Tokenizer>(clipkit::Tokenizer::from_sentencepiece(dir + "unigram.model", C::siglip()));
    g_tokenizers[1] = std::make_unique<clipkit::Tokenizer>(clipkit::Tokenizer::from_sentencepiece(dir + "gemma_bpe.model", C::siglip2()));
    g_tokenizers[2] = std::make_unique<clipkit::Tokenizer>(clipkit::Tokenizer::from_sentencepiece(dir + "unigram.model", C::siglip_hf()));
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return clipkit::fuzz::file_or_text(
      data, size, g_tokenizers,
      [](std::string_view file) {
        auto tok = clipkit::text::SentencePieceTokenizer::from_bytes(file, "fuzz.model",
                                                                     clipkit::SentencePieceConventions::siglip());
        const std::vector<int32_t> row = tok->tokenize("a photo of a cat", 16, true);
        FUZZ_CHECK(row.size() == 16);
      },
      [](const clipkit::Tokenizer& tok, size_t k, std::string_view text) {
        const std::vector<int32_t> ids = tok.encode(text);
        for (int32_t id : ids) FUZZ_CHECK(id >= 0 && id < tok.vocab_size());
        (void)tok.decode(ids);
        const std::vector<int32_t> row = tok.tokenize(text, 64, true);
        FUZZ_CHECK(row.size() == 64);
        size_t end = 64;
        while (end > 0 && row[end - 1] == kPad[k]) --end;
        if (kPad[k] == tok.eot_id()) {
          FUZZ_CHECK(end < 64);  // the EOS is the first of the trailing 1s
        } else {
          FUZZ_CHECK(end > 0 && row[end - 1] == tok.eot_id());  // EOS, then padding
        }
      });
}
