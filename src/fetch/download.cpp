// One file over HTTP(S) with libcurl: into `dest.part`, resumed with a Range request,
// retried with backoff on transient failures, checked (size, SHA-256) before the rename.
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "clipkit/error.hpp"
#include "clipkit/fetch.hpp"

namespace clipkit {

namespace fs = std::filesystem;

std::string sha256_file(const fs::path& path) {
  FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) throw Error(ErrorCode::not_found, "cannot read " + path.string() + ": " + std::strerror(errno));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<unsigned char> buffer(1 << 20);
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), file)) > 0) EVP_DigestUpdate(ctx, buffer.data(), n);
  const bool failed = std::ferror(file);
  std::fclose(file);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx, digest, &length);
  EVP_MD_CTX_free(ctx);
  if (failed) throw Error(ErrorCode::not_found, "error reading " + path.string());
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  CURL* curl = nullptr;
  FILE* file = nullptr;
  uint64_t start = 0;      // bytes already in the .part when this request began
  uint64_t received = 0;   // body bytes this request
  bool status_checked = false;
  bool range_refused = false;  // a 206 that is not the range asked for: start again without one
  std::optional<uint64_t> content_range_start;  // of the last header block (redirects have several)
  int write_errno = 0;
  const DownloadOptions* options = nullptr;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t length = size * count;
  if (!t->status_checked) {
    t->status_checked = true;
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    if (t->start > 0 && status == 200) {
      // The server ignored the Range: it sends the whole file, so start the .part again.
      std::fflush(t->file);
      if (ftruncate(fileno(t->file), 0) != 0) {
        t->write_errno = errno;
        return 0;
      }
      t->start = 0;
    } else if (t->start > 0 && t->content_range_start != t->start) {
      // 206 without "Content-Range: bytes <start>-" (some servers send the whole file so):
      // where these bytes belong is unknown, so they are not appended.
      t->range_refused = true;
      return 0;
    }
  }
  if (std::fwrite(data, 1, length, t->file) != length) {
    t->write_errno = errno ? errno : EIO;
    return 0;
  }
  t->received += length;
  return length;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t length = size * count;
  std::string line(data, length);
  if (line.starts_with("HTTP/")) t->content_range_start.reset();  // a new response (after a redirect)
  std::string lower = line;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string key = "content-range:";
  if (lower.starts_with(key)) {
    const size_t bytes = lower.find("bytes", key.size());
    if (bytes != std::string::npos) {
      size_t pos = lower.find_first_of("0123456789", bytes);
      if (pos != std::string::npos) {
        uint64_t start = 0;
        while (pos < lower.size() && std::isdigit(static_cast<unsigned char>(lower[pos])))
          start = start * 10 + static_cast<uint64_t>(lower[pos++] - '0');
        t->content_range_start = start;
      }
    }
  }
  return length;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->options->progress)
    t->options->progress(t->start + static_cast<uint64_t>(now), total > 0 ? t->start + static_cast<uint64_t>(total) : 0);
  return 0;
}

