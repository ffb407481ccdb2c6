#include "server/connections.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <system_error>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace clipkit::server {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kReadChunk = 64 << 10;
// Per connection and poll round, so one fast uploader cannot hold the poll thread.
constexpr size_t kMaxReadPerRound = 1 << 20;

void close_socket(int fd) {
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

// Small answers only (refusals, 100 Continue): they fit the socket's send buffer, so a
// non-blocking send either takes them whole or the client is not reading and loses them.
void send_now(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;
    }
  }
}

void address_of(const sockaddr_storage& addr, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  }
  ip = text;
}

// One complete request, already in memory, as cpp-httplib's input; the answer goes to
// the socket. Reads end at the request's last byte, so cpp-httplib can neither wait on
// the client nor read into a pipelined next request.
class RequestStream : public httplib::Stream {
 public:
  RequestStream(int fd, std::string_view request, std::chrono::milliseconds write_timeout)
      : fd_(fd), request_(request), write_timeout_(write_timeout) {}

  bool is_readable() const override { return read_ < request_.size(); }
  bool is_writable() const override { return wait_writable(); }

  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, request_.size() - read_);
    std::memcpy(ptr, request_.data() + read_, n);
    read_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    for (;;) {
      const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) return n;
      if (errno == EINTR) continue;
      if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait_writable()) return -1;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) address_of(addr, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) address_of(addr, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  bool wait_writable() const {
    pollfd p{fd_, POLLOUT, 0};
    int r;
    do r = ::poll(&p, 1, static_cast<int>(write_timeout_.count()));
    while (r < 0 && errno == EINTR);
    return r > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)) == 0;
  }

  int fd_;
  std::string_view request_;
  size_t read_ = 0;
  std::chrono::milliseconds write_timeout_;
};

struct Conn {
  enum class Phase { head, body, chunked, busy, draining };
  int fd = -1;
  Phase phase = Phase::head;
  std::string buffer;  // bytes received and not yet served
  size_t scanned = 0;  // of buffer, searched for the head's end
  Clock::time_point wait_start, deadline;
  RequestHead head;
  std::optional<ChunkedBodyScanner> chunks;
  size_t request_size = 0;  // head + framed body, once known
  size_t served = 0;
  bool closed = false;  // by the poll thread: drop from the list
};

}  // namespace

struct Connections::State {
  ConnectionLimits limits;
  ServeOne serve;
  int wake_fd = -1;

  std::mutex mutex;  // guards the fields up to `started`
  std::vector<int> accepted;
  std::vector<std::unique_ptr<Conn>> returned;  // by workers, to wait for the next request
  std::deque<std::unique_ptr<Conn>> jobs;
  std::condition_variable jobs_ready;
  bool stopping = false;
  bool started = false;

  std::atomic<size_t> busy{0};
  std::thread poller;
  std::vector<std::thread> workers;
  std::vector<std::unique_ptr<Conn>> waiting;  // the poll thread's own

