// core/json_excerpt.hpp — a short text for a JSON value read from an untrusted file, for
// error messages.
//
//   corrupt(file, "\"hidden_size\" is " + core::json_excerpt(value) + ", expected an integer");
//   // "\"hidden_size\" is \"768\", expected ..."  /  "... is an array of 3 entries, expected ..."
//
// nlohmann::json::dump() recurses once per nesting level, so dumping `[[[[...]]]]` nested
// 10^5 deep (a 200 KB header) overflows the stack, and a 100 MB string makes a 100 MB
// message. This never recurses and never returns more than about max_chars characters.
// Thread-safe (no state).
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace clipkit::core {

// Scalars as JSON text (strings quoted, cut to max_chars with "..."), containers by kind
// and size ("an array of 3 entries", "an object of 2 keys").
std::string json_excerpt(const nlohmann::json& value, size_t max_chars = 40);

}  // namespace clipkit::core
