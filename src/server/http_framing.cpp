#include "server/http_framing.hpp"

#include <array>
#include <cstdio>

#include "server/responses.hpp"

namespace clipkit::server {

namespace {

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  for (char t : std::string_view("!#$%&'*+-.^_`|~"))
    if (c == t) return true;
  return false;
}

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// At most 40 characters of client text for a message, control bytes escaped.
std::string quote(std::string_view s) {
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < 40; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f || c == '\'') {
      std::array<char, 8> hex{};
      std::snprintf(hex.data(), hex.size(), "\\x%02x", c);
      out += hex.data();
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 40) out += "...";
  return out + "'";
}

// A decimal without sign, spaces or leading "+": what cpp-httplib's strtoull reads the
// same way. Fails on overflow.
std::optional<uint64_t> parse_decimal(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

Refusal make_refusal(int status, const char* code, std::string message) { return {status, code, std::move(message)}; }

HeadScan refused(int status, const char* code, std::string message) {
  HeadScan scan;
  scan.refusal = make_refusal(status, code, std::move(message));
  return scan;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
  }
  return status < 500 ? "Bad Request" : "Internal Server Error";
}

}  // namespace

size_t find_head_end(std::string_view bytes, size_t from) {
  const size_t at = bytes.find("\r\n\r\n", from);
  return at == std::string_view::npos ? std::string_view::npos : at + 4;
}

std::optional<Refusal> incomplete_head_refusal(size_t size, const HeadLimits& limits) {
  if (size < limits.max_head_bytes) return std::nullopt;
  return make_refusal(431, "resource_exhausted",
                 "the request head (request line and headers) is over " + std::to_string(limits.max_head_bytes) +
                     " bytes");
}

HeadScan scan_request_head(std::string_view head, const HeadLimits& limits) {
  if (head.size() > limits.max_head_bytes) return {RequestHead{}, incomplete_head_refusal(head.size(), limits)};
  if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n")
    return refused(400, "invalid_argument", "the request head does not end with an empty line");
  // A bare CR or LF, NUL or another control byte would let cpp-httplib split lines where
  // this scan does not (it skips lines without CRLF); refuse them all.
  for (size_t i = 0; i < head.size(); ++i) {
    const auto c = static_cast<unsigned char>(head[i]);
    const bool crlf = (c == '\r' && i + 1 < head.size() && head[i + 1] == '\n') || (c == '\n' && i > 0 && head[i - 1] == '\r');
    if ((c < 0x20 && c != '\t' && !crlf) || c == 0x7f)
      return refused(400, "invalid_argument",
                     "a control character (byte " + std::to_string(c) + ") at offset " + std::to_string(i) +
                         " of the request head; lines must end with CRLF");
  }

  HeadScan scan;
  RequestHead& h = scan.head;
  h.size = head.size();

  size_t line_end = head.find("\r\n");
  const std::string_view request_line = head.substr(0, line_end);
  const size_t sp1 = request_line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || sp1 == 0 || sp2 == sp1 + 1 ||
      request_line.find(' ', sp2 + 1) != std::string_view::npos)
    return refused(400, "invalid_argument",
                   "the request line " + quote(request_line) + " is not 'METHOD TARGET HTTP/1.1'");
  const std::string_view method = request_line.substr(0, sp1);
  for (char c : method)
    if (!is_tchar(c)) return refused(400, "invalid_argument", "the method " + quote(method) + " is not a token");
  const std::string_view version = request_line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    if (version.substr(0, 5) == "HTTP/")
      return refused(505, "unsupported", "HTTP version " + quote(version) + " is not supported (1.0 and 1.1 are)");
    return refused(400, "invalid_argument", "the request line " + quote(request_line) + " has no HTTP version");
  }
  h.method = std::string(method);

  size_t headers = 0, content_lengths = 0, transfer_encodings = 0;
  std::string_view content_length, transfer_encoding;
  for (size_t at = line_end + 2; at < head.size();) {
    line_end = head.find("\r\n", at);
    const std::string_view line = head.substr(at, line_end - at);
    const size_t line_at = at;
    at = line_end + 2;
    if (line.empty()) break;  // the blank line: the end of the head
    if (++headers > limits.max_headers)
      return refused(431, "resource_exhausted",
                     "the request has more than " + std::to_string(limits.max_headers) + " header lines");
    if (line.front() == ' ' || line.front() == '\t')
      return refused(400, "invalid_argument", "header line " + quote(line) + " is folded (starts with a space)");
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      return refused(400, "invalid_argument", "header line " + quote(line) + " has no ':'");
    const std::string_view name = line.substr(0, colon);
    bool token = !name.empty();
    for (char c : name) token = token && is_tchar(c);
    if (!token)
      return refused(400, "invalid_argument",
                     "header name " + quote(name) + " is not a token (no spaces before the ':')");
    const std::string_view value = trim(line.substr(colon + 1));
    if (same_name(name, "Content-Length")) {
      ++content_lengths;
      content_length = value;
    } else if (same_name(name, "Transfer-Encoding")) {
      ++transfer_encodings;
      transfer_encoding = value;
    } else if (same_name(name, "Expect")) {
      if (!same_name(value, "100-continue"))
        return refused(417, "unsupported", "Expect: " + quote(value) + " is not supported (only 100-continue)");
      h.expect_continue = true;
      h.expect_at = line_at;
    }
  }

  if (content_lengths > 1)
    return refused(400, "invalid_argument",
                   "the request has " + std::to_string(content_lengths) + " Content-Length headers; send one");
  if (transfer_encodings > 1)
    return refused(400, "invalid_argument", "the request has more than one Transfer-Encoding header");
  if (content_lengths == 1 && transfer_encodings == 1)
    return refused(400, "invalid_argument", "the request has both Content-Length and Transfer-Encoding; send one");
  if (transfer_encodings == 1) {
    if (!same_name(transfer_encoding, "chunked"))
      return refused(501, "unsupported",
                     "Transfer-Encoding " + quote(transfer_encoding) + " is not supported (only chunked)");
    h.framing = BodyFraming::chunked;
  } else if (content_lengths == 1) {
    const auto length = parse_decimal(content_length);
    if (!length)
      return refused(400, "invalid_argument",
                     "Content-Length " + quote(content_length) + " is not a decimal byte count");
    if (*length > limits.max_body_bytes)
      return refused(413, "resource_exhausted",
                     "Content-Length " + std::to_string(*length) + " is over the upload limit of " +
                         std::to_string(limits.max_body_bytes) + " bytes");
    h.content_length = *length;
    h.framing = *length > 0 ? BodyFraming::content_length : BodyFraming::none;
  } else if (method == "POST" || method == "PUT" || method == "PATCH") {
    return refused(411, "invalid_argument",
                   std::string(method) + " needs a Content-Length header (or Transfer-Encoding: chunked)");
  }
  if (h.framing == BodyFraming::none) h.expect_continue = false;
  return scan;
}

