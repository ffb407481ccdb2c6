// text/unicode.hpp — the Unicode pieces the tokenizer needs, with Python's
// semantics: UTF-8 <-> code points, general categories (via utf8proc), the
// whitespace sets of str.isspace / the `regex` module's \s, NFC/NFKC, and
// str.lower() (full lower-casing: U+0130 -> "i̇", final sigma).
//
//   std::u32string s = clipkit::text::decode_utf8("Straße");
//   std::u32string l = clipkit::text::python_lower(s);
//   std::string back = clipkit::text::encode_utf8(l);
//
// All functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace clipkit::text {

// Decodes UTF-8; each byte of an invalid sequence becomes U+FFFD (as Python's
// decode(errors="replace") does for the common cases).
std::u32string decode_utf8(std::string_view bytes);
std::string encode_utf8(std::u32string_view text);
void append_utf8(std::string& out, char32_t c);

bool is_letter(char32_t c);   // \p{L}: Lu Ll Lt Lm Lo
bool is_number(char32_t c);   // \p{N}: Nd Nl No
bool is_mark(char32_t c);     // Mn Mc Me
bool is_python_space(char32_t c);  // str.isspace() and re's \s for str patterns
bool is_regex_space(char32_t c);   // the `regex` module's \s (White_Space)
bool is_word_char(char32_t c);     // re's \w for str patterns: alnum or '_'

// General categories as Python's unicodedata.category (BERT's BasicTokenizer tests them).
bool is_control_or_format(char32_t c);  // Cc Cf
bool is_space_separator(char32_t c);    // Zs
bool is_punctuation(char32_t c);        // P*: Pc Pd Ps Pe Pi Pf Po
bool is_nonspacing_mark(char32_t c);    // Mn

// Canonical decomposition (unicodedata.normalize("NFD", ...)).
std::u32string nfd(std::u32string_view text);

std::u32string nfc(std::u32string_view text);
std::u32string nfkc(std::u32string_view text);

// Python's str.lower().
std::u32string python_lower(std::u32string_view text);

// `utf8` cut to its first `max_chars` code points with "..." when longer, for an error
// message that quotes a text.
std::string abbreviate(std::string_view utf8, size_t max_chars = 60);

// Python's str.strip() with no argument.
std::u32string_view python_strip(std::u32string_view text);

}  // namespace clipkit::text
