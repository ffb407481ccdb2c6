// server/connections.hpp — the server's sockets: one poll thread receives every request
// in full (head and body, within limits and deadlines) and only then hands it to a pool
// of worker threads, so slow or idle clients cost a socket and a buffer, never a worker.
//
//   Connections connections(limits, [&](httplib::Stream& s, bool last, bool& closed) {
//     return http.serve_one(s, last, closed);      // cpp-httplib reads it from memory
//   });
//   connections.start();
//   connections.add(accepted_fd);                  // from the accept loop, any thread
//   connections.stop();                            // closes all, joins the threads
//
// What a connection goes through:
//   - waiting for a head: it must be complete within `head_timeout` of the wait's start
//     (a new connection, or the end of the previous request on a kept-alive one); one
//     that sent nothing is closed silently, one mid-head gets 408. Heads over
//     limits.max_head_bytes get 431; bad framing (http_framing.hpp) its 4xx/5xx.
//   - receiving a body: refused with 413 from the Content-Length alone, before reading it;
//     chunked bodies are followed and refused once over the limit; 408 when no byte comes
//     for `body_timeout`. "Expect: 100-continue" is answered here.
//   - on a worker: the request is read from memory (never from the socket), the answer
//     written with `write_timeout` per write. Then back to waiting, unless it was the
//     connection's max_requests-th request or either side asked to close.
//   - beyond max_connections, the connection that has waited longest for its head is
//     closed to make room; when none waits, the new one gets 503.
// Refusals are JSON ({"error": {"code", "message"}}), then the connection is closed.
//
// Thread-safety: add() and stop() may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include <httplib.h>

#include "server/http_framing.hpp"

namespace clipkit::server {

struct ConnectionLimits {
  HeadLimits head;
  std::chrono::milliseconds head_timeout{10000};
  std::chrono::milliseconds body_timeout{10000};   // longest wait for the next body byte
  std::chrono::milliseconds write_timeout{10000};  // longest wait for one write to progress
  std::chrono::milliseconds linger{1000};          // reading what follows a refusal, so it arrives
  size_t max_connections = 512;
  size_t max_requests = 100;  // per connection (keep-alive)
  size_t workers = 8;
};

// Serves one request from `stream`; `last`: answer with "Connection: close". Sets
// `closed` when the request asked to close; returns false when the connection is unusable.
using ServeOne = std::function<bool(httplib::Stream& stream, bool last, bool& closed)>;

class Connections {
 public:
  Connections(const ConnectionLimits& limits, ServeOne serve);
  ~Connections();
  Connections(const Connections&) = delete;
  Connections& operator=(const Connections&) = delete;

  void start();
  // Takes ownership of an accepted socket (closes it after stop()).
  void add(int fd);
  void stop();

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace clipkit::server