  void wake() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd, &one, sizeof one);
  }

  void close_conn(Conn& c) {
    close_socket(c.fd);
    c.closed = true;
  }

  void wait_for_head(Conn& c, Clock::time_point now) {
    c.phase = Conn::Phase::head;
    c.scanned = 0;
    c.chunks.reset();
    c.wait_start = now;
    c.deadline = now + limits.head_timeout;
  }

  // Answer, stop sending, and read (and drop) whatever the client still sends for a
  // moment: closing with unread bytes would reset the connection and could destroy the
  // answer before the client reads it.
  void refuse(Conn& c, const Refusal& r, Clock::time_point now) {
    send_now(c.fd, refusal_response(r));
    ::shutdown(c.fd, SHUT_WR);
    c.phase = Conn::Phase::draining;
    c.deadline = now + limits.linger;
    std::string().swap(c.buffer);
  }

  void dispatch(std::unique_ptr<Conn>& slot) {
    slot->phase = Conn::Phase::busy;
    busy++;
    {
      std::lock_guard lock(mutex);
      jobs.push_back(std::move(slot));
    }
    jobs_ready.notify_one();
  }

  // Moves a connection as far as the bytes it has allow: head → body → a worker.
  void advance(std::unique_ptr<Conn>& slot, Clock::time_point now) {
    Conn& c = *slot;
    if (c.phase == Conn::Phase::head) {
      const size_t end = find_head_end(c.buffer, c.scanned > 3 ? c.scanned - 3 : 0);
      if (end == std::string::npos) {
        c.scanned = c.buffer.size();
        if (auto r = incomplete_head_refusal(c.buffer.size(), limits.head)) refuse(c, *r, now);
        return;
      }
      HeadScan scan = scan_request_head(std::string_view(c.buffer).substr(0, end), limits.head);
      if (scan.refusal) return refuse(c, *scan.refusal, now);
      c.head = std::move(scan.head);
      if (c.head.expect_continue) {
        // Answered here, where the body is read; the header is renamed so that
        // cpp-httplib does not send a second "100 Continue" later.
        c.buffer[c.head.expect_at] = 'X';
        if (c.buffer.size() == c.head.size) send_now(c.fd, "HTTP/1.1 100 Continue\r\n\r\n");
      }
      c.deadline = now + limits.body_timeout;
      switch (c.head.framing) {
        case BodyFraming::none: c.request_size = c.head.size; return dispatch(slot);
        case BodyFraming::content_length:
          c.request_size = c.head.size + static_cast<size_t>(c.head.content_length);
          c.phase = Conn::Phase::body;
          break;
        case BodyFraming::chunked:
          c.chunks.emplace(limits.head.max_body_bytes);
          c.phase = Conn::Phase::chunked;
          break;
      }
    }
    if (c.phase == Conn::Phase::body && c.buffer.size() >= c.request_size) return dispatch(slot);
    if (c.phase == Conn::Phase::chunked) {
      switch (c.chunks->feed(std::string_view(c.buffer).substr(c.head.size))) {
        case ChunkedBodyScanner::State::incomplete: break;
        case ChunkedBodyScanner::State::refused: return refuse(c, c.chunks->refusal(), now);
        case ChunkedBodyScanner::State::complete:
          c.request_size = c.head.size + c.chunks->framed_size();
          return dispatch(slot);
      }
    }
  }

  // How many more bytes this connection may send before its next step is decided.
  size_t read_allowance(const Conn& c) const {
    switch (c.phase) {
      case Conn::Phase::head: return limits.head.max_head_bytes + 1 - std::min(c.buffer.size(), limits.head.max_head_bytes);
      case Conn::Phase::body: return c.request_size - c.buffer.size();
      case Conn::Phase::chunked: {
        // Framing (sizes, extensions, CRLFs) may at most double a body, plus a margin.
        const size_t cap = c.head.size + 2 * limits.head.max_body_bytes + (64 << 10);
        return c.buffer.size() < cap ? cap - c.buffer.size() : 1;
      }
      default: return kMaxReadPerRound;
    }
  }

  void on_readable(std::unique_ptr<Conn>& slot, Clock::time_point now) {
    Conn& c = *slot;
    char scratch[kReadChunk];
    size_t round = 0;
    const size_t before = c.buffer.size();
    while (round < kMaxReadPerRound) {
      const size_t want = std::min(kReadChunk, c.phase == Conn::Phase::draining ? kReadChunk : read_allowance(c));
      if (want == 0) break;
      const ssize_t n = ::recv(c.fd, scratch, want, 0);
      if (n == 0) {
        // The client is done sending: serve what fully arrived (a worker answers on the
        // still-open write side), drop the rest.
        advance(slot, now);
        if (slot && !c.closed) close_conn(c);
        return;
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return close_conn(c);
      }
      round += static_cast<size_t>(n);
      if (c.phase == Conn::Phase::draining) continue;
      c.buffer.append(scratch, static_cast<size_t>(n));
      if (c.phase == Conn::Phase::chunked && read_allowance(c) <= 1 &&
          c.buffer.size() >= c.head.size + 2 * limits.head.max_body_bytes + (64 << 10))
        return refuse(c, {413, "resource_exhausted", "the chunked body's framing is over twice the upload limit"}, now);
      if (static_cast<size_t>(n) == want) {
        advance(slot, now);
        if (!slot || c.phase == Conn::Phase::draining || c.closed) return;
        if (c.phase == Conn::Phase::head && c.buffer.size() > limits.head.max_head_bytes) return;
      }
    }
    if (c.phase == Conn::Phase::draining) return;
    if (c.buffer.size() > before && (c.phase == Conn::Phase::body || c.phase == Conn::Phase::chunked))
      c.deadline = now + limits.body_timeout;
    advance(slot, now);
  }

  void on_deadline(Conn& c, Clock::time_point now) {
    const auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; };
    switch (c.phase) {
      case Conn::Phase::head:
        if (c.buffer.empty()) return close_conn(c);  // idle: nothing to answer
        return refuse(c,
                      {408, "resource_exhausted",
                       "the request head did not arrive within " + ms(limits.head_timeout) + " (" +
                           std::to_string(c.buffer.size()) + " bytes came)"},
                      now);
      case Conn::Phase::body:
      case Conn::Phase::chunked:
        return refuse(c,
                      {408, "resource_exhausted",
                       "no body bytes for " + ms(limits.body_timeout) + " (" +
                           std::to_string(c.buffer.size() - c.head.size) + " came" +
                           (c.phase == Conn::Phase::body ? " of " + std::to_string(c.head.content_length) : "") + ")"},
                      now);
      default: return close_conn(c);
    }
  }

  // Room for one more connection: drop the one that has waited longest for its head (a
  // slow or idle client) or a lingering refused one. False when all are being served.
  bool make_room() {
    Conn* oldest = nullptr;
    for (auto& c : waiting) {
      if (c->closed) continue;
      if (c->phase == Conn::Phase::draining) {
        oldest = c.get();
        break;
      }
      if (c->phase == Conn::Phase::head && (!oldest || c->wait_start < oldest->wait_start)) oldest = c.get();
    }
    if (!oldest) return false;
    close_conn(*oldest);
    return true;
  }

  size_t open_connections() const {
    size_t n = busy.load();
    for (const auto& c : waiting) n += c && !c->closed;
    return n;
  }

  void poll_loop() {
    std::vector<pollfd> fds;
    for (;;) {
      std::vector<int> fresh;
      std::vector<std::unique_ptr<Conn>> back;
      {
        std::lock_guard lock(mutex);
        if (stopping) break;
        fresh.swap(accepted);
        back.swap(returned);
      }
      auto now = Clock::now();
      for (auto& c : back) {
        wait_for_head(*c, now);
        waiting.push_back(std::move(c));
        advance(waiting.back(), now);  // a pipelined request may be here already
      }
      for (int fd : fresh) {
        if (open_connections() >= limits.max_connections && !make_room()) {
          send_now(fd, refusal_response({503, "resource_exhausted",
                                         "the server has " + std::to_string(limits.max_connections) +
                                             " connections open; try again"}));
          close_socket(fd);
          continue;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        auto c = std::make_unique<Conn>();
        c->fd = fd;
        wait_for_head(*c, now);
        waiting.push_back(std::move(c));
      }
      std::erase_if(waiting, [](const auto& c) { return !c || c->closed; });

      fds.assign(1, pollfd{wake_fd, POLLIN, 0});
      auto next = Clock::time_point::max();
      for (const auto& c : waiting) {
        fds.push_back({c->fd, POLLIN, 0});
        next = std::min(next, c->deadline);
      }
      int timeout = -1;
      if (next != Clock::time_point::max())
        timeout = static_cast<int>(std::clamp<int64_t>(
            std::chrono::ceil<std::chrono::milliseconds>(next - Clock::now()).count(), 0, 60000));
      if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) break;
      if (fds[0].revents & POLLIN) {
        uint64_t count = 0;
        [[maybe_unused]] ssize_t n = ::read(wake_fd, &count, sizeof count);
      }

      now = Clock::now();
      // fds[i + 1] belongs to waiting[i]; dispatch() empties slots, so indexes stay put.
      const size_t polled = fds.size() - 1;
      for (size_t i = 0; i < polled; ++i) {
        auto& slot = waiting[i];
        if (!slot || slot->closed) continue;
        if (fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) on_readable(slot, now);
        if (slot && !slot->closed && slot->deadline <= now) on_deadline(*slot, now);
      }
      std::erase_if(waiting, [](const auto& c) { return !c || c->closed; });
    }
    for (auto& c : waiting)
      if (c && !c->closed) close_socket(c->fd);
    waiting.clear();
  }

  void worker_loop() {
    for (;;) {
      std::unique_ptr<Conn> c;
      {
        std::unique_lock lock(mutex);
        jobs_ready.wait(lock, [&] { return stopping || !jobs.empty(); });
        if (stopping) return;
        c = std::move(jobs.front());
        jobs.pop_front();
      }
      const bool last = ++c->served >= limits.max_requests;
      RequestStream stream(c->fd, std::string_view(c->buffer).substr(0, c->request_size), limits.write_timeout);
      bool closed = false, ok = false;
      try {
        ok = serve(stream, last, closed);
      } catch (...) {
        ok = false;  // cpp-httplib catches handler exceptions; anything else ends the connection
      }
      c->buffer.erase(0, c->request_size);
      if (c->buffer.capacity() > (256u << 10)) c->buffer.shrink_to_fit();
      busy--;
      if (!ok || closed || last) {
        close_socket(c->fd);
        continue;
      }
      {
        std::lock_guard lock(mutex);
        if (stopping) {
          close_socket(c->fd);
          continue;
        }
        returned.push_back(std::move(c));
      }
      wake();
    }
  }
};

