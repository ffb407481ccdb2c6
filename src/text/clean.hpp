// text/clean.hpp — CLIP's text clean-up before BPE, as OpenAI's simple_tokenizer:
//   basic_clean:      ftfy.fix_text (ftfy 6.3 defaults), html.unescape twice, strip
//   whitespace_clean: every run of whitespace becomes one space, strip
//   then str.lower().
//
//   std::u32string t = clipkit::text::clean_text("Don&rsquo;t  ﬁnd\tＡＢＣ");
//   // U"don't find abc"
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace clipkit::text {

// ftfy.fix_text with its default configuration: per line, repeated until stable:
// unescape_html (unless the text has a '<'), fix_encoding, fix_c1_controls,
// fix_latin_ligatures, fix_character_width, uncurl_quotes, fix_line_breaks,
// remove_terminal_escapes, remove_control_chars, NFC.
std::u32string fix_text(std::u32string_view text);

// The single fixers, exposed for tests.
std::u32string fix_latin_ligatures(std::u32string_view text);
std::u32string fix_character_width(std::u32string_view text);
std::u32string uncurl_quotes(std::u32string_view text);
std::u32string fix_line_breaks(std::u32string_view text);
std::u32string remove_terminal_escapes(std::u32string_view text);
std::u32string remove_control_chars(std::u32string_view text);

// simple_tokenizer.basic_clean / whitespace_clean.
std::u32string basic_clean(std::u32string_view text);
std::u32string whitespace_clean(std::u32string_view text);

// whitespace_clean(basic_clean(text)).lower(), from UTF-8.
std::u32string clean_text(std::string_view utf8_text);

}  // namespace clipkit::text
