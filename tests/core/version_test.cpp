#include "clipkit/version.hpp"

#include <string>

#include <gtest/gtest.h>

namespace clipkit {
namespace {

// CLIPKIT_PROJECT_VERSION is ${PROJECT_VERSION}, passed by tests/CMakeLists.txt.
TEST(Version, IsTheCMakeProjectVersion) {
  EXPECT_STREQ(version(), CLIPKIT_PROJECT_VERSION);
  EXPECT_STREQ(CLIPKIT_VERSION, CLIPKIT_PROJECT_VERSION);
  EXPECT_EQ(std::to_string(CLIPKIT_VERSION_MAJOR) + "." + std::to_string(CLIPKIT_VERSION_MINOR) + "." +
                std::to_string(CLIPKIT_VERSION_PATCH),
            CLIPKIT_PROJECT_VERSION);
}

}  // namespace
}  // namespace clipkit
