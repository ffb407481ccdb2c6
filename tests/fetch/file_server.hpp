// A loopback HTTP file server for the fetch tests (cpp-httplib on 127.0.0.1, port 0):
// serves byte strings under registry-shaped paths with Range support (httplib's), can
// answer a path with an error status, can cut a response after N bytes (the connection
// closes mid-body), and records every request's path, Range, Authorization and the
// body bytes it sent. Never touches an outside address.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace clipkit::testing {

class FileServer {
 public:
  struct Request {
    std::string path, range, authorization;
    std::shared_ptr<uint64_t> bytes_sent;
  };

  FileServer() {
    server_.Get(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FileServer() {
    server_.stop();
    thread_.join();
  }
  FileServer(const FileServer&) = delete;
  FileServer& operator=(const FileServer&) = delete;

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  void add(const std::string& path, std::string bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    files_[path].bytes = std::make_shared<const std::string>(std::move(bytes));
  }
  // Answer `path` with `status` (and an empty body).
  void fail(const std::string& path, int status) {
    std::lock_guard<std::mutex> lock(mutex_);
    files_[path].status = status;
  }
  // The next `times` responses for `path` close the connection after `after` body bytes.
  void cut(const std::string& path, uint64_t after, int times = 1) {
    std::lock_guard<std::mutex> lock(mutex_);
    files_[path].cut_after = after;
    files_[path].cuts_left = times;
  }
  // Each response for `path` is held back this long before its body (to overlap pulls).
  void delay(const std::string& path, int milliseconds) {
    std::lock_guard<std::mutex> lock(mutex_);
    files_[path].delay_ms = milliseconds;
  }
  // Answer every request for `path` with the whole file (200, chunked), Range or not, as
  // servers without range support do.
  void ignore_ranges(const std::string& path) {
    std::lock_guard<std::mutex> lock(mutex_);
    files_[path].ignore_ranges = true;
  }
  std::vector<Request> requests(const std::string& path = "") const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Request> out;
    for (const Request& r : requests_)
      if (path.empty() || r.path == path) out.push_back(r);
    return out;
  }

 private:
  struct Served {
    std::shared_ptr<const std::string> bytes;
    int status = 200;
    uint64_t cut_after = 0;
    int cuts_left = 0;
    int delay_ms = 0;
    bool ignore_ranges = false;
  };

  void handle(const httplib::Request& req, httplib::Response& res) {
    std::shared_ptr<const std::string> data;
    uint64_t cut = 0;
    int delay_ms = 0;
    bool ignore_ranges = false;
    auto sent = std::make_shared<uint64_t>(0);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back({req.path, req.get_header_value("Range"), req.get_header_value("Authorization"), sent});
      auto it = files_.find(req.path);
      if (it != files_.end() && it->second.status != 200) {
        res.status = it->second.status;
        return;
      }
      if (it == files_.end() || !it->second.bytes) {
        res.status = 404;
        return;
      }
      data = it->second.bytes;
      delay_ms = it->second.delay_ms;
      ignore_ranges = it->second.ignore_ranges;
      if (it->second.cuts_left > 0) {
        --it->second.cuts_left;
        cut = it->second.cut_after;
      }
    }
    if (delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    if (ignore_ranges) {
      // No length: httplib cannot apply the Range, so the whole file goes out with 200.
      res.set_chunked_content_provider("application/octet-stream", [data, sent](size_t offset, httplib::DataSink& sink) {
        const size_t n = std::min<size_t>(data->size() - offset, 64 * 1024);
        if (n > 0 && !sink.write(data->data() + offset, n)) return false;
        *sent += n;
        if (offset + n >= data->size()) sink.done();
        return true;
      });
      return;
    }
    res.set_content_provider(data->size(), "application/octet-stream",
                             [data, cut, sent](size_t offset, size_t length, httplib::DataSink& sink) {
                               size_t n = std::min<size_t>(length, 64 * 1024);
                               if (cut) n = static_cast<size_t>(std::min<uint64_t>(n, cut - *sent));
                               if (n > 0 && !sink.write(data->data() + offset, n)) return false;
                               *sent += n;
                               return !(cut && *sent >= cut);  // false: httplib closes the connection
                             });
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::map<std::string, Served> files_;
  std::vector<Request> requests_;
};

}  // namespace clipkit::testing