ChunkedBodyScanner::State ChunkedBodyScanner::refuse(int status, const char* code, std::string message) {
  refusal_ = make_refusal(status, code, std::move(message));
  return State::refused;
}

ChunkedBodyScanner::State ChunkedBodyScanner::feed(std::string_view body) {
  constexpr size_t kMaxSizeLine = 1024;  // hex size + extensions
  while (pos_ < body.size() || step_ == Step::done) {
    switch (step_) {
      case Step::size_line: {
        const size_t end = body.find("\r\n", pos_);
        if (end == std::string_view::npos) {
          if (body.size() - pos_ > kMaxSizeLine)
            return refuse(400, "invalid_argument", "a chunk-size line is over 1024 bytes");
          return State::incomplete;
        }
        const std::string_view line = body.substr(pos_, end - pos_);
        const std::string_view hex = trim(line.substr(0, line.find(';')));
        if (hex.empty() || hex.size() > 15)
          return refuse(400, "invalid_argument", "chunk size " + quote(line) + " is not a hex number");
        uint64_t size = 0;
        for (char c : hex) {
          const int digit = c >= '0' && c <= '9'   ? c - '0'
                            : c >= 'a' && c <= 'f' ? c - 'a' + 10
                            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                   : -1;
          if (digit < 0) return refuse(400, "invalid_argument", "chunk size " + quote(line) + " is not a hex number");
          size = size * 16 + static_cast<uint64_t>(digit);
        }
        if (size > max_body_bytes_ - decoded_)
          return refuse(413, "resource_exhausted",
                        "the chunked body is over the upload limit of " + std::to_string(max_body_bytes_) + " bytes");
        pos_ = end + 2;
        decoded_ += size;
        remaining_ = size;
        step_ = size == 0 ? Step::last_crlf : Step::data;
        break;
      }
      case Step::data: {
        const uint64_t take = std::min<uint64_t>(remaining_, body.size() - pos_);
        pos_ += static_cast<size_t>(take);
        remaining_ -= take;
        if (remaining_ > 0) return State::incomplete;
        step_ = Step::data_crlf;
        break;
      }
      case Step::data_crlf:
      case Step::last_crlf: {
        if (body.size() - pos_ < 2) return State::incomplete;
        if (body.substr(pos_, 2) != "\r\n")
          return refuse(400, "invalid_argument",
                        step_ == Step::data_crlf ? "a chunk's data is not followed by CRLF"
                                                 : "chunked trailers are not supported (end with '0\\r\\n\\r\\n')");
        pos_ += 2;
        step_ = step_ == Step::data_crlf ? Step::size_line : Step::done;
        break;
      }
      case Step::done: return State::complete;
    }
  }
  return State::incomplete;
}

std::string refusal_response(const Refusal& r) {
  const std::string body = error_body(r.code, r.message);
  return "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace clipkit::server
