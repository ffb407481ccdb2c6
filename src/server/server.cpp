// clipkit::Server — cpp-httplib routes over an ImageIndex and a Clip.
#include "clipkit/server.hpp"

#include <chrono>
#include <fstream>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "clipkit/clipkit.hpp"
#include "clipkit/similarity.hpp"
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

}  // namespace

struct Server::Impl {
  std::shared_ptr<const Clip> clip;
  std::shared_ptr<const ImageIndex> index;
  ServerOptions options;
  httplib::Server http;
  int port = -1;

  const Clip& model() const {
    if (!clip) throw Error(ErrorCode::unsupported, "this server was started without a model: only \"like\" searches work");
    return *clip;
  }

  SearchOptions search_options(const httplib::Request& req, const json* body) const {
    SearchOptions o;
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

  json results(const std::vector<SearchHit>& hits, std::chrono::steady_clock::time_point start) const {
    json list = json::array();
    for (size_t i = 0; i < hits.size(); ++i) {
      const std::string name = std::filesystem::path(hits[i].path).filename().string();
      list.push_back({{"rank", i + 1},
                      {"id", hits[i].id},
                      {"path", hits[i].path},
                      {"name", name},
                      {"score", hits[i].score},
                      {"url", "/api/images/" + std::to_string(hits[i].id)}});
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return {{"results", list}, {"took_ms", ms}};
  }

  std::vector<float> text_query(const std::string& text) const { return normalized(model().embed_text(text)); }

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
    auto guarded = [this](auto handler) {
      return [this, handler](const httplib::Request& req, httplib::Response& res) {
        try {
          handler(req, res);
        } catch (const Error& e) {
          send_error(res, server::http_status(e.code()), to_string(e.code()), e.what());
        } catch (const json::exception& e) {
          send_error(res, 400, "invalid_argument", std::string("bad JSON: ") + e.what());
        } catch (const std::bad_alloc&) {
          send_error(res, 413, "resource_exhausted", "out of memory for this request");
        } catch (const std::exception& e) {
          send_error(res, 500, "internal", e.what());
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
               if (s.model) j["model"] = {{"path", s.model->model_path}, {"description", s.model->description}};
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
      const std::string auth = req.get_header_value("Authorization");
      const std::string given = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : req.get_param_value("token");
      if (same_secret(given, options.token)) return httplib::Server::HandlerResponse::Unhandled;
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(res, 401, "unauthenticated", "missing or wrong bearer token");
      return httplib::Server::HandlerResponse::Handled;
    });
    // Whatever ends in a 4xx/5xx without a body (no route, too large, bad request line)
    // still answers JSON.
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      switch (res.status) {
        case 404: send_error(res, 404, "not_found", "no such route: " + req.method + " " + req.path.substr(0, 200)); break;
        case 413: send_error(res, 413, "resource_exhausted", "the request body is over the upload limit"); break;
        default: send_error(res, res.status, "invalid_argument", "bad request (HTTP " + std::to_string(res.status) + ")");
      }
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      send_error(res, 500, "internal", "unexpected failure");
    });
    http.set_payload_max_length(options.max_upload_bytes);
    http.set_read_timeout(30, 0);
    http.set_write_timeout(30, 0);
  }
};

Server::Server(std::shared_ptr<const Clip> clip, std::shared_ptr<const ImageIndex> index, const ServerOptions& options)
    : impl_(std::make_unique<Impl>()) {
  if (!index) throw Error(ErrorCode::invalid_argument, "Server needs an index");
  impl_->clip = std::move(clip);
  impl_->index = std::move(index);
  impl_->options = options;
  impl_->routes();
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
  return port;
}

void Server::run() {
  if (impl_->port < 0) bind();
  impl_->http.listen_after_bind();
}

void Server::stop() { impl_->http.stop(); }

}  // namespace clipkit
