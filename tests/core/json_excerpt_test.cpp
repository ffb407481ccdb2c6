// core::json_excerpt: bounded, non-recursive descriptions of untrusted JSON values for
// error messages (issue 15: dump() of a deeply nested value overflowed the stack).
#include "core/json_excerpt.hpp"

#include <gtest/gtest.h>

namespace clipkit::core {
namespace {

using nlohmann::json;

TEST(JsonExcerpt, ScalarsAsJson) {
  EXPECT_EQ(json_excerpt(json(3)), "3");
  EXPECT_EQ(json_excerpt(json(-1.5)), "-1.5");
  EXPECT_EQ(json_excerpt(json(true)), "true");
  EXPECT_EQ(json_excerpt(json(nullptr)), "null");
  EXPECT_EQ(json_excerpt(json("wide")), "\"wide\"");
}

TEST(JsonExcerpt, ContainersBySize) {
  EXPECT_EQ(json_excerpt(json::parse("[1, [2], {}]")), "an array of 3 entries");
  EXPECT_EQ(json_excerpt(json::parse(R"({"a": 1, "b": [2]})")), "an object of 2 keys");
}

TEST(JsonExcerpt, LongStringsAreCutOnACharacterBoundary) {
  const std::string text = std::string(39, 'x') + "\xc3\xa9" + std::string(1000, 'y');  // é straddles 40
  const std::string excerpt = json_excerpt(json(text), 40);
  EXPECT_EQ(excerpt, "\"" + std::string(39, 'x') + "...\"");
  EXPECT_EQ(json_excerpt(json(std::string(100, 'z')), 10), "\"zzzzzzzzzz...\"");
}

TEST(JsonExcerpt, DeeplyNestedValueDoesNotRecurse) {
  const int depth = 200000;  // dump() would need ~200k stack frames
  const json deep = json::parse(std::string(depth, '[') + std::string(depth, ']'));
  EXPECT_EQ(json_excerpt(deep), "an array of 1 entries");
}

}  // namespace
}  // namespace clipkit::core
