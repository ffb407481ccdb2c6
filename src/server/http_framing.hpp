// server/http_framing.hpp — where an HTTP/1.1 request starts and ends, decided on the
// raw bytes before anything else reads them: the head (request line + headers) and the
// body's framing (Content-Length, chunked, or none). Pure functions over untrusted bytes.
//
// The connection layer (connections.hpp) reads a request with these until it is
// complete, and only then hands it to cpp-httplib; every request the framing refuses is
// answered here with a status and a message that names what is wrong:
//
//   HeadLimits limits{.max_body_bytes = 32 << 20};
//   const size_t end = find_head_end(bytes, 0);          // npos: not all here yet
//   HeadScan scan = scan_request_head(bytes.substr(0, end), limits);
//   if (scan.refusal) reply(scan.refusal->status, scan.refusal->message);
//
// Refused, among others: two Content-Length headers (400), a Content-Length that is not
// a plain decimal (400) or over max_body_bytes (413), both Content-Length and
// Transfer-Encoding (400), a Transfer-Encoding other than "chunked" (501), a POST, PUT or
// PATCH with neither (411), heads over max_head_bytes or with more than max_headers
// lines (431), control characters or bare CR/LF in the head (400), whitespace before a
// header's colon (400). Stricter than cpp-httplib's own reader on purpose: whatever
// these functions accept, cpp-httplib frames the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clipkit::server {

struct HeadLimits {
  size_t max_head_bytes = 16 << 10;  // request line + headers + the blank line
  size_t max_headers = 100;
  uint64_t max_body_bytes = 32u << 20;  // declared (Content-Length) or decoded (chunked)
};

// A refused request: the HTTP status, the error code of the JSON body ("invalid_argument",
// "resource_exhausted", "unsupported") and a message naming the field and what is wrong.
struct Refusal {
  int status = 400;
  std::string code;
  std::string message;
};

enum class BodyFraming { none, content_length, chunked };

struct RequestHead {
  std::string method;
  size_t size = 0;  // bytes of the head, through the blank line
  BodyFraming framing = BodyFraming::none;
  uint64_t content_length = 0;
  bool expect_continue = false;  // "Expect: 100-continue"
  size_t expect_at = 0;          // offset of that header's name in the head
};

struct HeadScan {
  RequestHead head;               // valid when !refusal
  std::optional<Refusal> refusal;
};

// The offset just past the "\r\n\r\n" that ends the head, searching from `from` (pass the
// previous size minus 3 to rescan only new bytes), or npos when it is not there yet.
size_t find_head_end(std::string_view bytes, size_t from);

// `head` is the complete head, through its blank line (see find_head_end).
HeadScan scan_request_head(std::string_view head, const HeadLimits& limits);

// The refusal for a head not complete after `size` bytes, if that is already too many.
std::optional<Refusal> incomplete_head_refusal(size_t size, const HeadLimits& limits);

// Follows a chunked body as its bytes arrive, without copying them: feed() the whole
// body received so far (from just after the head) each time more arrives; it resumes
// where it stopped. Chunk extensions are skipped; trailers are refused (cpp-httplib
// cannot read them).
class ChunkedBodyScanner {
 public:
  enum class State { incomplete, complete, refused };
  explicit ChunkedBodyScanner(uint64_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}

  State feed(std::string_view body);
  size_t framed_size() const { return pos_; }   // bytes of the framed body once complete
  uint64_t decoded_size() const { return decoded_; }
  const Refusal& refusal() const { return refusal_; }

 private:
  State refuse(int status, const char* code, std::string message);

  enum class Step { size_line, data, data_crlf, last_crlf, done };
  uint64_t max_body_bytes_;
  Step step_ = Step::size_line;
  size_t pos_ = 0;          // bytes of the body consumed so far
  uint64_t remaining_ = 0;  // of the current chunk's data
  uint64_t decoded_ = 0;
  Refusal refusal_;
};

// "HTTP/1.1 413 Payload Too Large\r\n...Connection: close\r\n\r\n{"error": ...}".
std::string refusal_response(const Refusal& refusal);

}  // namespace clipkit::server