Connections::Connections(const ConnectionLimits& limits, ServeOne serve) : state_(std::make_unique<State>()) {
  state_->limits = limits;
  state_->limits.workers = std::max<size_t>(1, limits.workers);
  state_->limits.max_connections = std::max<size_t>(1, limits.max_connections);
  state_->limits.max_requests = std::max<size_t>(1, limits.max_requests);
  state_->serve = std::move(serve);
  state_->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (state_->wake_fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

Connections::~Connections() {
  stop();
  ::close(state_->wake_fd);
}

void Connections::start() {
  std::lock_guard lock(state_->mutex);
  if (state_->started || state_->stopping) return;
  state_->started = true;
  state_->poller = std::thread([s = state_.get()] { s->poll_loop(); });
  for (size_t i = 0; i < state_->limits.workers; ++i)
    state_->workers.emplace_back([s = state_.get()] { s->worker_loop(); });
}

void Connections::add(int fd) {
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->stopping) {
      state_->accepted.push_back(fd);
      fd = -1;
    }
  }
  if (fd >= 0) {
    close_socket(fd);
    return;
  }
  state_->wake();
}

void Connections::stop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake();
  state_->jobs_ready.notify_all();
  if (state_->poller.joinable()) state_->poller.join();
  for (auto& t : state_->workers)
    if (t.joinable()) t.join();
  state_->workers.clear();
  std::lock_guard lock(state_->mutex);
  for (int fd : state_->accepted) close_socket(fd);
  state_->accepted.clear();
  for (auto& c : state_->returned) close_socket(c->fd);
  state_->returned.clear();
  for (auto& c : state_->jobs) close_socket(c->fd);
  state_->jobs.clear();
}

}  // namespace clipkit::server
