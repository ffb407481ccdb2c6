// text/mojibake.cpp — ftfy's mojibake heuristic and repair, written from its
// documented behaviour. Python regular expressions are expressed as small
// sequence patterns (a class per position) matched at every offset, which is
// all these expressions need.
#include "text/mojibake.hpp"

#include <algorithm>

#include <array>
#include <bitset>
#include <optional>
#include <unordered_map>
#include <vector>

#include "text/text_tables.hpp"
#include "text/unicode.hpp"

namespace clipkit::text {
namespace {

// ---------------------------------------------------------------------------
// Character classes of ftfy's badness heuristic. "X-Y" inside a string is a range.
constexpr std::u32string_view kC1 = U"\u0080-\u009F";
constexpr std::u32string_view kCommon = U"\u00A0\u00AD\u00B7\u00B4\u2013\u2014\u2015\u2026\u2019";
constexpr std::u32string_view kBad =
    U"\u00A6\u00A4\u00A8\u00AC\u00AF\u00B8\u0192\u02C6\u02C7\u02D8\u02DB\u02DC\u2020\u2021\u2030\u2310"
    U"\u25CA\uFFFD\u00AA\u00BA";
constexpr std::u32string_view kLaw = U"\u00B6\u00A7";
constexpr std::u32string_view kCurrency = U"\u00A2\u00A3\u00A5\u20A7\u20AC";
constexpr std::u32string_view kStartPunctuation =
    U"\u00A1\u00AB\u00BF\u00A9\u0384\u0385\u2018\u201A\u201C\u201E\u2022\u2039\uF8FF";
constexpr std::u32string_view kEndPunctuation = U"\u00AE\u00BB\u02DD\u201D\u203A\u2122";
constexpr std::u32string_view kNumeric =
    U"\u00B2\u00B3\u00B9\u00B1\u00BC\u00BD\u00BE\u00D7\u00B5\u00F7\u2044\u2202\u2206\u220F\u2211\u221A"
    U"\u221E\u2229\u222B\u2248\u2260\u2261\u2264\u2265\u2116";
constexpr std::u32string_view kKaomoji =
    U"\u00D2-\u00D6\u00D9-\u00DC\u00F2-\u00F6\u00F8-\u00FC\u0150\u014C\u016A\u0172\u00B0";
constexpr std::u32string_view kUpperAccented =
    U"\u00C0-\u00D1\u00D8\u00DC\u00DD\u0102\u0100\u0104\u0106\u010C\u010E\u0110\u0118\u011A\u0112\u0116"
    U"\u011E\u0122\u0130\u012A\u0136\u0139\u013D\u0141\u013B\u0143\u0147\u0145\u0152\u0158\u015A\u015E"
    U"\u0160\u0162\u0164\u016E\u0170\u0178\u0179\u017B\u017D\u0490";
constexpr std::u32string_view kLowerAccented =
    U"\u00DF\u00E0-\u00F1\u0103\u0105\u0101\u0107\u010D\u010F\u0111\u0119\u011B\u0113\u0117\u011F\u0123"
    U"\u012F\u012B\u0137\u013A\u013E\u0142\u013C\u0153\u0155\u015B\u015F\u0161\u0165\u00FC\u017A\u017C"
    U"\u017E\u0491\uFB01\uFB02";
constexpr std::u32string_view kUpperCommon =
    U"\u00DE\u0391-\u03A9\u0386\u0388\u0389\u038A\u038C\u038E\u038F\u03AA\u03AB\u0401-\u042F";
constexpr std::u32string_view kLowerCommon = U"\u03B1-\u03C9\u03AC\u03AD\u03AE\u03AF\u03B0\u0430-\u045F";
constexpr std::u32string_view kBox =
    U"\u2502\u250C\u2510\u2518\u251C\u2524\u252C\u253C\u2550-\u256C\u2580\u2584\u2588\u258C\u2590\u2591"
    U"\u2592\u2593";

// A set of code points. Ranges are kept sorted and merged, with a bitmap for ASCII: the
// badness patterns test every character of a text against dozens of classes.
class CharClass {
 public:
  CharClass() = default;
  // Concatenated class strings, as ftfy's regex builds them.
  explicit CharClass(std::initializer_list<std::u32string_view> parts, bool negate = false)
      : negate_(negate) {
    for (std::u32string_view p : parts) add(p);
  }
  void add(std::u32string_view spec) {
    for (size_t i = 0; i < spec.size(); ++i) {
      if (i + 2 < spec.size() && spec[i + 1] == U'-') {
        add_range(spec[i], spec[i + 2]);
        i += 2;
      } else {
        add_range(spec[i], spec[i]);
      }
    }
  }
  void add_range(char32_t lo, char32_t hi) {
    if (lo > hi) return;
    for (char32_t c = lo; c <= hi && c < 128; ++c) ascii_[c / 64] |= uint64_t{1} << (c % 64);
    ranges_.push_back({lo, hi});
    std::sort(ranges_.begin(), ranges_.end());
    std::vector<std::pair<char32_t, char32_t>> merged;
    for (const auto& r : ranges_) {
      if (!merged.empty() && r.first <= merged.back().second + 1) {
        merged.back().second = std::max(merged.back().second, r.second);
      } else {
        merged.push_back(r);
      }
    }
    ranges_ = std::move(merged);
  }
  bool contains(char32_t c) const {
    if (c < 128) return ((ascii_[c / 64] >> (c % 64)) & 1) != negate_;
    // The last range starting at or before c.
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), c,
                               [](char32_t x, const std::pair<char32_t, char32_t>& r) { return x < r.first; });
    const bool in = it != ranges_.begin() && c <= std::prev(it)->second;
    return in != negate_;
  }

