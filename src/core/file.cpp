#include "core/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "clipkit/error.hpp"

namespace clipkit::core {
namespace {

std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a named pipe (FIFO)";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "not a regular file";
}

std::string stat_error(int err) {
  if (err == ENOENT || err == ENOTDIR) return "no such file";
  if (err == ELOOP) return "a symlink loop";
  return std::string("cannot be examined: ") + std::strerror(err);
}

[[noreturn]] void refuse(const std::filesystem::path& path, const std::string& what, const std::string& is, int err) {
  const bool missing = err == ENOENT || err == ENOTDIR || err == ELOOP;
  throw Error(missing ? ErrorCode::not_found : ErrorCode::invalid_argument,
              path.string() + ": " + is + ", expected " + (what.empty() ? "a file" : what));
}

}  // namespace

std::string not_a_regular_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return stat_error(errno);
  return S_ISREG(st.st_mode) ? std::string() : kind_of(st.st_mode);
}

int open_regular(const std::filesystem::path& path, const std::string& what) {
  // stat first: open(2) on a FIFO blocks until a writer appears, even with O_RDONLY.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    refuse(path, what, stat_error(err), err);
  }
  if (!S_ISREG(st.st_mode)) refuse(path, what, kind_of(st.st_mode), 0);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    throw Error(err == ENOENT ? ErrorCode::not_found : ErrorCode::invalid_argument,
                path.string() + ": cannot open: " + std::strerror(err));
  }
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {  // swapped between stat and open
    ::close(fd);
    refuse(path, what, "not a regular file", 0);
  }
  return fd;
}

std::vector<uint8_t> read_file(const std::filesystem::path& path, size_t max_bytes, const std::string& what) {
  const int fd = open_regular(path, what);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(ErrorCode::corrupt_data, path.string() + ": cannot stat: " + std::strerror(err));
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) {
    ::close(fd);
    throw Error(ErrorCode::resource_exhausted, path.string() + ": " + std::to_string(size) + " bytes, over the " +
                                                   std::to_string(max_bytes) + "-byte limit for " +
                                                   (what.empty() ? "a file" : what));
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : 0;
      ::close(fd);
      throw Error(ErrorCode::corrupt_data, path.string() + ": short read (" + std::to_string(done) + " of " +
                                               std::to_string(size) + " bytes" +
                                               (err ? std::string(": ") + std::strerror(err) : std::string()) + ")");
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return bytes;
}

std::string read_text_file(const std::filesystem::path& path, size_t max_bytes, const std::string& what) {
  const std::vector<uint8_t> bytes = read_file(path, max_bytes, what);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace clipkit::core
