// A loaded model is immutable and may be shared: concurrent calls from several
// threads give exactly what serial calls give.
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "clipkit/clipkit.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

TEST(ModelConcurrency, SharedModelGivesSerialResults) {
  ClipOptions options;
  options.vocab = testing::bpe_vocab();
  for (Precision precision : {Precision::fp32, Precision::int8}) {
    options.model.precision = precision;
    const Clip clip = Clip::load(testing::fixtures_dir() / "models/tiny_quickgelu/hf", options);
    const std::vector<std::filesystem::path> images = {testing::images_dir() / "chelsea.png",
                                                       testing::images_dir() / "rocket.jpg"};
    const std::vector<std::string> texts = {"a photo of a cat", "a rocket on a launch pad", "x"};
    const auto serial_images = clip.embed_image_files(images);
    const auto serial_texts = clip.embed_texts(texts);
    std::vector<std::vector<float>> image_results(4), text_results(4);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int repeat = 0; repeat < 5; ++repeat) {
          image_results[t] = clip.embed_image_files(images);
          text_results[t] = clip.embed_texts(texts);
        }
      });
    for (auto& t : threads) t.join();
    for (size_t t = 0; t < 4; ++t) {
      EXPECT_EQ(image_results[t], serial_images) << "thread " << t << " " << to_string(precision);
      EXPECT_EQ(text_results[t], serial_texts) << "thread " << t << " " << to_string(precision);
    }
  }
}

}  // namespace
}  // namespace clipkit
