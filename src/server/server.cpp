// clipkit::Server — cpp-httplib routes over an ImageIndex and a Clip.
#include "clipkit/server.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "clipkit/clip.hpp"
#include "clipkit/error.hpp"
#include "clipkit/image.hpp"
#include "clipkit/index.hpp"
#include "clipkit/similarity.hpp"
#include "clipkit/utf8.hpp"
#include "clipkit/version.hpp"
#include "server/connections.hpp"
#include "server/responses.hpp"
#include "server/web_page.hpp"

namespace clipkit {

namespace {

using nlohmann::json;

void send_json(httplib::Response& res, const json& body, int status = 200) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message) {
  res.status = status;
  res.set_content(server::error_body(code, message), "application/json");
}

// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.size() ? b.size() : 1)]);
  return diff == 0;
}

size_t parse_count(const std::string& text, const char* what, size_t max) {
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || v < 1 || static_cast<unsigned long long>(v) > max)
    throw Error(ErrorCode::invalid_argument, std::string(what) + " must be an integer in [1, " + std::to_string(max) +
                                                 "], got '" + text.substr(0, 40) + "'");
  return static_cast<size_t>(v);
}

float parse_score(const std::string& text) {
  size_t used = 0;
  float v = 0;
  try {
    v = std::stof(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(v >= -1.0f && v <= 1.0f))
    throw Error(ErrorCode::invalid_argument, "threshold must be a number in [-1, 1], got '" + text.substr(0, 40) + "'");
  return v;
}

// cpp-httplib's routing and answers, with the sockets handed to server::Connections:
// its accept loop gives each new socket away at once (an inline task queue and
// process_and_close_socket overridden), and Connections calls serve_one() for each
// request once it has fully arrived.
class HttpServer : public httplib::Server {
 public:
  HttpServer() {
    new_task_queue = [] { return new InlineQueue; };
  }
  void set_connections(server::Connections* connections) { connections_ = connections; }
  bool serve_one(httplib::Stream& stream, bool last, bool& closed) {
    return process_request(stream, last, closed, nullptr);
  }
  // cpp-httplib listens with a backlog of 5: a burst of connections beyond it would wait
  // for SYN retries (a second or more). Linux lets listen() raise it on a bound socket.
  void raise_backlog() {
    if (svr_sock_ != INVALID_SOCKET) ::listen(svr_sock_, SOMAXCONN);
  }
  // httplib::Server::stop() does nothing until listen has started; this also stops a
  // listen that is about to start.
  void close_listener() {
    const socket_t sock = svr_sock_.exchange(INVALID_SOCKET);
    if (sock != INVALID_SOCKET) {
      ::shutdown(sock, SHUT_RDWR);
      ::close(sock);
    }
  }

 private:
  struct InlineQueue : httplib::TaskQueue {
    void enqueue(std::function<void()> fn) override { fn(); }
    void shutdown() override {}
  };
  bool process_and_close_socket(socket_t sock) override {
    if (connections_) {
      connections_->add(sock);
    } else {
      ::close(sock);
    }
    return true;
  }
  server::Connections* connections_ = nullptr;
};

// A query parameter given more than once is refused rather than guessed at.
void check_single_params(const httplib::Request& req) {
  for (const char* name : {"q", "k", "threshold"})
    if (req.get_param_value_count(name) > 1)
      throw Error(ErrorCode::invalid_argument, std::string("the ") + name + " parameter is given " +
                                                   std::to_string(req.get_param_value_count(name)) + " times");
}

// Fields outside `known` are refused, so that a typo is not silently ignored.
void check_fields(const json& body, std::initializer_list<const char*> known) {
  for (const auto& item : body.items()) {
    // Not a structured binding: clang 14 (the sanitizer build) cannot capture one.
    const std::string& key = item.key();
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
      std::string list;
      for (const char* k : known) list += std::string(list.empty() ? "" : ", ") + "\"" + k + "\"";
      throw Error(ErrorCode::invalid_argument, "unknown field \"" + key.substr(0, 40) + "\" (known: " + list + ")");
    }
  }
}

}  // namespace

namespace {

class IndexSource : public SearchSource {
 public:
  explicit IndexSource(std::shared_ptr<const ImageIndex> index) : index_(std::move(index)) {}
  SourceAnswer search(std::span<const float> query, const SearchOptions& options) const override {
    return {index_->search(query, options), 0, {}};
  }
  std::vector<float> vector(int64_t id) const override { return index_->vector(id); }
  std::optional<IndexedFile> file(int64_t id) const override { return index_->file(id); }
  IndexStats stats() const override { return index_->stats(); }

 private:
  std::shared_ptr<const ImageIndex> index_;
};

}  // namespace

