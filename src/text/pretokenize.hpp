// text/pretokenize.hpp — simple_tokenizer's split of cleaned text into words:
//   <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// (IGNORECASE), as `regex.findall` returns it.
//
//   auto words = clipkit::text::pretokenize(U"it's 42!");  // "it", "'s", "4", "2", "!"
//
// Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace clipkit::text {

std::vector<std::string> pretokenize(std::u32string_view text);  // UTF-8 pieces

}  // namespace clipkit::text
