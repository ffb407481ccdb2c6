// text/mojibake.hpp — ftfy 6's detection and repair of mojibake (UTF-8 text that
// was decoded with a single-byte code page), reimplemented: the `is_bad`
// heuristic, re-encoding through ftfy's ten code pages, the a0/lossy-sequence
// transcoders, inconsistent embedded UTF-8 and C1 control characters.
//
//   auto fixed = clipkit::text::fix_encoding(U"Ã©tÃ©");  // U"été"
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace clipkit::text {

// ftfy.badness.is_bad: whether the text contains a sequence typical of mojibake.
bool is_bad(std::u32string_view text);

// ftfy.fix_encoding: repeats single repair steps until nothing changes.
std::u32string fix_encoding(std::u32string_view text);

// ftfy.fixes.fix_c1_controls: U+0080..U+009F read as sloppy Windows-1252.
std::u32string fix_c1_controls(std::u32string_view text);

}  // namespace clipkit::text
