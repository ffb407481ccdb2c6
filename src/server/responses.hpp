// server/responses.hpp — how the API answers: Error codes to HTTP statuses, JSON error
// bodies, and sniffing an image's content type from its first bytes. Pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "clipkit/error.hpp"

namespace clipkit::server {

int http_status(ErrorCode code);
// {"error": {"code": "...", "message": "..."}}
std::string error_body(const std::string& code, const std::string& message);
// "image/jpeg", "image/png", ... or "application/octet-stream".
const char* image_content_type(std::span<const uint8_t> head);

}  // namespace clipkit::server
