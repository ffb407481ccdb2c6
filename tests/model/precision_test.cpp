// bf16 and int8 compute against fp32 on the fixture models (issue 5's accuracy bars):
// every image and text embedding keeps cosine ≥ 0.9995 (bf16) / ≥ 0.995 (int8).
#include <gtest/gtest.h>

#include "clipkit/clipkit.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

struct Embeddings {
  std::vector<float> images, texts;
};

Embeddings embed_all(const std::filesystem::path& model_dir, Precision precision) {
  auto exp = testing::read_json(model_dir / "expected.json");
  ClipOptions options;
  options.vocab = testing::bpe_vocab();
  options.model.precision = precision;
  options.decode.apply_exif_orientation = false;
  Clip clip = Clip::load(model_dir / "open_clip", options);
  std::vector<std::filesystem::path> paths;
  for (const auto& name : exp["images"]) paths.push_back(testing::images_dir() / name.get<std::string>());
  return {clip.embed_image_files(paths), clip.embed_texts(exp["texts"].get<std::vector<std::string>>())};
}

double worst_row_cosine(const std::vector<float>& a, const std::vector<float>& b, size_t dim) {
  double worst = 1;
  for (size_t r = 0; r < a.size() / dim; ++r)
    worst = std::min(worst, testing::cosine(std::span(a).subspan(r * dim, dim), std::span(b).subspan(r * dim, dim)));
  return worst;
}

TEST(Precision, Bf16AndInt8StayCloseToFp32) {
  for (const char* model : {"tiny_quickgelu", "tiny_gelu"}) {
    const auto dir = testing::fixtures_dir() / "models" / model;
    const Embeddings fp32 = embed_all(dir, Precision::fp32);
    for (auto [precision, floor] : {std::pair{Precision::bf16, 0.9995}, std::pair{Precision::int8, 0.995}}) {
      const Embeddings low = embed_all(dir, precision);
      const double images = worst_row_cosine(low.images, fp32.images, 32);
      const double texts = worst_row_cosine(low.texts, fp32.texts, 32);
      std::printf("[precision] %s %s: worst cosine to fp32 images %.6f texts %.6f\n", model, to_string(precision),
                  images, texts);
      EXPECT_GE(images, floor) << model << " " << to_string(precision);
      EXPECT_GE(texts, floor) << model << " " << to_string(precision);
    }
  }
}

TEST(Precision, ParsesNames) {
  EXPECT_EQ(parse_precision("bf16"), Precision::bf16);
  EXPECT_STREQ(to_string(Precision::int8), "int8");
  EXPECT_THROW(parse_precision("fp8"), Error);
}

}  // namespace
}  // namespace clipkit
