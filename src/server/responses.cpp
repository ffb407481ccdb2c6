#include "server/responses.hpp"

#include <cstring>
#include <nlohmann/json.hpp>

namespace clipkit::server {

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return 400;
    case ErrorCode::corrupt_data: return 422;
    case ErrorCode::not_found: return 404;
    case ErrorCode::unsupported: return 415;
    case ErrorCode::resource_exhausted: return 413;
    case ErrorCode::internal: return 500;
  }
  return 500;
}

std::string error_body(const std::string& code, const std::string& message) {
  return nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

const char* image_content_type(std::span<const uint8_t> head) {
  auto starts = [&](const char* magic, size_t n, size_t at = 0) {
    return head.size() >= at + n && std::memcmp(head.data() + at, magic, n) == 0;
  };
  if (starts("\xff\xd8\xff", 3)) return "image/jpeg";
  if (starts("\x89PNG", 4)) return "image/png";
  if (starts("GIF8", 4)) return "image/gif";
  if (starts("BM", 2)) return "image/bmp";
  if (starts("RIFF", 4) && starts("WEBP", 4, 8)) return "image/webp";
  return "application/octet-stream";
}

}  // namespace clipkit::server
