// text/canonicalize.cpp — open_clip's and transformers' canonicalize_text.
#include "text/canonicalize.hpp"

#include "text/unicode.hpp"

namespace clipkit::text {
namespace {

bool is_ascii_punctuation(char32_t c) {
  // string.punctuation: !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
         (c >= 0x7B && c <= 0x7E);
}

}  // namespace

std::u32string remove_punctuation(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (!is_ascii_punctuation(c)) out.push_back(c);
  }
  return out;
}

std::u32string collapse_whitespace(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char32_t c : text) {
    if (is_python_space(c)) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out.push_back(U' ');
      pending_space = false;
      out.push_back(c);
    }
  }
  return out;
}

std::u32string canonicalize_text(std::u32string_view text) {
  std::u32string t(text);
  for (char32_t& c : t) {
    if (c == U'_') c = U' ';
  }
  // lower() before the whitespace collapse, as upstream: lower-casing never makes or
  // removes whitespace, so the order only matters for matching upstream step by step.
  return collapse_whitespace(python_lower(remove_punctuation(t)));
}

std::u32string canonicalize_text_hf(std::u32string_view text) {
  // re.sub(r"\s+", " ", text).strip(): the same as collapse_whitespace, since strip()
  // removes exactly the spaces a collapse can leave at the ends.
  return collapse_whitespace(remove_punctuation(text));
}

std::u32string lower_each_char(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    out += python_lower(text.substr(i, 1));
  }
  return out;
}

}  // namespace clipkit::text