std::shared_ptr<const SearchSource> index_source(std::shared_ptr<const ImageIndex> index) {
  if (!index) throw Error(ErrorCode::invalid_argument, "Server needs an index");
  return std::make_shared<IndexSource>(std::move(index));
}

struct Server::Impl {
  std::shared_ptr<const Clip> clip;
  std::shared_ptr<const SearchSource> index;
  ServerOptions options;
  HttpServer http;
  std::unique_ptr<server::Connections> connections;
  int port = -1;

  const Clip& model() const {
    if (!clip) throw Error(ErrorCode::unsupported, "this server was started without a model: only \"like\" searches work");
    return *clip;
  }

  SearchOptions search_options(const httplib::Request& req, const json* body) const {
    SearchOptions o;
    check_single_params(req);
    for (const char* name : {"k", "threshold"})
      if (body && req.has_param(name) && body->contains(name))
        throw Error(ErrorCode::invalid_argument,
                    std::string("\"") + name + "\" is given both in the URL and in the body; give it once");
    if (req.has_param("k")) o.k = parse_count(req.get_param_value("k"), "k", options.max_k);
    if (req.has_param("threshold")) o.threshold = parse_score(req.get_param_value("threshold"));
    if (body) {
      if (body->contains("k")) {
        const json& k = (*body)["k"];
        if (!k.is_number_integer() || k.get<long long>() < 1 || k.get<unsigned long long>() > options.max_k)
          throw Error(ErrorCode::invalid_argument, "\"k\" must be an integer in [1, " + std::to_string(options.max_k) + "]");
        o.k = k.get<size_t>();
      }
      if (body->contains("threshold")) {
        const json& t = (*body)["threshold"];
        if (!t.is_number() || !(t.get<double>() >= -1 && t.get<double>() <= 1))
          throw Error(ErrorCode::invalid_argument, "\"threshold\" must be a number in [-1, 1]");
        o.threshold = t.get<float>();
      }
    }
    return o;
  }

