// fuzz/fuzz_http.cpp — the HTTP request path of `clipkit serve`, in two steps per input:
//
//  1. cpp-httplib's own request parser reads the raw bytes in-process (a subclass of
//     httplib::Server calls its protected process_request on a memory stream; every
//     route captures the request). Malformed, truncated and oversized requests end here,
//     as they do on a socket; up to 4 pipelined requests are taken.
//  2. Each request httplib accepted is written out again, well-formed (its method,
//     target, headers, and body or multipart files, with an exact Content-Length and
//     "Connection: close"), and sent over loopback TCP to a real clipkit::Server: the
//     token check, routing and clipkit's handlers (query parameters, JSON bodies, text
//     and image queries through the tokenizer, decoders and model, index lookups, image
//     bytes by id, error answers).
//
// Why two steps: clipkit's routes live inside clipkit::Server (not reachable in-process
// without changing src/server), and raw bytes cannot go to its socket directly: a
// truncated request would keep the server waiting 30 s, and after a half-close
// (shutdown(SHUT_WR)) httplib writes no answer at all.
//
// Set up once: a temporary folder with three small images indexed by the tiny test
// model (../shared/fixtures), a server on an ephemeral port with token "fuzz-token",
// uploads capped at 1 MiB, images at 2^18 pixels. Findings besides crashes, leaks and
// sanitizer reports: an answer that is not well-formed HTTP/1.1, and a 500 (clipkit
// answers 500 only when something other than clipkit::Error escaped a handler).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <httplib.h>

#include "clipkit/clipkit.hpp"
#include "fuzz_support.hpp"

namespace {

namespace fs = std::filesystem;

struct Fixture {
  fs::path dir;
  std::shared_ptr<const clipkit::Clip> clip;
  std::shared_ptr<const clipkit::ImageIndex> index;
  std::unique_ptr<clipkit::Server> server;
  std::thread thread;
  int port = -1;
};

Fixture* g_fixture = nullptr;  // lives until exit (the server thread uses it)

void tear_down() {
  Fixture* f = g_fixture;
  if (!f) return;
  f->server->stop();
  if (f->thread.joinable()) f->thread.join();
  std::error_code ec;
  fs::remove_all(f->dir, ec);
}

void set_up() {
  const fs::path shared = CLIPKIT_SHARED_DIR;
  char tmpl[] = "/tmp/clipkit-fuzz-http-XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::perror("fuzz_http: mkdtemp");
    std::exit(2);
  }
  auto f = new Fixture();
  f->dir = tmpl;
  fs::create_directories(f->dir / "photos");
  for (const char* name : {"chelsea_small.png", "green_palette.png", "checker_bilevel.png"})
    fs::copy_file(shared / "data" / "images" / name, f->dir / "photos" / name);

  clipkit::ClipOptions clip_options;
  clip_options.vocab = shared / "data" / "clip" / "bpe_simple_vocab_16e6.txt.gz";
  clip_options.model.threads = 1;
  clip_options.decode.max_pixels = uint64_t{1} << 18;
  f->clip = std::make_shared<const clipkit::Clip>(
      clipkit::Clip::load(shared / "fixtures" / "models" / "tiny_quickgelu" / "open_clip", clip_options));
  auto index = clipkit::ImageIndex::open(f->dir / "fuzz.clipkit");
  const std::vector<fs::path> roots = {f->dir / "photos"};
  clipkit::IndexOptions index_options;
  index_options.decode_threads = 1;
  index->add(*f->clip, roots, index_options);
  f->index = std::move(index);

  clipkit::ServerOptions options;
  options.port = 0;
  options.token = "fuzz-token";
  options.max_upload_bytes = 1 << 20;
  options.max_k = 50;
  f->server = std::make_unique<clipkit::Server>(f->clip, f->index, options);
  f->port = f->server->bind();
  f->thread = std::thread([f] { f->server->run(); });
  g_fixture = f;
  std::atexit(tear_down);
}

// Step 1: httplib's parser over the input bytes.
class InputStream : public httplib::Stream {
 public:
  explicit InputStream(std::string_view bytes) : bytes_(bytes) {}
  bool exhausted() const { return at_ == bytes_.size(); }

  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, bytes_.size() - at_);
    std::memcpy(ptr, bytes_.data() + at_, n);
    at_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char*, size_t size) override { return static_cast<ssize_t>(size); }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 40000;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 8080;
  }
  socket_t socket() const override { return INVALID_SOCKET; }

 private:
  std::string_view bytes_;
  size_t at_ = 0;
};

struct ParsedRequest {
  std::string method, target, body;
  httplib::Headers headers;
  httplib::MultipartFormDataMap files;
  bool multipart = false;
};