 private:
  std::vector<std::pair<char32_t, char32_t>> ranges_;  // sorted, disjoint, not adjacent
  uint64_t ascii_[2] = {0, 0};
  bool negate_ = false;
};

enum class ElementKind { kClass, kSpace, kWord, kAnyButNewline };

struct Element {
  ElementKind kind = ElementKind::kClass;
  CharClass cls;
  bool optional = false;
  bool matches(char32_t c) const {
    switch (kind) {
      case ElementKind::kClass: return cls.contains(c);
      case ElementKind::kSpace: return is_python_space(c);
      case ElementKind::kWord: return is_word_char(c);
      case ElementKind::kAnyButNewline: return c != U'\n';
    }
    return false;
  }
};

struct SequencePattern {
  bool anchored = false;  // '^': only at offset 0
  std::vector<Element> elements;
};

Element cls(std::initializer_list<std::u32string_view> parts) {
  Element e;
  e.cls = CharClass(parts);
  return e;
}
Element space() {
  Element e;
  e.kind = ElementKind::kSpace;
  return e;
}
Element word() {
  Element e;
  e.kind = ElementKind::kWord;
  return e;
}
Element any_but_newline() {
  Element e;
  e.kind = ElementKind::kAnyButNewline;
  return e;
}
Element optional(Element e) {
  e.optional = true;
  return e;
}

bool match_at(const std::vector<Element>& elements, size_t k, std::u32string_view text, size_t pos) {
  if (k == elements.size()) return true;
  const Element& e = elements[k];
  if (pos < text.size() && e.matches(text[pos]) && match_at(elements, k + 1, text, pos + 1)) return true;
  return e.optional && match_at(elements, k + 1, text, pos);
}

