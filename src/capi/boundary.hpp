// The C API's boundary: every extern "C" function runs its body through guard(), which
// turns any C++ exception into a clipkit_status and the thread's last-error message.
// Helpers here throw clipkit::Error, so the bodies read like the C++ API.
#pragma once

#include <cstddef>
#include <new>
#include <stdexcept>
#include <string>

#include "clipkit/clipkit.h"
#include "clipkit/error.hpp"

namespace clipkit::capi {

clipkit_status to_status(ErrorCode code);
// Records "<function>: <message>" as the calling thread's last error and returns
// `status`. Never throws: without memory for the text, a fixed message stands in.
clipkit_status fail(clipkit_status status, const char* function, const char* message) noexcept;

// `function`: the C function's name, put in front of every message so that a binding's
// exception says which call failed.
template <class Body>
clipkit_status guard(const char* function, Body&& body) noexcept {
  try {
    body();
    return CLIPKIT_OK;
  } catch (const Error& e) {
    return fail(to_status(e.code()), function, e.what());
  } catch (const std::bad_alloc&) {
    return fail(CLIPKIT_RESOURCE_EXHAUSTED, function, "out of memory");
  } catch (const std::exception& e) {
    return fail(CLIPKIT_INTERNAL, function, e.what());
  } catch (...) {
    return fail(CLIPKIT_INTERNAL, function, "unknown exception");
  }
}

// Error(invalid_argument) "<name> is NULL" for a NULL pointer argument.
inline void require(const void* pointer, const char* name) {
  if (!pointer) throw Error(ErrorCode::invalid_argument, std::string(name) + " is NULL");
}

// a × b, or Error(invalid_argument) naming `what` when it overflows size_t.
size_t checked_product(size_t a, size_t b, const char* what);

// Error(invalid_argument) when an output buffer of `capacity` elements cannot hold `needed`.
void require_capacity(size_t capacity, size_t needed, const char* buffer, const char* unit);

// Error(invalid_argument) when text is not valid UTF-8, naming it as `name`.
void require_utf8(const char* text, const std::string& name);

}  // namespace clipkit::capi
