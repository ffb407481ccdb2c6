// fuzz/fuzz_text.hpp — the frame shared by the targets for tokenizers that load a file of
// their own (fuzz_sentencepiece.cpp, fuzz_wordpiece.cpp): fixed tokenizers loaded once
// from committed test data, and inputs whose first byte picks what the rest is.
//
//   std::unique_ptr<clipkit::Tokenizer> g_tokenizers[1];
//   extern "C" int LLVMFuzzerInitialize(int*, char***) {
//     clipkit::fuzz::load_or_exit("fuzz_x: cannot load the test model", [] { g_tokenizers[0] = ...; });
//     return 0;
//   }
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
//     return clipkit::fuzz::file_or_text(data, size, g_tokenizers,
//         [](std::string_view file) { /* load `file`, use it once */ },
//         [](const clipkit::Tokenizer& tok, size_t k, std::string_view text) { /* check tok on text */ });
//   }
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string_view>

#include "clipkit/tokenizer.hpp"
#include "fuzz_support.hpp"

namespace clipkit::fuzz {

// Runs `load` (LLVMFuzzerInitialize's loading of the committed test data); a
// clipkit::Error there is no finding but a broken checkout: "<message>: <error>" on
// stderr and exit status 2.
template <typename Load>
void load_or_exit(const char* message, Load&& load) {
  try {
    load();
  } catch (const clipkit::Error& e) {
    std::fprintf(stderr, "%s: %s\n", message, e.what());
    std::exit(2);
  }
}

// An empty input does nothing. Otherwise the first byte picks what the rest is:
//  - odd:  a tokenizer file: on_file(rest), once, under run();
//  - even: a text: on_text(*tokenizers[k], k, rest) for each k, each under its own run()
//          (an error from one tokenizer does not skip the next).
// Returns 0, libFuzzer's answer for an input that was run.
template <typename OnFile, typename OnText>
int file_or_text(const uint8_t* data, size_t size, std::span<const std::unique_ptr<Tokenizer>> tokenizers,
                 OnFile&& on_file, OnText&& on_text) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    run([&] { on_file(rest); });
    return 0;
  }
  for (size_t k = 0; k < tokenizers.size(); ++k) run([&] { on_text(*tokenizers[k], k, rest); });
  return 0;
}

}  // namespace clipkit::fuzz