// ftfy.badness.BADNESS_RE, one SequencePattern per alternative.
std::vector<SequencePattern> build_badness_patterns() {
  std::vector<SequencePattern> p;
  auto add = [&p](std::vector<Element> elements, bool anchored = false) {
    p.push_back(SequencePattern{anchored, std::move(elements)});
  };
  const std::u32string_view la = kLowerAccented, ua = kUpperAccented, bx = kBox, sp = kStartPunctuation,
                            ep = kEndPunctuation, cu = kCurrency, nu = kNumeric, lw = kLaw, bd = kBad;
  add({cls({kC1})});
  add({cls({bd, la, ua, bx, sp, ep, cu, nu, lw}), cls({bd})});
  add({cls({U"a-zA-Z"}), cls({kLowerCommon, kUpperCommon}), cls({bd})});
  add({cls({bd}), cls({la, ua, bx, sp, ep, cu, nu, lw})});
  add({cls({la, kLowerCommon, bx, ep, cu, nu}), cls({ua})});
  add({cls({bx, ep, cu, nu}), cls({la})});
  add({cls({la, bx, ep}), cls({cu})});
  add({space(), cls({ua}), cls({cu})});
  add({cls({ua, bx}), cls({nu, lw})});
  add({cls({la, ua, bx, cu, ep}), cls({sp}), cls({nu})});
  add({cls({la, ua, cu, nu, bx, lw}), cls({ep}), cls({sp})});
  add({cls({cu, nu, bx}), cls({sp})});
  add({cls({U"a-z"}), cls({ua}), cls({sp, cu})});
  add({cls({bx}), cls({kKaomoji})});
  add({cls({la, ua, cu, nu, sp, ep, lw}), cls({bx})});
  add({cls({bx}), cls({ep})});
  add({cls({la, ua}), cls({sp, ep}), word()});
  {
    Element not_ascii_letter;
    not_ascii_letter.cls = CharClass({U"A-Za-z"}, /*negate=*/true);
    add({cls({U"\u0152\u0153"}), not_ascii_letter});
  }
  add({cls({ua}), cls({U"\u00B0"})});
  add({cls({U"\u00C2\u00C3\u00CE\u00D0"}),
       cls({U"\u20AC\u0153\u0160\u0161\u00A2\u00A3\u0178\u017E\u00A0\u00AD\u00AE\u00A9\u00B0\u00B7\u00BB", sp, ep,
            U"\u2013\u2014\u00B4"})});
  add({cls({U"\u00D7"}), cls({U"\u00B2\u00B3"})});
  {
    const std::u32string_view arabic_tail = U"\u0178\u0160\u00AE\u00B0\u00B5\u00BB";
    add({cls({U"\u00D8\u00D9"}), cls({kCommon, cu, bd, nu, sp, arabic_tail}), cls({U"\u00D8\u00D9"}),
         cls({kCommon, cu, bd, nu, sp, arabic_tail})});
  }
  add({cls({U"\u00E0"}), cls({U"\u00B2\u00B5\u00B9\u00BC\u00BD\u00BE"})});
  add({cls({U"\u221A"}), cls({U"\u00B1\u2202\u2020\u2260\u00AE\u2122\u00B4\u2264\u2265\u00A5\u00B5\u00F8"})});
  add({cls({U"\u2248"}), cls({U"\u00B0\u00A2"})});
  add({cls({U"\u201A"}), cls({U"\u00C4"}),
       cls({U"\u00EC\u00EE\u00EF\u00F2\u00F4\u00FA\u00F9\u00FB\u2020\u00B0\u00A2\u03C0"})});
  add({cls({U"\u201A"}), cls({U"\u00E2\u00F3"}), cls({U"\u00E0\u00E4\u00B0\u00EA"})});
  add({cls({U"\u0432"}), cls({U"\u0402"})});
  add({cls({U"\u0412\u0413\u0420\u0421"}), cls({kC1, bd, sp, ep, cu, U"\u00B0\u00B5"}),
       cls({U"\u0412\u0413\u0420\u0421"})});
  add({cls({U"\u0413"}), cls({U"\u045E"}), cls({U"\u0412"}), cls({U"\u0402"}), cls({U"\u0412"}),
       any_but_newline(), cls({U"A-Za-z "})});
  add({cls({U"\u00C3"}), cls({U"\u00A0\u00A1"})});
  add({cls({U"a-z"}), optional(space()), cls({U"\u00C3\u00C2"}), cls({U" "})});
  add({cls({U"\u00C3\u00C2"}), cls({U" "})}, /*anchored=*/true);
  add({cls({U"a-z.,?!", ep}), cls({U"\u00C2"}), cls({U" ", sp, ep})});
  add({cls({U"\u03B2"}), cls({U"\u20AC"}), cls({U"\u2122\u00A0\u0386\u00AD\u00AE\u00B0"})});
  add({cls({U"\u0392\u0393\u039E\u039F"}), cls({kC1, bd, sp, ep, cu, U"\u00B0"}),
       cls({U"\u0392\u0393\u039E\u039F"})});
  add({cls({U"\u0101"}), cls({U"\u20AC"})});
  return p;
}

