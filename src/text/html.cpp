// text/html.cpp — HTML character references with Python's html.unescape rules
// and ftfy's unescape_html on top of it.
#include "text/html.hpp"

#include <algorithm>
#include <cstring>

#include "text/text_tables.hpp"
#include "text/unicode.hpp"

namespace clipkit::text {

const EntityEntry* find_entity(const EntityEntry* table, size_t count, std::string_view name) {
  const EntityEntry* end = table + count;
  const EntityEntry* it = std::lower_bound(
      table, end, name, [](const EntityEntry& e, std::string_view key) { return std::string_view(e.name) < key; });
  if (it != end && std::string_view(it->name) == name) return it;
  return nullptr;
}

namespace {

bool is_ascii_digit(char32_t c) { return c >= U'0' && c <= U'9'; }
bool is_hex_digit(char32_t c) {
  return is_ascii_digit(c) || (c >= U'a' && c <= U'f') || (c >= U'A' && c <= U'F');
}
bool is_ascii_alnum(char32_t c) {
  return is_ascii_digit(c) || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
}

// Python's html._invalid_codepoints: these references decode to nothing.
bool is_invalid_codepoint(char32_t c) {
  return (c >= 0x1 && c <= 0x8) || c == 0xB || (c >= 0xE && c <= 0x1F) || (c >= 0x7F && c <= 0x9F) ||
         (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE;
}

// The code point a numeric reference stands for, following html._replace_charref.
void append_numeric_reference(std::u32string& out, std::u32string_view digits, int base) {
  char32_t value = 0;
  bool too_big = false;
  for (char32_t d : digits) {
    const char32_t v = is_ascii_digit(d) ? d - U'0' : (d | 0x20) - U'a' + 10;
    if (!too_big) {
      value = value * base + v;
      if (value > 0x10FFFF) too_big = true;
    }
  }
  if (too_big) {
    out.push_back(0xFFFD);
    return;
  }
  if (value == 0) {
    out.push_back(0xFFFD);
  } else if (value == 0x0D) {
    out.push_back(0x0D);
  } else if (value >= 0x80 && value <= 0x9F) {
    // Windows-1252's meaning of the C1 range (unassigned bytes stay as they are).
    out.push_back(kCodecs[1].decode[value]);
  } else if (value >= 0xD800 && value <= 0xDFFF) {
    out.push_back(0xFFFD);
  } else if (!is_invalid_codepoint(value)) {
    out.push_back(value);
  }
}

bool is_entity_name_char(char32_t c) {
  return c != U'\t' && c != U'\n' && c != U'\f' && c != U' ' && c != U'<' && c != U'&' && c != U'#' &&
         c != U';';
}

const EntityEntry* find_html5(std::u32string_view name) {
  // Entity names are ASCII; anything else cannot match.
  std::string key;
  key.reserve(name.size());
  for (char32_t c : name) {
    if (c >= 0x80) return nullptr;
    key.push_back(static_cast<char>(c));
  }
  return find_entity(kHtml5Entities, kHtml5EntityCount, key);
}

void append_utf8_value(std::u32string& out, const char* value) {
  const std::u32string decoded = decode_utf8(value);
  out += decoded;
}

}  // namespace

std::u32string html_unescape(std::u32string_view text) {
  if (text.find(U'&') == std::u32string_view::npos) return std::u32string(text);
  std::u32string out;
  out.reserve(text.size());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const char32_t c = text[i];
    if (c != U'&' || i + 1 >= n) {
      out.push_back(c);
      ++i;
      continue;
    }
    size_t p = i + 1;
    if (text[p] == U'#') {
      size_t q = p + 1;
      int base = 10;
      size_t digits_begin = q;
      if (q < n && (text[q] == U'x' || text[q] == U'X') && q + 1 < n && is_hex_digit(text[q + 1])) {
        base = 16;
        digits_begin = q + 1;
        q = digits_begin;
        while (q < n && is_hex_digit(text[q])) ++q;
      } else {
        while (q < n && is_ascii_digit(text[q])) ++q;
      }
      if (q == digits_begin) {  // "&#" without digits is not a reference
        out.push_back(c);
        ++i;
        continue;
      }
      append_numeric_reference(out, text.substr(digits_begin, q - digits_begin), base);
      if (q < n && text[q] == U';') ++q;
      i = q;
      continue;
    }
    size_t q = p;
    while (q < n && q - p < 32 && is_entity_name_char(text[q])) ++q;
    if (q == p) {
      out.push_back(c);
      ++i;
      continue;
    }
    if (q < n && text[q] == U';') ++q;
    const std::u32string_view name = text.substr(p, q - p);
    if (const EntityEntry* e = find_html5(name)) {
      append_utf8_value(out, e->value);
    } else {
      bool replaced = false;
      for (size_t len = name.size() - 1; len > 1; --len) {
        if (const EntityEntry* pe = find_html5(name.substr(0, len))) {
          append_utf8_value(out, pe->value);
          out.append(name.substr(len));
          replaced = true;
          break;
        }
      }
      if (!replaced) {
        out.push_back(U'&');
        out.append(name);
      }
    }
    i = q;
  }
  return out;
}

std::u32string ftfy_unescape_html(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (text[i] != U'&') {
      out.push_back(text[i++]);
      continue;
    }
    // &#?[0-9A-Za-z]{1,24};
    size_t p = i + 1;
    const bool numeric = p < n && text[p] == U'#';
    if (numeric) ++p;
    size_t q = p;
    while (q < n && q - p < 24 && is_ascii_alnum(text[q])) ++q;
    if (q == p || q >= n || text[q] != U';') {
      out.push_back(text[i++]);
      continue;
    }
    const std::u32string_view match = text.substr(i, q + 1 - i);
    const std::u32string_view name = match.substr(1);  // "name;"
    std::string key = encode_utf8(name);
    if (const EntityEntry* e = numeric ? nullptr : find_entity(kHtml5Entities, kHtml5EntityCount, key)) {
      append_utf8_value(out, e->value);
    } else if (const EntityEntry* u =
                   numeric ? nullptr : find_entity(kUppercaseEntities, kUppercaseEntityCount, key)) {
      append_utf8_value(out, u->value);
    } else if (numeric) {
      const std::u32string unescaped = html_unescape(match);
      if (unescaped.find(U';') != std::u32string::npos) {
        out.append(match);
      } else {
        out += unescaped;
      }
    } else {
      out.append(match);
    }
    i = q + 1;
  }
  return out;
}

}  // namespace clipkit::text
