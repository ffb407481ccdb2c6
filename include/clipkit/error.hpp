// clipkit/error.hpp — the one exception type of the C++ API.
//
// Every failure clipkit reports (a corrupt checkpoint, a truncated image, a text
// that cannot be tokenized, ...) is a clipkit::Error carrying a code and a message
// that names the file/tensor/text and what was expected versus found.
//
//   try { auto model = clipkit::Model::load("ViT-B-32.pt"); }
//   catch (const clipkit::Error& e) { std::cerr << e.what() << "\n"; }
#pragma once

#include <stdexcept>
#include <string>

namespace clipkit {

enum class ErrorCode {
  invalid_argument,    // the caller passed something unusable (empty text, bad size)
  not_found,           // a file, tensor or key that should exist does not
  corrupt_data,        // bytes that do not parse: truncated file, bad header, bad pickle
  unsupported,         // valid input clipkit does not handle (ResNet, unknown dtype)
  resource_exhausted,  // over a configured cap (pixel count, upload size)
  internal,            // a bug in clipkit
};

const char* to_string(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace clipkit
