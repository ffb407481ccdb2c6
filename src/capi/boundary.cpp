#include "capi/boundary.hpp"

#include <cstdio>
#include <string>

#include "clipkit/utf8.hpp"
#include "clipkit/version.hpp"

namespace clipkit::capi {

namespace {
// Per thread, as errno: a binding reads it right after the failing call on the same thread.
thread_local std::string last_message;
thread_local const char* last_error = "";
}  // namespace

clipkit_status to_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return CLIPKIT_INVALID_ARGUMENT;
    case ErrorCode::not_found: return CLIPKIT_NOT_FOUND;
    case ErrorCode::corrupt_data: return CLIPKIT_CORRUPT_DATA;
    case ErrorCode::unsupported: return CLIPKIT_UNSUPPORTED;
    case ErrorCode::resource_exhausted: return CLIPKIT_RESOURCE_EXHAUSTED;
    case ErrorCode::internal: return CLIPKIT_INTERNAL;
  }
  return CLIPKIT_INTERNAL;
}

clipkit_status fail(clipkit_status status, const char* function, const char* message) noexcept {
  try {
    last_message.assign(function).append(": ").append(message);
    last_error = last_message.c_str();
  } catch (...) {
    last_error = "out of memory (while recording an error message)";
  }
  return status;
}

size_t checked_product(size_t a, size_t b, const char* what) {
  size_t product;
  if (__builtin_mul_overflow(a, b, &product))
    throw Error(ErrorCode::invalid_argument, std::string(what) + ": " + std::to_string(a) + " × " +
                                                 std::to_string(b) + " overflows");
  return product;
}

void require_capacity(size_t capacity, size_t needed, const char* buffer, const char* unit) {
  if (capacity < needed)
    throw Error(ErrorCode::invalid_argument, std::string(buffer) + " holds " + std::to_string(capacity) + " " + unit +
                                                 ", the result needs " + std::to_string(needed));
}

void require_utf8(const char* text, const std::string& name) {
  if (auto at = invalid_utf8_offset(text)) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned>(static_cast<unsigned char>(text[*at])));
    throw Error(ErrorCode::invalid_argument,
                name + ": not valid UTF-8 (byte offset " + std::to_string(*at) + " is " + byte + ")");
  }
}

}  // namespace clipkit::capi

extern "C" {

const char* clipkit_status_string(clipkit_status status) {
  switch (status) {
    case CLIPKIT_OK: return "ok";
    case CLIPKIT_INVALID_ARGUMENT: return "invalid_argument";
    case CLIPKIT_NOT_FOUND: return "not_found";
    case CLIPKIT_CORRUPT_DATA: return "corrupt_data";
    case CLIPKIT_UNSUPPORTED: return "unsupported";
    case CLIPKIT_RESOURCE_EXHAUSTED: return "resource_exhausted";
    case CLIPKIT_INTERNAL: return "internal";
  }
  return "unknown";
}

const char* clipkit_last_error(void) { return clipkit::capi::last_error; }

const char* clipkit_version(void) { return clipkit::version(); }

}  // extern "C"