class RequestParser : public httplib::Server {
 public:
  RequestParser() {
    const auto capture = [this](const httplib::Request& req, httplib::Response& res) {
      parsed_.push_back({req.method, req.target, req.body, req.headers, req.files, req.is_multipart_form_data()});
      res.status = 204;
    };
    Get(".*", capture);
    Post(".*", capture);
    Put(".*", capture);
    Patch(".*", capture);
    Delete(".*", capture);
    Options(".*", capture);
    set_payload_max_length(1 << 20);
  }

  std::vector<ParsedRequest> parse(std::string_view bytes) {
    parsed_.clear();
    InputStream stream(bytes);
    for (int i = 0; i < 4 && !stream.exhausted(); ++i) {
      bool closed = false;
      const size_t before = parsed_.size();
      if (!process_request(stream, false, closed, nullptr) || closed || parsed_.size() == before) break;
    }
    return std::move(parsed_);
  }

 private:
  std::vector<ParsedRequest> parsed_;
};

// Step 2: the request as a well-formed HTTP/1.1 message.
std::string serialize(const ParsedRequest& r) {
  std::string out = r.method + " " + r.target + " HTTP/1.1\r\n";
  for (const auto& [key, value] : r.headers) {
    std::string k = key;
    std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (k == "content-length" || k == "transfer-encoding" || k == "connection" || k == "expect" ||
        k == "content-encoding" || (r.multipart && k == "content-type"))
      continue;
    out += key + ": " + value + "\r\n";
  }
  std::string body = r.body;
  if (r.multipart) {
    const std::string boundary = "clipkitfuzzboundary";
    body.clear();
    for (const auto& [name, file] : r.files) {
      body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"";
      if (!file.filename.empty()) body += "; filename=\"" + file.filename + "\"";
      body += "\r\n";
      if (!file.content_type.empty()) body += "Content-Type: " + file.content_type + "\r\n";
      body += "\r\n" + file.content + "\r\n";
    }
    body += "--" + boundary + "--\r\n";
    out += "Content-Type: multipart/form-data; boundary=" + boundary + "\r\n";
  }
  out += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  return out + body;
}

// The server's whole answer: it closes the connection after answering.
std::string exchange(const std::string& request) {
  const int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  FUZZ_CHECK(sock >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(g_fixture->port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  FUZZ_CHECK(connect(sock, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(sock, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server answered early (e.g. 413) and closed
    sent += static_cast<size_t>(n);
  }
  std::string answer;
  char buffer[16384];
  for (;;) {
    pollfd p{sock, POLLIN, 0};
    if (poll(&p, 1, 60'000) <= 0) break;  // a hang is left to libFuzzer's -timeout
    const ssize_t n = recv(sock, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    answer.append(buffer, static_cast<size_t>(n));
  }
  close(sock);
  return answer;
}

// The status of each answer on the connection (several when requests were pipelined);
// aborts when the bytes are not a sequence of well-formed HTTP/1.1 answers.
std::vector<int> statuses(const std::string& answer) {
  std::vector<int> out;
  size_t at = 0;
  while (at < answer.size()) {
    const size_t head_end = answer.find("\r\n\r\n", at);
    if (answer.compare(at, 9, "HTTP/1.1 ") != 0 || head_end == std::string::npos || head_end < at + 12) {
      std::fprintf(stderr, "fuzz_http: malformed answer at byte %zu:\n%.2000s\n", at, answer.c_str());
      std::abort();
    }
    const int status = std::atoi(answer.substr(at + 9, 3).c_str());
    out.push_back(status);
    std::string head = answer.substr(at, head_end - at);
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t length = 0;
    const size_t field = head.find("\r\ncontent-length: ");
    if (field != std::string::npos) length = std::strtoull(head.c_str() + field + 18, nullptr, 10);
    // The next answer starts after the body, or right after the head (HEAD, 1xx, 204, 304).
    const size_t after_body = head_end + 4 + length;
    at = (status >= 200 && (after_body >= answer.size() || answer.compare(after_body, 9, "HTTP/1.1 ") == 0))
             ? after_body
             : head_end + 4;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  try {
    set_up();
  } catch (const clipkit::Error& e) {
    std::fprintf(stderr, "fuzz_http: set-up failed (fixtures in %s?): %s\n", CLIPKIT_SHARED_DIR, e.what());
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static RequestParser parser;
  static const bool verbose = std::getenv("CLIPKIT_FUZZ_HTTP_VERBOSE") != nullptr;  // for checking seeds
  for (const ParsedRequest& request : parser.parse(std::string_view(reinterpret_cast<const char*>(data), size))) {
    const std::string message = serialize(request);
    const std::string answer = exchange(message);
    if (verbose) std::fprintf(stderr, "fuzz_http: %.300s\n-> %.300s\n", message.c_str(), answer.c_str());
    for (int status : statuses(answer)) {
      if (status == 500) {
        std::fprintf(stderr, "fuzz_http: a 500 answer (something besides clipkit::Error escaped) to\n%.2000s\n-> %.2000s\n",
                     message.c_str(), answer.c_str());
        std::abort();
      }
    }
  }
  return 0;
}