const std::vector<SequencePattern>& badness_patterns() {
  static const std::vector<SequencePattern> patterns = build_badness_patterns();
  return patterns;
}

// ---------------------------------------------------------------------------
// Single-byte code pages.

struct Encoder {
  std::unordered_map<char32_t, uint8_t> to_byte;  // for code points >= 0x80 and 0x1A
};

const std::vector<Encoder>& encoders() {
  static const std::vector<Encoder> all = [] {
    std::vector<Encoder> out(kCodecCount);
    for (size_t e = 0; e < kCodecCount; ++e) {
      for (int b = 0xFF; b >= 0x80; --b) out[e].to_byte[kCodecs[e].decode[b]] = static_cast<uint8_t>(b);
      out[e].to_byte.emplace(kCodecs[e].decode[0x1A], static_cast<uint8_t>(0x1A));
    }
    return out;
  }();
  return all;
}

// chardata.possible_encoding + str.encode in one go.
std::optional<std::string> encode_single_byte(std::u32string_view text, size_t codec) {
  const Encoder& enc = encoders()[codec];
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c < 0x80 && c != 0x1A) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    auto it = enc.to_byte.find(c);
    if (it == enc.to_byte.end()) return std::nullopt;
    out.push_back(static_cast<char>(it->second));
  }
  return out;
}