  json results(const SourceAnswer& answer, std::chrono::steady_clock::time_point start) const {
    const std::vector<SearchHit>& hits = answer.hits;
    json list = json::array();
    for (size_t i = 0; i < hits.size(); ++i) {
      const std::string name = std::filesystem::path(hits[i].path).filename().string();
      json hit = {{"rank", i + 1},
                  {"id", hits[i].id},
                  {"path", utf8_for_display(hits[i].path)},
                  {"name", utf8_for_display(name)},
                  {"score", hits[i].score},
                  {"url", "/api/images/" + std::to_string(hits[i].id)}};
      // Paths are bytes: as the CLI's --json, the exact bytes ride along in base64 when
      // they are not UTF-8 (README, "JSON output").
      if (invalid_utf8_offset(hits[i].path)) {
        hit["path_b64"] = base64(hits[i].path);
        hit["name_b64"] = base64(name);
      }
      list.push_back(std::move(hit));
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    json j = {{"results", list}, {"took_ms", ms}};
    if (answer.shards > 0) {  // a cluster: never a silent partial answer
      j["shards"] = answer.shards;
      j["missing"] = answer.missing;
      j["partial"] = !answer.missing.empty();
    }
    return j;
  }

  // The length is checked before anything else: tokenizing costs time in proportion to
  // the text, while CLIP reads only its first 77 tokens (a few hundred bytes).
  std::vector<float> text_query(const std::string& text) const {
    if (text.size() > options.max_text_bytes)
      throw Error(ErrorCode::invalid_argument,
                  "the query text is " + std::to_string(text.size()) + " bytes, over the limit of " +
                      std::to_string(options.max_text_bytes) + " bytes of UTF-8 (CLIP reads only its first 77 tokens)");
    return normalized(model().embed_text(text));
  }

  std::string upload(const httplib::Request& req) const {
    if (req.is_multipart_form_data()) {
      if (!req.has_file("image"))
        throw Error(ErrorCode::invalid_argument, "multipart upload without an \"image\" field");
      return req.get_file_value("image").content;
    }
    if (req.body.empty()) throw Error(ErrorCode::invalid_argument, "empty upload: send the image bytes as the body");
    return req.body;
  }

  std::vector<float> image_query(const httplib::Request& req) const {
    const std::string bytes = upload(req);
    const Clip& c = model();
    Image image = decode_image_memory(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
                                      "the uploaded image", c.options().decode);
    return normalized(c.embed_image(image));
  }

  json parse_body(const httplib::Request& req) const {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      throw Error(ErrorCode::invalid_argument, "the request body is not a JSON object");
    return body;
  }

  void routes() {
    auto guarded = [](auto handler) {
      return [handler](const httplib::Request& req, httplib::Response& res) {
        try {
          handler(req, res);
        } catch (const Error& e) {
          send_error(res, server::http_status(e.code()), to_string(e.code()), e.what());
        } catch (const json::exception&) {
          // The library's text names its internals, not the request; the checks above
          // should leave nothing to reach here.
          send_error(res, 400, "invalid_argument", "a value in the JSON body has the wrong type");
        } catch (const std::bad_alloc&) {
          send_error(res, 413, "resource_exhausted", "out of memory for this request");
        } catch (const std::exception&) {
          send_error(res, 500, "internal", "unexpected failure while answering " + req.method + " " + req.path.substr(0, 200));
        }
      };
    };

    http.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(server::kWebPage, "text/html; charset=utf-8");
    });
    http.Get("/index.html", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(server::kWebPage, "text/html; charset=utf-8");
    });
    http.Get("/api/health", guarded([](const httplib::Request&, httplib::Response& res) {
               send_json(res, {{"status", "ok"}, {"version", version()}});
             }));
    http.Get("/api/stats", guarded([this](const httplib::Request&, httplib::Response& res) {
               IndexStats s = index->stats();
               json j = {{"files", s.files},   {"vectors", s.vectors}, {"errors", s.errors},
                         {"dim", s.dim},       {"vector_type", to_string(s.vector_type)},
                         {"hnsw", s.hnsw_fresh}, {"model", nullptr}, {"can_embed", clip != nullptr}};
               if (s.model) {
                 j["model"] = {{"path", s.model->model_path}, {"description", s.model->description}};
                 if (!s.model->text_model_path.empty()) j["model"]["text_model_path"] = s.model->text_model_path;
               }
               send_json(res, j);
             }));
    http.Get("/api/search", guarded([this](const httplib::Request& req, httplib::Response& res) {
               const auto start = std::chrono::steady_clock::now();
               if (!req.has_param("q")) throw Error(ErrorCode::invalid_argument, "missing the q parameter (the text)");
               auto hits = index->search(text_query(req.get_param_value("q")), search_options(req, nullptr));
               send_json(res, results(hits, start));
             }));
    http.Post("/api/search", guarded([this](const httplib::Request& req, httplib::Response& res) {
                const auto start = std::chrono::steady_clock::now();
                json body = parse_body(req);
                check_fields(body, {"text", "like", "k", "threshold"});
                if (body.contains("text") && body.contains("like"))
                  throw Error(ErrorCode::invalid_argument,
                              "give one of \"text\" and \"like\", not both: they are different queries");
                SearchOptions o = search_options(req, &body);
                std::vector<float> query;
                if (body.contains("text")) {
                  if (!body["text"].is_string()) throw Error(ErrorCode::invalid_argument, "\"text\" must be a string");
                  query = text_query(body["text"].get<std::string>());
                } else if (body.contains("like")) {
                  if (!body["like"].is_number_integer())
                    throw Error(ErrorCode::invalid_argument, "\"like\" must be the integer id of an indexed image");
                  const int64_t id = body["like"].get<int64_t>();
                  query = index->vector(id);
                  o.exclude = id;
                } else {
                  throw Error(ErrorCode::invalid_argument, "give \"text\" or \"like\" (an image id)");
                }
                send_json(res, results(index->search(query, o), start));
              }));
    http.Post("/api/search/image", guarded([this](const httplib::Request& req, httplib::Response& res) {
                const auto start = std::chrono::steady_clock::now();
                auto hits = index->search(image_query(req), search_options(req, nullptr));
                send_json(res, results(hits, start));
              }));
    http.Post("/api/embed/text", guarded([this](const httplib::Request& req, httplib::Response& res) {
                json body = parse_body(req);
                check_fields(body, {"text"});
                if (!body.contains("text") || !body["text"].is_string())
                  throw Error(ErrorCode::invalid_argument, "give {\"text\": \"...\"}");
                auto v = text_query(body["text"].get<std::string>());
                send_json(res, {{"dim", v.size()}, {"embedding", v}});
              }));
    http.Post("/api/embed/image", guarded([this](const httplib::Request& req, httplib::Response& res) {
                auto v = image_query(req);
                send_json(res, {{"dim", v.size()}, {"embedding", v}});
              }));
    http.Get(R"(/api/images/(\d{1,18}))", guarded([this](const httplib::Request& req, httplib::Response& res) {
               const int64_t id = std::stoll(req.matches[1].str());
               auto file = index->file(id);
               if (!file) throw Error(ErrorCode::not_found, "no indexed image with id " + std::to_string(id));
               std::ifstream in(file->path, std::ios::binary);
               if (!in) throw Error(ErrorCode::not_found, "image " + std::to_string(id) + " is no longer on disk");
               std::string bytes((std::istreambuf_iterator<char>(in)), {});
               const char* type =
                   server::image_content_type(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
               res.set_header("Cache-Control", "private, max-age=60");
               res.set_header("X-Content-Type-Options", "nosniff");
               res.set_content(std::move(bytes), type);
             }));

    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (options.token.empty() || req.path.rfind("/api/", 0) != 0 || req.path == "/api/health")
        return httplib::Server::HandlerResponse::Unhandled;
      // The header only: a token in the URL would be written to logs and history.
      const std::string auth = req.get_header_value("Authorization");
      if (req.get_header_value_count("Authorization") == 1 && auth.rfind("Bearer ", 0) == 0 &&
          same_secret(auth.substr(7), options.token))
        return httplib::Server::HandlerResponse::Unhandled;
      res.set_header("WWW-Authenticate", "Bearer");
      std::string message = auth.empty() ? "missing bearer token: send 'Authorization: Bearer TOKEN'"
                                         : "wrong bearer token in the Authorization header";
      if (auth.empty() && req.has_param("token"))
        message += " (a ?token= in the URL is not accepted: URLs end up in logs and history)";
      send_error(res, 401, "unauthenticated", message);
      return httplib::Server::HandlerResponse::Handled;
    });
    // Whatever ends in a 4xx/5xx without a body (no route, too large, bad request line)
    // still answers JSON.
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      switch (res.status) {
        case 404: send_error(res, 404, "not_found", "no such route: " + req.method + " " + req.path.substr(0, 200)); break;
        case 413: send_error(res, 413, "resource_exhausted", "the request body is over the upload limit"); break;
        case 414: send_error(res, 414, "invalid_argument", "the request line is over 8192 bytes"); break;
        case 416: send_error(res, 416, "invalid_argument", "the Range header is not a valid byte range"); break;
        case 400:
          send_error(res, 400, "invalid_argument",
                     "malformed request: the request line, a header, or the body's encoding (multipart, chunked, "
                     "gzip) does not parse");
          break;
        default: send_error(res, res.status, "invalid_argument", "request refused (HTTP " + std::to_string(res.status) + ")");
      }
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      send_error(res, 500, "internal", "unexpected failure");
    });
    // Also checked by Connections before the body is read; this is the second guard.
    http.set_payload_max_length(options.max_upload_bytes);
    // Only what cpp-httplib writes in its Keep-Alive header: Connections enforces them.
    http.set_keep_alive_max_count(limits().max_requests);
    http.set_keep_alive_timeout(std::max<time_t>(1, options.request_timeout.count() / 1000));
  }

  server::ConnectionLimits limits() const {
    server::ConnectionLimits l;
    l.head.max_body_bytes = options.max_upload_bytes;
    l.head_timeout = l.body_timeout = options.request_timeout;
    l.max_connections = options.max_connections;
    l.workers = options.workers ? options.workers : std::max(8u, std::thread::hardware_concurrency());
    return l;
  }
};

