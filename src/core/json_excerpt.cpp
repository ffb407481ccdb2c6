#include "core/json_excerpt.hpp"

namespace clipkit::core {

std::string json_excerpt(const nlohmann::json& value, size_t max_chars) {
  using nlohmann::json;
  if (value.is_array()) return "an array of " + std::to_string(value.size()) + " entries";
  if (value.is_object()) return "an object of " + std::to_string(value.size()) + " keys";
  if (value.is_binary()) return "binary data";
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text.size() <= max_chars) return json(text).dump(-1, ' ', false, json::error_handler_t::replace);
    // Cut on a UTF-8 character boundary (never inside a multi-byte sequence).
    size_t cut = max_chars;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    std::string quoted = json(text.substr(0, cut)).dump(-1, ' ', false, json::error_handler_t::replace);
    quoted.insert(quoted.size() - 1, "...");
    return quoted;
  }
  return value.dump();  // a number, true/false or null: short
}

}  // namespace clipkit::core