// Python's strict UTF-8 decoder, or ftfy's "utf-8-variants" (CESU-8 surrogate
// pairs and the Java NUL C0 80) when `variants` is set.
std::optional<std::u32string> decode_utf8_strict(const std::string& bytes, bool variants) {
  std::u32string out;
  const size_t n = bytes.size();
  auto byte = [&bytes](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  auto cont = [&](size_t i) { return i < n && (byte(i) & 0xC0) == 0x80; };
  size_t i = 0;
  while (i < n) {
    const uint8_t b0 = byte(i);
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    }
    if (variants && b0 == 0xC0 && i + 1 < n && byte(i + 1) == 0x80) {
      out.push_back(0);
      i += 2;
      continue;
    }
    if (variants && b0 == 0xED && i + 5 < n + 0 && byte(i + 1) >= 0xA0 && byte(i + 1) <= 0xAF && cont(i + 2) &&
        byte(i + 3) == 0xED && byte(i + 4) >= 0xB0 && byte(i + 4) <= 0xBF && cont(i + 5)) {
      const char32_t hi = 0xD000 | ((byte(i + 1) & 0x3F) << 6) | (byte(i + 2) & 0x3F);
      const char32_t lo = 0xD000 | ((byte(i + 4) & 0x3F) << 6) | (byte(i + 5) & 0x3F);
      out.push_back(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
      i += 6;
      continue;
    }
    int len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2, cp = b0 & 0x1F, min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3, cp = b0 & 0x0F, min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
      return std::nullopt;
    }
    for (int k = 1; k < len; ++k) {
      if (!cont(i + k)) return std::nullopt;
      cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    out.push_back(cp);
    i += len;
  }
  return out;
}

// Byte patterns for the transcoders: one byte set per position.
using ByteSet = std::bitset<256>;
ByteSet bytes_of(std::initializer_list<std::pair<int, int>> ranges) {
  ByteSet s;
  for (auto [lo, hi] : ranges) {
    for (int b = lo; b <= hi; ++b) s.set(static_cast<size_t>(b));
  }
  return s;
}
using BytePattern = std::vector<ByteSet>;

size_t match_bytes(const std::vector<BytePattern>& alternatives, const std::string& s, size_t pos) {
  for (const BytePattern& alt : alternatives) {
    if (pos + alt.size() > s.size()) continue;
    bool ok = true;
    for (size_t k = 0; k < alt.size() && ok; ++k) ok = alt[k].test(static_cast<uint8_t>(s[pos + k]));
    if (ok) return alt.size();
  }
  return 0;
}

// chardata.ALTERED_UTF8_RE: UTF-8 whose 0xA0 byte became a space.
const std::vector<BytePattern>& altered_utf8() {
  static const std::vector<BytePattern> alts = [] {
    const ByteSet sp = bytes_of({{0x20, 0x20}});
    const ByteSet cont_no_a0 = bytes_of({{0x80, 0x84}, {0x86, 0x9F}, {0xA1, 0xBF}});
    const ByteSet cont = bytes_of({{0x80, 0xBF}});
    const ByteSet f0 = bytes_of({{0xF0, 0xF0}});
    return std::vector<BytePattern>{
        {bytes_of({{0xC2, 0xC3}, {0xC5, 0xC5}, {0xCE, 0xCE}, {0xD0, 0xD0}, {0xD9, 0xD9}}), sp},
        {bytes_of({{0xE2, 0xE3}}), sp, cont_no_a0},
        {bytes_of({{0xE0, 0xE3}}), cont_no_a0, sp},
        {f0, sp, cont, cont},
        {f0, cont, sp, cont},
        {f0, cont, cont, sp},
    };
  }();
  return alts;
}

// chardata.LOSSY_UTF8_RE: UTF-8 sequences with lost bytes (0x1A or '?').
const std::vector<BytePattern>& lossy_utf8() {
  static const std::vector<BytePattern> alts = [] {
    const ByteSet sub = bytes_of({{0x1A, 0x1A}});
    const ByteSet sub_q = bytes_of({{0x1A, 0x1A}, {'?', '?'}});
    const ByteSet sub_cont = bytes_of({{0x1A, 0x1A}, {0x80, 0xBF}});
    const ByteSet sub_q_cont = bytes_of({{0x1A, 0x1A}, {'?', '?'}, {0x80, 0xBF}});
    const ByteSet ed = bytes_of({{0xED, 0xED}});
    const ByteSet hi_sur = bytes_of({{0xA0, 0xAF}});
    const ByteSet lo_sur = bytes_of({{0xB0, 0xBF}});
    const ByteSet lead3 = bytes_of({{0xE0, 0xEF}});
    const ByteSet lead4 = bytes_of({{0xF0, 0xF4}});
    return std::vector<BytePattern>{
        {bytes_of({{0xC2, 0xDF}}), sub},
        {bytes_of({{0xC2, 0xC3}}), bytes_of({{'?', '?'}})},
        {ed, hi_sur, sub_q, ed, lo_sur, sub_q_cont},
        {ed, hi_sur, sub_q_cont, ed, lo_sur, sub_q},
        {lead3, sub_q, sub_cont},
        {lead3, sub_cont, sub_q},
        {lead4, sub_q, sub_cont, sub_cont},
        {lead4, sub_cont, sub_q, sub_cont},
        {lead4, sub_cont, sub_cont, sub_q},
        {sub},
    };
  }();
  return alts;
}

bool search_bytes(const std::vector<BytePattern>& alts, const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (match_bytes(alts, s, i) > 0) return true;
  }
  return false;
}

// fixes.restore_byte_a0.
std::string restore_byte_a0(const std::string& in) {
  // A_GRAVE_WORD_RE: "\xc3 " not followed by " ", "quele", "quela", "quilo" or "s ".
  std::string s;
  s.reserve(in.size() + 8);
  for (size_t i = 0; i < in.size(); ++i) {
    if (static_cast<uint8_t>(in[i]) == 0xC3 && i + 1 < in.size() && in[i + 1] == ' ') {
      const std::string_view rest = std::string_view(in).substr(i + 2);
      const bool excluded = rest.starts_with(" ") || rest.starts_with("quele") || rest.starts_with("quela") ||
                            rest.starts_with("quilo") || rest.starts_with("s ");
      if (!excluded) {
        s += "\xc3\xa0 ";
        ++i;
        continue;
      }
    }
    s.push_back(in[i]);
  }
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t len = match_bytes(altered_utf8(), s, i);
    if (len == 0) {
      out.push_back(s[i++]);
      continue;
    }
    for (size_t k = 0; k < len; ++k) out.push_back(s[i + k] == ' ' ? '\xa0' : s[i + k]);
    i += len;
  }
  return out;
}

