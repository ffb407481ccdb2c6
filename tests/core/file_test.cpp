// core::read_file / open_regular: regular files only, refused before open(2) could
// block (a FIFO), with messages that say what the path is; size caps.
#include "core/file.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <future>

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace clipkit::core {
namespace {

namespace fs = std::filesystem;
using clipkit::testing::expect_error;
using clipkit::testing::TempDir;

TEST(File, ReadsARegularFileWhole) {
  TempDir tmp;
  const std::vector<uint8_t> bytes = {0, 1, 2, 255, 10, 13};
  clipkit::testing::write_bytes(tmp.path() / "f.bin", bytes);
  EXPECT_EQ(read_file(tmp.path() / "f.bin", 6, "a test file"), bytes);
  EXPECT_EQ(read_text_file(tmp.path() / "f.bin", 100, "a test file"), std::string("\0\1\2\xff\n\r", 6));
  EXPECT_TRUE(not_a_regular_file(tmp.path() / "f.bin").empty());
}

TEST(File, RefusesWhatIsNotARegularFile) {
  TempDir tmp;
  const fs::path t = tmp.path();
  fs::create_directory(t / "dir");
  fs::create_symlink(t / "loop", t / "loop");
  expect_error([&] { read_file(t / "absent", 10, "an image file"); }, ErrorCode::not_found,
               {"absent: no such file, expected an image file"});
  expect_error([&] { read_file(t / "dir", 10, "an image file"); }, ErrorCode::invalid_argument,
               {"dir: a folder, expected an image file"});
  expect_error([&] { read_file(t / "loop", 10, "a checkpoint"); }, ErrorCode::not_found,
               {"loop: a symlink loop, expected a checkpoint"});
  expect_error([&] { read_file("/dev/null", 10, "a vocabulary file"); }, ErrorCode::invalid_argument,
               {"/dev/null: a device, expected a vocabulary file"});
  EXPECT_EQ(not_a_regular_file(t / "dir"), "a folder");
  EXPECT_EQ(not_a_regular_file(t / "absent"), "no such file");
}

TEST(File, AFifoWithoutAWriterIsRefusedNotWaitedOn) {
  TempDir tmp;
  const fs::path fifo = tmp.path() / "pipe.png";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto reading = std::async(std::launch::async, [&] {
    try {
      read_file(fifo, 1 << 20, "an image file");
      return std::string("no error");
    } catch (const Error& e) {
      return std::string(e.what());
    }
  });
  if (reading.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    // The reader is stuck in open(2): give it a writer so the test can end, and fail.
    const int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (w >= 0) ::close(w);
    FAIL() << "read_file blocked on a FIFO";
  }
  EXPECT_EQ(reading.get(), fifo.string() + ": a named pipe (FIFO), expected an image file");
}

TEST(File, ASocketIsRefused) {
  TempDir tmp;
  const fs::path path = tmp.path() / "s";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.string().size(), sizeof(addr.sun_path));
  std::strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  expect_error([&] { open_regular(path, "a checkpoint"); }, ErrorCode::invalid_argument,
               {"a socket, expected a checkpoint"});
  ::close(fd);
}

TEST(File, SizeCapComesBeforeTheAllocation) {
  TempDir tmp;
  clipkit::testing::write_bytes(tmp.path() / "big", std::vector<uint8_t>(1001, 7));
  expect_error([&] { read_file(tmp.path() / "big", 1000, "a JSON config file"); }, ErrorCode::resource_exhausted,
               {"big: 1001 bytes, over the 1000-byte limit for a JSON config file"});
  EXPECT_EQ(read_file(tmp.path() / "big", 1001, "x").size(), 1001u);
}

}  // namespace
}  // namespace clipkit::core
