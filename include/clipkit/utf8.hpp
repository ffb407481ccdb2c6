// clipkit/utf8.hpp — text is UTF-8, but paths and arguments are bytes: the checks and
// the lossless carrying that every JSON output (CLI, server) uses for them.
//
//   if (auto at = clipkit::invalid_utf8_offset(path)) { ... }   // first bad byte
//   json["path"] = clipkit::utf8_for_display(path);              // U+FFFD for bad bytes
//   json["path_b64"] = clipkit::base64(path);                     // the exact bytes
//
// Valid means RFC 3629: no overlong forms, surrogates or code points over U+10FFFF.
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace clipkit {

// The offset of the first byte that is not part of a valid UTF-8 sequence, or nullopt.
std::optional<size_t> invalid_utf8_offset(std::string_view bytes);
// Valid UTF-8 as it is; each byte that is not part of a valid sequence becomes U+FFFD.
std::string utf8_for_display(std::string_view bytes);
// Standard base64 (RFC 4648, with padding).
std::string base64(std::string_view bytes);

}  // namespace clipkit