// fixes.replace_lossy_sequences.
std::string replace_lossy_sequences(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t len = match_bytes(lossy_utf8(), s, i);
    if (len == 0) {
      out.push_back(s[i++]);
      continue;
    }
    out += "\xef\xbf\xbd";
    i += len;
  }
  return out;
}

// ---------------------------------------------------------------------------
// chardata.UTF8_CLUES, derived from the code pages they describe: what the lead
// and continuation bytes of UTF-8 look like when decoded with Latin-1 or
// Windows-1250/1251/1252/1253/1254/1257.
struct Utf8Clues {
  std::unordered_map<char32_t, int> first;  // code point -> sequence length (2, 3, 4)
  CharClass continuation;
  CharClass continuation_strict;
};

const Utf8Clues& utf8_clues() {
  static const Utf8Clues clues = [] {
    Utf8Clues c;
    // kCodecs indices: latin-1, 1252, 1251, 1250, 1253, 1254, 1257.
    constexpr size_t kClueCodecs[] = {0, 1, 2, 3, 4, 5, 6};
    std::u32string cont = U" ";
    std::u32string strict;
    const std::u32string_view not_strict = U" \u2013\u2014\u2015\u2018\u2019\u201A\u201C\u201D\u201E\u2022\u2026";
    for (int len : {2, 3, 4}) {
      for (size_t codec : kClueCodecs) {
        for (int b = 0x80; b <= 0xFF; ++b) {
          const char32_t cp = kCodecs[codec].decode[b];
          const bool lead = (len == 2 && b >= 0xC2 && b <= 0xDF) || (len == 3 && b >= 0xE0 && b <= 0xEF) ||
                            (len == 4 && (b == 0xF0 || b == 0xF3));
          if (lead) c.first.emplace(cp, len);
        }
      }
    }
    for (size_t codec : kClueCodecs) {
      for (int b = 0x80; b <= 0xBF; ++b) {
        const char32_t cp = kCodecs[codec].decode[b];
        cont.push_back(cp);
        if (not_strict.find(cp) == std::u32string_view::npos) strict.push_back(cp);
      }
    }
    for (char32_t cp : cont) c.continuation.add_range(cp, cp);
    for (char32_t cp : strict) c.continuation_strict.add_range(cp, cp);
    return c;
  }();
  return clues;
}

std::u32string fix_encoding_one_step(std::u32string_view text);

// fixes.decode_inconsistent_utf8: fixes runs that look like UTF-8 mojibake inside
// otherwise different text.
std::u32string decode_inconsistent_utf8(std::u32string_view text, bool* matched_any) {
  const Utf8Clues& clues = utf8_clues();
  std::u32string out;
  const size_t n = text.size();
  size_t i = 0;
  *matched_any = false;
  // One UTF-8-looking sequence at `pos`: its length in characters, or 0. The
  // lead-byte classes are tried in the expression's order (2, 3, 4).
  auto sequence_at = [&](size_t pos) -> size_t {
    if (pos >= n) return 0;
    auto it = clues.first.find(text[pos]);
    if (it == clues.first.end()) return 0;
    // A character may be a lead byte of several lengths in different code pages.
    for (int len : {2, 3, 4}) {
      bool is_lead = false;
      for (size_t codec : {0, 1, 2, 3, 4, 5, 6}) {
        for (int b = 0xC2; b <= 0xF3 && !is_lead; ++b) {
          const bool lead_of_len = (len == 2 && b <= 0xDF) || (len == 3 && b >= 0xE0 && b <= 0xEF) ||
                                   (len == 4 && (b == 0xF0 || b == 0xF3));
          if (lead_of_len && kCodecs[codec].decode[b] == text[pos]) is_lead = true;
        }
      }
      if (!is_lead) continue;
      if (pos + len > n) continue;
      bool ok = true;
      for (int k = 1; k < len && ok; ++k) ok = clues.continuation.contains(text[pos + k]);
      if (ok) return static_cast<size_t>(len);
    }
    return 0;
  };
  while (i < n) {
    const bool after_continuation = i > 0 && clues.continuation_strict.contains(text[i - 1]);
    size_t end = i;
    if (!after_continuation) {
      while (size_t len = sequence_at(end)) end += len;
    }
    if (end == i) {
      out.push_back(text[i++]);
      continue;
    }
    *matched_any = true;
    const std::u32string_view substr = text.substr(i, end - i);
    if (substr.size() < text.size() && is_bad(substr)) {
      out += fix_encoding(substr);
    } else {
      out.append(substr);
    }
    i = end;
  }
  return out;
}

