// clipkit/server.hpp — the local web app: a JSON HTTP API over an ImageIndex and a
// Clip model, and a single-page UI on the same port.
//
//   auto index = std::shared_ptr<clipkit::ImageIndex>(clipkit::ImageIndex::open("photos.clipkit", false));
//   auto clip = std::make_shared<const clipkit::Clip>(clipkit::Clip::load("ViT-B-32.pt"));
//   clipkit::Server server(clip, index, {.port = 8080});
//   server.bind();   // throws if the port is taken
//   server.run();    // until stop() from another thread or a signal handler
//
// Routes (JSON unless stated; errors are {"error": {"code", "message"}} with a 4xx/5xx):
//   GET  /                      the web page
//   GET  /api/health            {"status": "ok"}
//   GET  /api/stats             files, vectors, errors, dim, model, hnsw
//   (from a sharded source, search results also carry "shards", "missing" and "partial")
//   GET  /api/search?q=TEXT&k=N&threshold=T    search by text
//   POST /api/search            {"text": …} or {"like": ID} (not both), optional "k", "threshold"
//   POST /api/search/image?k=N  body: the image bytes (or multipart field "image")
//   POST /api/embed/text        {"text": …} → {"embedding": […]}
//   (a query text is at most max_text_bytes, 16 KiB of UTF-8 by default; longer gets 400)
//   POST /api/embed/image       body: image bytes → {"embedding": […]}
//   GET  /api/images/ID         the bytes of an indexed file (by id only, never by path)
// With a token, /api/* (all but /api/health) needs "Authorization: Bearer TOKEN". Only the
// header counts: a token in the URL (?token=) is refused, since URLs end up in logs and
// browser history. The web page takes it from its fragment: http://HOST:PORT/#token=TOKEN.
//
// Slow clients: one poll thread receives each request in full, and only then hands it to
// one of `workers` threads, so clients that send slowly (or not at all) hold a socket, not
// a worker. A request's head (request line + headers, at most 16 KiB and 100 lines) must
// arrive within `request_timeout` (else 408), and its body may pause at most as long. A
// Content-Length over max_upload_bytes is refused from the header alone (413), before any
// body is read; a POST/PUT/PATCH with neither Content-Length nor chunked encoding gets 411,
// two Content-Length headers 400. An answer waits at most 10 s for the client to read
// it. A connection serves at most 100 requests; beyond
// max_connections, the one waiting longest for its head is dropped. Every refusal is a
// status with a JSON error naming what is wrong.
//
// Thread-safety: requests are served concurrently by the worker threads; the model and
// the index are shared read-only. stop() may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <vector>
#include <string>

#include "clipkit/clip.hpp"
#include "clipkit/index.hpp"

namespace clipkit {

struct ServerOptions {
  std::string host = "127.0.0.1";  // loopback unless asked otherwise
  int port = 8080;                 // 0: any free port (see bind())
  std::string token;               // empty: no authentication
  size_t max_upload_bytes = 32u << 20;
  // A query text (POST "text", GET ?q=) longer than this many bytes of UTF-8 is refused
  // (400) before it is tokenized: CLIP reads only its first 77 tokens anyway.
  size_t max_text_bytes = 16u << 10;
  size_t max_k = 1000;
  size_t workers = 0;              // request threads; 0: max(8, hardware threads)
  size_t max_connections = 512;    // open at once, waiting or being served
  std::chrono::milliseconds request_timeout{10000};  // for a head to arrive; longest body pause
};

// What a Server searches: a local ImageIndex (index_source), or anything else that
// answers the same four questions — `clipkit serve --nats` gives a cluster's.
struct SourceAnswer {
  std::vector<SearchHit> hits;
  int shards = 0;             // > 0 for a sharded source: then the answer says which answered
  std::vector<int> missing;   // shards that did not answer: the hits are partial
};
class SearchSource {
 public:
  virtual ~SearchSource() = default;
  virtual SourceAnswer search(std::span<const float> query, const SearchOptions& options) const = 0;
  virtual std::vector<float> vector(int64_t id) const = 0;        // a "like" query; Error not_found
  virtual std::optional<IndexedFile> file(int64_t id) const = 0;  // /api/images/ID; nullopt: not indexed
  virtual IndexStats stats() const = 0;
};
std::shared_ptr<const SearchSource> index_source(std::shared_ptr<const ImageIndex> index);

class Server {
 public:
  // clip may be null: then only searches by indexed image ("like") work.
  Server(std::shared_ptr<const Clip> clip, std::shared_ptr<const ImageIndex> index, const ServerOptions& options = {});
  Server(std::shared_ptr<const Clip> clip, std::shared_ptr<const SearchSource> source, const ServerOptions& options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the socket; returns the port. Throws Error(resource_exhausted) when it cannot.
  int bind();
  // Serves until stop(). bind() first.
  void run();
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace clipkit
