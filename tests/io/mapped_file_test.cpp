#include "io/mapped_file.hpp"

#include <gtest/gtest.h>

#include "io_test_util.hpp"
#include "support/test_support.hpp"

namespace clipkit::io {
namespace {

using clipkit::testing::expect_error;
using clipkit::testing::TempDir;

TEST(MappedFile, MapsContentsAndMoves) {
  TempDir tmp;
  clipkit::testing::write_bytes(tmp.path() / "f.bin", clipkit::testing::bytes_of("abcdef"));
  MappedFile file(tmp.path() / "f.bin");
  ASSERT_EQ(file.size(), 6u);
  EXPECT_EQ(file.bytes()[5], 'f');
  MappedFile moved(std::move(file));
  EXPECT_EQ(moved.bytes()[0], 'a');
  EXPECT_EQ(file.size(), 0u);  // NOLINT(bugprone-use-after-move): the moved-from state is empty
}

TEST(MappedFile, EmptyFileGivesEmptySpan) {
  TempDir tmp;
  clipkit::testing::write_bytes(tmp.path() / "empty", {});
  MappedFile file(tmp.path() / "empty");
  EXPECT_TRUE(file.bytes().empty());
}

TEST(MappedFile, Errors) {
  TempDir tmp;
  expect_error([&] { MappedFile f(tmp.path() / "nope.pt"); }, ErrorCode::not_found, {"nope.pt"});
  expect_error([&] { MappedFile f(tmp.path()); }, ErrorCode::invalid_argument, {"a folder, expected a file"});
}

}  // namespace
}  // namespace clipkit::io
