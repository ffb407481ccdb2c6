// The harness itself: it must see a wrong element and say where.
#include "kernels/op_check.hpp"

#include <gtest/gtest.h>

namespace clipkit::kernels::testing {
namespace {

TEST(OpCheck, ReportsShapeMaxErrorAndFirstDifferingIndex) {
  OpOutputs out{{1.0f, 2.0f, 3.5f, 4.0f, 9.0f}, {1.0f, 2.0f, 3.0f, 4.0f, 5.0f}};
  const auto result = outputs_match("op [rows=1 width=5]", out, {1e-3, 0});
  ASSERT_FALSE(result);
  const std::string message = result.message();
  EXPECT_NE(message.find("op [rows=1 width=5]"), std::string::npos) << message;
  EXPECT_NE(message.find("2 of 5 elements"), std::string::npos) << message;
  EXPECT_NE(message.find("max error 4 at index 4"), std::string::npos) << message;
  EXPECT_NE(message.find("first differing index 2: fast 3.5, reference 3"), std::string::npos) << message;
}

TEST(OpCheck, RelativeToleranceAndNaN) {
  EXPECT_TRUE(outputs_match("rel", {{100.5f}, {100.0f}}, {0, 0.01}));
  EXPECT_FALSE(outputs_match("nan", {{std::nanf("")}, {1.0f}}, {1, 1}));
  EXPECT_FALSE(outputs_match("size", {{1.0f}, {1.0f, 2.0f}}, {1, 1}));
}

TEST(OpCheck, ShapesCoverBoundsAndOddSizes) {
  const auto shapes = op_shapes({{"rows", 1, 64}, {"width", 2, 800}}, 10, 7);
  ASSERT_EQ(shapes.size(), 12u);
  EXPECT_EQ(shapes[0].str(), "rows=1 width=2");
  EXPECT_EQ(shapes[1].str(), "rows=64 width=800");
  for (size_t i = 2; i < shapes.size(); i += 2) {
    EXPECT_EQ(shapes[i]["rows"] % 2, 1u) << shapes[i].str();
    EXPECT_EQ(shapes[i]["width"] % 2, 1u) << shapes[i].str();
  }
  for (const auto& s : shapes) {
    EXPECT_GE(s["rows"], 1u);
    EXPECT_LE(s["width"], 800u);
  }
}

}  // namespace
}  // namespace clipkit::kernels::testing
