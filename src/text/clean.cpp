// text/clean.cpp — ftfy 6.3's fix_text (the parts real text needs, in ftfy's order)
// and simple_tokenizer's basic_clean / whitespace_clean.
#include "text/clean.hpp"

#include <array>

#include <utf8proc.h>

#include "text/html.hpp"
#include "text/mojibake.hpp"
#include "text/unicode.hpp"

namespace clipkit::text {
namespace {

// ftfy does not repair the encoding of lines longer than this (max_decode_length).
constexpr size_t kMaxDecodeLength = 1000000;

bool is_decimal_digit(char32_t c) {
  return c <= 0x10FFFF && utf8proc_category(static_cast<utf8proc_int32_t>(c)) == UTF8PROC_CATEGORY_ND;
}

// chardata.WIDTH_MAP: U+3000 and the NFKC forms of U+FF01..U+FFEF.
const std::array<std::u32string, 0xFFF0 - 0xFF01>& width_map() {
  static const auto table = [] {
    std::array<std::u32string, 0xFFF0 - 0xFF01> t;
    for (char32_t c = 0xFF01; c < 0xFFF0; ++c) {
      const char32_t one[1] = {c};
      std::u32string alt = nfkc(std::u32string_view(one, 1));
      if (alt != std::u32string_view(one, 1)) t[c - 0xFF01] = std::move(alt);
    }
    return t;
  }();
  return table;
}

std::u32string fix_segment(std::u32string text, bool unescape_html, bool fix_encoding_enabled) {
  while (true) {
    const std::u32string original = text;
    if (unescape_html) text = ftfy_unescape_html(text);
    if (fix_encoding_enabled) text = fix_encoding(text);
    text = fix_c1_controls(text);
    text = fix_latin_ligatures(text);
    text = fix_character_width(text);
    text = uncurl_quotes(text);
    text = fix_line_breaks(text);
    // fix_surrogates: code points decoded from UTF-8 are never surrogates.
    text = remove_terminal_escapes(text);
    text = remove_control_chars(text);
    text = nfc(text);
    if (text == original) return text;
  }
}

}  // namespace

std::u32string fix_latin_ligatures(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    switch (c) {
      case 0x0132: out += U"IJ"; break;
      case 0x0133: out += U"ij"; break;
      case 0x0149: out += U"\u02BCn"; break;
      case 0x01F1: out += U"DZ"; break;
      case 0x01F2: out += U"Dz"; break;
      case 0x01F3: out += U"dz"; break;
      case 0x01C4: out += U"D\u017D"; break;
      case 0x01C5: out += U"D\u017E"; break;
      case 0x01C6: out += U"d\u017E"; break;
      case 0x01C7: out += U"LJ"; break;
      case 0x01C8: out += U"Lj"; break;
      case 0x01C9: out += U"lj"; break;
      case 0x01CA: out += U"NJ"; break;
      case 0x01CB: out += U"Nj"; break;
      case 0x01CC: out += U"nj"; break;
      case 0xFB00: out += U"ff"; break;
      case 0xFB01: out += U"fi"; break;
      case 0xFB02: out += U"fl"; break;
      case 0xFB03: out += U"ffi"; break;
      case 0xFB04: out += U"ffl"; break;
      case 0xFB05: out += U"\u017Ft"; break;
      case 0xFB06: out += U"st"; break;
      default: out.push_back(c); break;
    }
  }
  return out;
}

std::u32string fix_character_width(std::u32string_view text) {
  const auto& table = width_map();
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c == 0x3000) {
      out.push_back(U' ');
    } else if (c >= 0xFF01 && c < 0xFFF0 && !table[c - 0xFF01].empty()) {
      out += table[c - 0xFF01];
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::u32string uncurl_quotes(std::u32string_view text) {
  std::u32string out(text);
  for (char32_t& c : out) {
    if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) {
      c = U'\'';
    } else if (c >= 0x201C && c <= 0x201F) {
      c = U'"';
    }
  }
  return out;
}

std::u32string fix_line_breaks(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c == U'\r') {
      out.push_back(U'\n');
      if (i + 1 < text.size() && text[i + 1] == U'\n') ++i;
    } else if (c == 0x2028 || c == 0x2029 || c == 0x0085) {
      out.push_back(U'\n');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::u32string remove_terminal_escapes(std::u32string_view text) {
  // "\x1b[" then digits or ';' then one ASCII letter.
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == 0x1B && i + 1 < text.size() && text[i + 1] == U'[') {
      size_t j = i + 2;
      while (j < text.size() && (text[j] == U';' || is_decimal_digit(text[j]))) ++j;
      if (j < text.size() && ((text[j] >= U'a' && text[j] <= U'z') || (text[j] >= U'A' && text[j] <= U'Z'))) {
        i = j + 1;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

std::u32string remove_control_chars(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    const bool control = c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
                         (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
    if (!control) out.push_back(c);
  }
  return out;
}

std::u32string fix_text(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  bool unescape_html = true;  // "auto": off from the first line that has a '<'
  size_t pos = 0;
  while (pos < text.size()) {
    size_t line_end = text.find(U'\n', pos);
    line_end = line_end == std::u32string_view::npos ? text.size() : line_end + 1;
    const std::u32string_view line = text.substr(pos, line_end - pos);
    if (unescape_html && line.find(U'<') != std::u32string_view::npos) unescape_html = false;
    out += fix_segment(std::u32string(line), unescape_html, line.size() <= kMaxDecodeLength);
    pos = line_end;
  }
  return out;
}

std::u32string basic_clean(std::u32string_view text) {
  const std::u32string fixed = fix_text(text);
  const std::u32string unescaped = html_unescape(html_unescape(fixed));
  return std::u32string(python_strip(unescaped));
}

std::u32string whitespace_clean(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  bool in_space = false;
  for (char32_t c : text) {
    if (is_regex_space(c)) {
      if (!in_space) out.push_back(U' ');
      in_space = true;
    } else {
      out.push_back(c);
      in_space = false;
    }
  }
  return std::u32string(python_strip(out));
}

std::u32string clean_text(std::string_view utf8_text) {
  return python_lower(whitespace_clean(basic_clean(decode_utf8(utf8_text))));
}

}  // namespace clipkit::text