bool transient(CURLcode code, long status) {
  if (code == CURLE_HTTP_RETURNED_ERROR) return status >= 500 || status == 408 || status == 429;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

std::string host_of(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return {};
  const size_t begin = scheme + 3;
  size_t end = url.find_first_of("/?#", begin);
  std::string host = url.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  if (const size_t at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
  if (const size_t colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos)
    host = host.substr(0, colon);
  return host;
}

// The final error of a download that did not succeed, with what to do about it.
Error failure(const std::string& url, const fs::path& part, CURLcode code, long status, const char* curl_message,
              int write_errno) {
  const std::string what = url;
  if (write_errno == ENOSPC || write_errno == EDQUOT)
    return Error(ErrorCode::resource_exhausted, "disk full writing " + part.string() +
                                                    ": free some space and pull again (the download resumes from the "
                                                    "bytes kept)");
  if (write_errno == EFBIG)
    return Error(ErrorCode::resource_exhausted, "over the file size limit (ulimit -f) writing " + part.string() +
                                                    ": raise it and pull again (the download resumes from the bytes "
                                                    "kept)");
  if (write_errno)
    return Error(ErrorCode::not_found, "cannot write " + part.string() + ": " + std::strerror(write_errno));
  if (code == CURLE_HTTP_RETURNED_ERROR) {
    if (status == 401 || status == 403)
      return Error(ErrorCode::invalid_argument,
                   what + ": HTTP " + std::to_string(status) +
                       (status == 401 ? " Unauthorized" : " Forbidden") +
                       ": the file needs a login or its repository is gated: set HF_TOKEN to a Hugging Face access "
                       "token (huggingface.co/settings/tokens) and accept the model's licence on its page");
    if (status == 404)
      return Error(ErrorCode::not_found, what + ": HTTP 404 Not Found: the registry's URL is stale (the file was moved "
                                                "or renamed upstream); pass the file's path with --model instead");
    if (status >= 400 && status < 500)
      return Error(ErrorCode::invalid_argument, what + ": HTTP " + std::to_string(status));
    return Error(ErrorCode::not_found, what + ": HTTP " + std::to_string(status) + " from the server, retries spent; try again later");
  }
  if (code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_PROXY ||
      code == CURLE_OPERATION_TIMEDOUT)
    return Error(ErrorCode::not_found, "cannot reach " + host_of(url) + " (" + curl_message +
                                           "): is the network down? Behind a proxy, set HTTPS_PROXY; without a "
                                           "network use --offline with files already cached");
  return Error(ErrorCode::not_found, what + ": download failed: " + curl_message +
                                         " (the bytes received are kept in " + part.string() + "; pull again to resume)");
}

}  // namespace

DownloadStats download(const std::string& url, const fs::path& dest, const std::string& expected_sha256,
                       std::optional<uint64_t> expected_size, const DownloadOptions& options) {
  global_init();
  const fs::path part = dest.string() + ".part";
  DownloadStats stats;
  std::error_code ec;
  if (fs::exists(part, ec)) stats.resumed_from = fs::file_size(part, ec);
  if (ec) stats.resumed_from = 0;

  CURLcode code = CURLE_OK;
  long status = 0;
  int write_errno = 0;
  char message[CURL_ERROR_SIZE] = "";
  double backoff = options.first_backoff_s;
  for (int attempt = 1;; ++attempt) {
    uint64_t have = fs::exists(part, ec) ? fs::file_size(part, ec) : 0;
    if (ec) have = 0;
    if (expected_size && have > *expected_size) {  // cannot be this file: start again
      fs::remove(part, ec);
      have = 0;
    }
    if (expected_size && have == *expected_size) {  // complete already (an earlier run died before the rename)
      code = CURLE_OK;
      status = 200;
      break;
    }
    FILE* file = std::fopen(part.c_str(), "ab");
    if (!file) throw Error(ErrorCode::not_found, "cannot write " + part.string() + ": " + std::strerror(errno));
    CURL* curl = curl_easy_init();
    if (!curl) {
      std::fclose(file);
      throw Error(ErrorCode::internal, "curl_easy_init failed");
    }
    Transfer t;
    t.curl = curl;
    t.file = file;
    t.start = have;
    t.options = &options;
    message[0] = '\0';
    struct curl_slist* headers = nullptr;
    std::string auth;
    if (!options.bearer_token.empty()) {
      auth = "Authorization: Bearer " + options.bearer_token;
      headers = curl_slist_append(headers, auth.c_str());
    }
    const std::string range = std::to_string(have) + "-";
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_s);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options.stall_timeout_s);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "clipkit");
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, message);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
    if (headers) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (have > 0) curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
    code = curl_easy_perform(curl);
    status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    if (std::fflush(file) != 0 && !t.write_errno) t.write_errno = errno;
    if (fsync(fileno(file)) != 0 && !t.write_errno && errno != EINVAL) t.write_errno = errno;
    std::fclose(file);
    ++stats.requests;
    stats.bytes_received += t.received;
    write_errno = t.write_errno;
    if (write_errno) break;
    if (t.range_refused && attempt < options.max_attempts) {
      fs::remove(part, ec);  // the next request asks for the whole file
      continue;
    }
    if (code == CURLE_OK) break;
    if (code == CURLE_HTTP_RETURNED_ERROR && status == 416 && have > 0) {
      // Range not satisfiable: the .part is as long as the file, or longer. Check it below.
      code = CURLE_OK;
      break;
    }
    if (!transient(code, status) || attempt >= options.max_attempts) break;
    std::this_thread::sleep_for(std::chrono::duration<double>(backoff));
    backoff *= 2;
  }
  if (code != CURLE_OK || write_errno) {
    Error error = failure(url, part, code, status, message[0] ? message : curl_easy_strerror(code), write_errno);
    // A 4xx leaves an empty .part behind; nothing worth resuming.
    if (fs::exists(part, ec) && fs::file_size(part, ec) == 0) fs::remove(part, ec);
    throw error;
  }
  const uint64_t size = fs::file_size(part, ec);
  if (expected_size && size != *expected_size) {
    fs::remove(part, ec);
    throw Error(ErrorCode::corrupt_data, dest.filename().string() + " from " + url + ": size mismatch: expected " +
                                             std::to_string(*expected_size) + " bytes, got " + std::to_string(size) +
                                             "; the partial file was deleted");
  }
  if (!expected_sha256.empty()) {
    const std::string actual = sha256_file(part);
    if (actual != expected_sha256) {
      fs::remove(part, ec);
      throw Error(ErrorCode::corrupt_data, dest.filename().string() + " from " + url +
                                               ": SHA-256 mismatch: expected " + expected_sha256 + ", got " + actual +
                                               "; the downloaded file was deleted");
    }
  }
  fs::rename(part, dest, ec);
  if (ec) throw Error(ErrorCode::not_found, "cannot rename " + part.string() + " to " + dest.string() + ": " + ec.message());
  return stats;
}

}  // namespace clipkit
