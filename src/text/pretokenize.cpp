// text/pretokenize.cpp — the CLIP split expression, matched by hand: at each
// position the alternatives are tried in the expression's order and the first
// that matches wins (its quantifiers are greedy and nothing follows them).
#include "text/pretokenize.hpp"

#include "text/unicode.hpp"

namespace clipkit::text {
namespace {

// Under IGNORECASE, U+017F LATIN SMALL LETTER LONG S matches 's'.
bool char_equals_ignore_case(char32_t c, char32_t lower_ascii) {
  if (c == lower_ascii) return true;
  if (c < 0x80 && c >= U'A' && c <= U'Z') return c + 32 == lower_ascii;
  if (lower_ascii == U's' && c == 0x017F) return true;
  if (lower_ascii == U'k' && c == 0x212A) return true;
  return false;
}

size_t match_literal(std::u32string_view text, size_t pos, std::u32string_view literal) {
  if (pos + literal.size() > text.size()) return 0;
  for (size_t k = 0; k < literal.size(); ++k) {
    const char32_t l = literal[k];
    const bool letter = l >= U'a' && l <= U'z';
    if (letter ? !char_equals_ignore_case(text[pos + k], l) : text[pos + k] != l) return 0;
  }
  return literal.size();
}

}  // namespace

std::vector<std::string> pretokenize(std::u32string_view text) {
  static constexpr std::u32string_view kLiterals[] = {
      U"<|startoftext|>", U"<|endoftext|>", U"'s", U"'t", U"'re", U"'ve", U"'m", U"'ll", U"'d",
  };
  std::vector<std::string> words;
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    size_t len = 0;
    for (std::u32string_view lit : kLiterals) {
      len = match_literal(text, i, lit);
      if (len) break;
    }
    if (!len) {
      const char32_t c = text[i];
      if (is_letter(c)) {
        len = 1;
        while (i + len < n && is_letter(text[i + len])) ++len;
      } else if (is_number(c)) {
        len = 1;
      } else if (!is_regex_space(c)) {
        len = 1;
        while (i + len < n) {
          const char32_t d = text[i + len];
          if (is_regex_space(d) || is_letter(d) || is_number(d)) break;
          ++len;
        }
      }
    }
    if (!len) {
      ++i;  // whitespace: findall skips it
      continue;
    }
    words.push_back(encode_utf8(text.substr(i, len)));
    i += len;
  }
  return words;
}

}  // namespace clipkit::text