Server::Server(std::shared_ptr<const Clip> clip, std::shared_ptr<const ImageIndex> index, const ServerOptions& options)
    : Server(std::move(clip), index_source(std::move(index)), options) {}

Server::Server(std::shared_ptr<const Clip> clip, std::shared_ptr<const SearchSource> index, const ServerOptions& options)
    : impl_(std::make_unique<Impl>()) {
  if (!index) throw Error(ErrorCode::invalid_argument, "Server needs an index");
  impl_->clip = std::move(clip);
  impl_->index = std::move(index);
  impl_->options = options;
  if (options.request_timeout.count() <= 0) throw Error(ErrorCode::invalid_argument, "request_timeout must be positive");
  impl_->routes();
  impl_->connections = std::make_unique<server::Connections>(
      impl_->limits(), [http = &impl_->http](httplib::Stream& stream, bool last, bool& closed) {
        return http->serve_one(stream, last, closed);
      });
  impl_->http.set_connections(impl_->connections.get());
}

Server::~Server() { stop(); }

int Server::bind() {
  const auto& o = impl_->options;
  if (o.port < 0 || o.port > 65535) throw Error(ErrorCode::invalid_argument, "port must be in [0, 65535]");
  const int port = o.port == 0 ? impl_->http.bind_to_any_port(o.host) : impl_->http.bind_to_port(o.host, o.port) ? o.port : -1;
  if (port < 0)
    throw Error(ErrorCode::resource_exhausted,
                "cannot listen on " + o.host + ":" + std::to_string(o.port) + " (in use, or not an address here)");
  impl_->port = port;
  impl_->http.raise_backlog();
  return port;
}

void Server::run() {
  if (impl_->port < 0) bind();
  impl_->connections->start();
  impl_->http.listen_after_bind();
  // Stopped: close every connection and wait for the requests being answered.
  impl_->connections->stop();
}

void Server::stop() { impl_->http.close_listener(); }

}  // namespace clipkit