// ftfy's _fix_encoding_one_step_and_explain.
std::u32string fix_encoding_one_step(std::u32string_view text) {
  if (text.empty()) return {};
  bool ascii = true;
  for (char32_t c : text) ascii = ascii && c < 0x80;
  if (ascii || !is_bad(text)) return std::u32string(text);

  bool latin1_possible = false;
  for (size_t codec = 0; codec < kCodecCount; ++codec) {
    std::optional<std::string> encoded = encode_single_byte(text, codec);
    if (!encoded) continue;
    if (codec == 0) latin1_possible = true;
    std::string bytes = std::move(*encoded);
    // As ftfy: not for Mac Roman, where an en dash and a space (D0 20) would read as
    // UTF-8 with a lost A0 byte ("Mccoy – Dr" would become "Mccoy Р Dr").
    const bool macroman = std::string_view(kCodecs[codec].name) == "macroman";
    if (!macroman && search_bytes(altered_utf8(), bytes)) bytes = restore_byte_a0(bytes);
    if (kCodecs[codec].sloppy) bytes = replace_lossy_sequences(bytes);
    const bool variants = bytes.find('\xed') != std::string::npos || bytes.find('\xc0') != std::string::npos;
    if (std::optional<std::u32string> decoded = decode_utf8_strict(bytes, variants)) return std::move(*decoded);
  }

  bool matched_any = false;
  std::u32string inconsistent = decode_inconsistent_utf8(text, &matched_any);
  if (matched_any && inconsistent != text) return inconsistent;

  if (latin1_possible) {
    // Latin-1 text with C1 controls was probably meant as (strict) Windows-1252.
    std::u32string fixed;
    bool ok = true;
    for (char32_t c : text) {
      if (c >= 0x80 && c <= 0x9F) {
        const char32_t d = kCodecs[1].decode[c];
        if (d == c) {  // unassigned in strict Windows-1252
          ok = false;
          break;
        }
        fixed.push_back(d);
      } else {
        fixed.push_back(c);
      }
    }
    if (ok && fixed != text) return fixed;
  }

  for (char32_t c : text) {
    if (c >= 0x80 && c <= 0x9F) return fix_c1_controls(text);
  }
  return std::u32string(text);
}

}  // namespace

bool is_bad(std::u32string_view text) {
  const auto& patterns = badness_patterns();
  for (size_t pos = 0; pos < text.size(); ++pos) {
    for (const SequencePattern& p : patterns) {
      if (p.anchored && pos != 0) continue;
      if (match_at(p.elements, 0, text, pos)) return true;
    }
  }
  return false;
}

std::u32string fix_encoding(std::u32string_view text) {
  std::u32string current(text);
  while (true) {
    std::u32string next = fix_encoding_one_step(current);
    if (next == current) return current;
    current = std::move(next);
  }
}

std::u32string fix_c1_controls(std::u32string_view text) {
  std::u32string out(text);
  for (char32_t& c : out) {
    if (c >= 0x80 && c <= 0x9F) c = kCodecs[1].decode[c];
  }
  return out;
}

}  // namespace clipkit::text
