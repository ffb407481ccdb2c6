// text/vocab_file.hpp — finds and reads BPE vocabularies in the layouts people
// have: OpenAI's bpe_simple_vocab_16e6.txt.gz, other (gzipped or plain) merges
// files of that shape, and Hugging Face vocab.json + merges.txt (either file, or
// a folder holding them).
//
//   clipkit::text::BpeModel model = clipkit::text::load_vocab("ViT-B-32/");
//
// Throws Error(not_found) for missing files, Error(corrupt_data) for a bad gzip
// stream, a malformed merge line or a bad vocab.json — each naming the file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "text/bpe.hpp"

namespace clipkit::text {

// simple_tokenizer keeps merges [1, 48894] of OpenAI's file (vocab 49408).
inline constexpr size_t kOpenAiMergeCount = 49152 - 256 - 2;

BpeModel load_vocab(const std::filesystem::path& path);

// The file's bytes, gunzipped when they start with the gzip magic.
std::string read_maybe_gzip(const std::filesystem::path& path);

// Merge lines ("a b") after the header line. `max_merges` caps how many are kept.
std::vector<BpeModel::Merge> parse_merges(std::string_view text, const std::string& source, size_t max_merges);

}  // namespace clipkit::text
