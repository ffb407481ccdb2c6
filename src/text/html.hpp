// text/html.hpp — HTML character references, as Python's html.unescape and as
// ftfy's (stricter) unescape_html.
//
//   auto s = clipkit::text::html_unescape(U"rock &amp; roll");  // U"rock & roll"
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace clipkit::text {

// Python's html.unescape: named references with or without ';' (longest known
// prefix), decimal/hex references with the HTML5 replacement rules.
std::u32string html_unescape(std::u32string_view text);

// ftfy.fixes.unescape_html: only "&name;" / "&#...;" of at most 24 ASCII
// alphanumerics, plus upper-cased entity names such as "&NTILDE;".
std::u32string ftfy_unescape_html(std::u32string_view text);

}  // namespace clipkit::text
