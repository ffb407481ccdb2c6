// tests/image/preprocess_config_test.cpp — PreprocessOptions from open_clip's
// preprocess_cfg and Hugging Face's preprocessor_config.json: the layouts the hub's
// SigLIP and CLIP checkpoints ship, the defaults each library falls back to, refusals with
// their error codes, and two configs run end to end against the reference tensors of
// tests/data/siglip-preprocess.
#include <gtest/gtest.h>

#include <cmath>

#include "clipkit/error.hpp"
#include "clipkit/image.hpp"
#include "image/preprocess_config.hpp"
#include "support/test_support.hpp"

namespace clipkit::image {
namespace {

using nlohmann::json;
using testing::expect_error;

constexpr std::array<float, 3> kHalf = {0.5f, 0.5f, 0.5f};

// open_clip_config.json as timm/ViT-B-16-SigLIP-256 ships it (push_to_hf_hub's
// save_config_for_hf: model_cfg + preprocess_cfg with mean, std, interpolation, resize_mode).
TEST(PreprocessFromOpenClip, SiglipHubConfig) {
  const json config = json::parse(R"({
    "model_cfg": {"embed_dim": 768, "init_logit_bias": -10,
                  "vision_cfg": {"image_size": 256, "timm_model_name": "vit_base_patch16_siglip_256"},
                  "text_cfg": {"context_length": 64}},
    "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5],
                       "interpolation": "bicubic", "resize_mode": "squash"}})");
  const PreprocessOptions o = preprocess_from_open_clip(config);
  EXPECT_EQ(o.size, 256);
  EXPECT_EQ(o.resize_mode, ResizeMode::squash);
  EXPECT_EQ(o.interpolation, Interpolation::bicubic);
  EXPECT_EQ(o.order, PreprocessOrder::torchvision);
  EXPECT_EQ(o.mean, kHalf);
  EXPECT_EQ(o.std, kHalf);
  EXPECT_EQ(o.resize_size, 0);
}

TEST(PreprocessFromOpenClip, DefaultsAreOpenAiClip) {
  const PreprocessOptions clip;
  for (const char* text : {R"({})", R"({"model_cfg": {"vision_cfg": {"width": 768}}})",
                           R"({"model_cfg": {"vision_cfg": {"image_size": 224}}, "preprocess_cfg": {"mean": null}})"}) {
    SCOPED_TRACE(text);
    const PreprocessOptions o = preprocess_from_open_clip(json::parse(text));
    EXPECT_EQ(o.size, clip.size);
    EXPECT_EQ(o.mean, clip.mean);
    EXPECT_EQ(o.std, clip.std);
    EXPECT_EQ(o.interpolation, clip.interpolation);
    EXPECT_EQ(o.resize_mode, clip.resize_mode);
    EXPECT_EQ(o.order, clip.order);
  }
}

TEST(PreprocessFromOpenClip, BarePreprocessCfg) {
  PreprocessOptions o = preprocess_from_open_clip(
      json::parse(R"({"size": [384, 384], "mean": 0.5, "std": [0.25, 0.5, 1], "interpolation": "bilinear",
                      "resize_mode": "longest", "fill_color": 0, "mode": "RGB", "unknown_key": 1})"));
  EXPECT_EQ(o.size, 384);
  EXPECT_EQ(o.resize_mode, ResizeMode::longest);
  EXPECT_EQ(o.interpolation, Interpolation::bilinear);
  EXPECT_EQ(o.mean, kHalf);
  EXPECT_EQ(o.std, (std::array<float, 3>{0.25f, 0.5f, 1.0f}));
  o = preprocess_from_open_clip(json::parse(R"({"image_size": 512, "interpolation": "random"})"));
  EXPECT_EQ(o.size, 512);
  EXPECT_EQ(o.interpolation, Interpolation::bicubic);  // open_clip: "random" is bicubic at inference
  // In a whole file the tower's image_size wins over preprocess_cfg's, as create_model does.
  o = preprocess_from_open_clip(
      json::parse(R"({"model_cfg": {"vision_cfg": {"image_size": [320, 320]}}, "preprocess_cfg": {"size": 999}})"));
  EXPECT_EQ(o.size, 320);
}

TEST(PreprocessFromOpenClip, RefusesWhatItDoesNotReproduce) {
  const auto refuse = [](const char* text, ErrorCode code, std::initializer_list<std::string_view> words) {
    expect_error([&] { preprocess_from_open_clip(json::parse(text), "m/open_clip_config.json"); }, code, words, text);
  };
  refuse(R"({"preprocess_cfg": {"resize_mode": "crop"}})", ErrorCode::unsupported,
         {"m/open_clip_config.json", "resize_mode \"crop\""});
  refuse(R"({"preprocess_cfg": {"interpolation": "lanczos"}})", ErrorCode::unsupported, {"interpolation \"lanczos\""});
  refuse(R"({"model_cfg": {"vision_cfg": {"image_size": [224, 256]}}})", ErrorCode::unsupported,
         {"image_size [224,256] is not square"});
  refuse(R"({"preprocess_cfg": {"fill_color": 255}})", ErrorCode::unsupported, {"fill_color 255"});
  refuse(R"({"preprocess_cfg": {"mode": "L"}})", ErrorCode::unsupported, {"mode \"L\""});
  refuse(R"({"preprocess_cfg": {"mean": "x"}})", ErrorCode::corrupt_data, {"preprocess_cfg.mean"});
  refuse(R"({"preprocess_cfg": {"std": [0.5, 0, 0.5]}})", ErrorCode::corrupt_data, {"preprocess_cfg.std"});
  refuse(R"({"preprocess_cfg": {"size": -3}})", ErrorCode::corrupt_data, {"preprocess_cfg.size", "-3"});
  refuse(R"([1, 2])", ErrorCode::corrupt_data, {"JSON object"});
}

// preprocessor_config.json of google/siglip-base-patch16-224 (and every v1 SigLIP on the hub).
TEST(PreprocessFromHf, SiglipHubConfig) {
  const json config = json::parse(R"({
    "do_normalize": true, "do_rescale": true, "do_resize": true, "image_mean": [0.5, 0.5, 0.5],
    "image_processor_type": "SiglipImageProcessor", "image_std": [0.5, 0.5, 0.5],
    "processor_class": "SiglipProcessor", "resample": 3, "rescale_factor": 0.00392156862745098,
    "size": {"height": 224, "width": 224}})");
  const PreprocessOptions o = preprocess_from_hf(config);
  EXPECT_EQ(o.order, PreprocessOrder::transformers);
  EXPECT_EQ(o.size, 224);
  EXPECT_EQ(o.resize_mode, ResizeMode::squash);
  EXPECT_EQ(o.interpolation, Interpolation::bicubic);
  EXPECT_EQ(o.rescale_factor, 1.0 / 255.0);
  EXPECT_EQ(o.mean, kHalf);
  EXPECT_EQ(o.std, kHalf);
  // SiglipImageProcessor's own defaults are the same transform.
  const PreprocessOptions d = preprocess_from_hf(json::parse(R"({"image_processor_type": "SiglipImageProcessor"})"));
  EXPECT_EQ(d.size, 224);
  EXPECT_EQ(d.resize_mode, ResizeMode::squash);
  EXPECT_EQ(d.mean, kHalf);
  EXPECT_EQ(preprocess_from_hf(json::parse(R"({"resample": 2, "size": {"height": 384, "width": 384}})")).interpolation,
            Interpolation::bilinear);
}

// openai/clip-vit-base-patch32's preprocessor_config.json (the older int layout).
TEST(PreprocessFromHf, ClipHubConfig) {
  const json config = json::parse(R"({
    "crop_size": 224, "do_center_crop": true, "do_normalize": true, "do_resize": true,
    "feature_extractor_type": "CLIPFeatureExtractor",
    "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
    "resample": 3, "size": 224})");
  const PreprocessOptions o = preprocess_from_hf(config);
  const PreprocessOptions clip;
  EXPECT_EQ(o.order, PreprocessOrder::transformers);
  EXPECT_EQ(o.resize_mode, ResizeMode::shortest);
  EXPECT_EQ(o.size, 224);
  EXPECT_EQ(o.resize_size, 224);
  EXPECT_EQ(o.mean, clip.mean);
  EXPECT_EQ(o.std, clip.std);
  const PreprocessOptions o2 = preprocess_from_hf(json::parse(
      R"({"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 256},
          "crop_size": {"height": 224, "width": 224}, "do_rescale": false, "do_normalize": false})"));
  EXPECT_EQ(o2.resize_size, 256);
  EXPECT_EQ(o2.size, 224);
  EXPECT_EQ(o2.rescale_factor, 1.0);
  EXPECT_EQ(o2.mean, (std::array<float, 3>{0, 0, 0}));
  EXPECT_EQ(o2.std, (std::array<float, 3>{1, 1, 1}));
  const PreprocessOptions o3 = preprocess_from_hf(json::parse(
      R"({"image_processor_type": "CLIPImageProcessor", "size": {"height": 336, "width": 336}, "do_center_crop": false})"));
  EXPECT_EQ(o3.resize_mode, ResizeMode::squash);
  EXPECT_EQ(o3.size, 336);
}

TEST(PreprocessFromHf, RefusesWhatItDoesNotReproduce) {
  const auto refuse = [](const char* text, ErrorCode code, std::initializer_list<std::string_view> words) {
    expect_error([&] { preprocess_from_hf(json::parse(text), "m/preprocessor_config.json"); }, code, words, text);
  };
  refuse(R"({"image_processor_type": "Siglip2ImageProcessor", "max_num_patches": 256})", ErrorCode::unsupported,
         {"m/preprocessor_config.json", "Siglip2ImageProcessor", "NaFlex"});
  refuse(R"({"image_processor_type": "SiglipImageProcessorFast"})", ErrorCode::unsupported,
         {"SiglipImageProcessorFast", "antialias", "e.g. SiglipImageProcessor)"});
  refuse(R"({"resample": 1})", ErrorCode::unsupported, {"resample 1"});
  refuse(R"({"size": {"height": 224, "width": 256}})", ErrorCode::unsupported, {"not square"});
  refuse(R"({"do_resize": false})", ErrorCode::unsupported, {"do_resize false"});
  refuse(R"({"image_processor_type": "CLIPImageProcessor", "do_center_crop": false})", ErrorCode::unsupported,
         {"shortest_edge without a center crop"});
  refuse(R"({"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 200}, "crop_size": 224})",
         ErrorCode::unsupported, {"crop_size 224 is larger than shortest_edge 200"});
  refuse(R"({"image_processor_type": "SiglipImageProcessor", "size": {"shortest_edge": 224}})", ErrorCode::corrupt_data,
         {"no height and width"});
  refuse(R"({"resample": "bicubic"})", ErrorCode::corrupt_data, {"resample must be an integer"});
  refuse(R"({"image_std": [0.5, 0.5]})", ErrorCode::corrupt_data, {"image_std"});
  refuse(R"({"rescale_factor": -1})", ErrorCode::corrupt_data, {"rescale_factor"});
  refuse(R"({"do_convert_rgb": "yes"})", ErrorCode::corrupt_data, {"do_convert_rgb"});
}

// A config read by each helper gives the reference's own float tensor, bit for bit.
TEST(PreprocessConfig, EndToEndAgainstReferenceTensors) {
  const auto dir = testing::source_dir() / "tests" / "data" / "siglip-preprocess";
  DecodeOptions decode;
  decode.apply_exif_orientation = false;
  struct Case {
    const char* image;
    PreprocessOptions options;
    const char* tensor;
  };
  const Case cases[] = {
      {"rocket.jpg",
       preprocess_from_hf(json::parse(R"({"image_processor_type": "SiglipImageProcessor", "resample": 3,
                                          "size": {"height": 48, "width": 48}})")),
       "rocket.transformers.squash.bicubic.48.npy"},
      {"chelsea_palette_trns.png",
       preprocess_from_open_clip(json::parse(R"({"model_cfg": {"vision_cfg": {"image_size": 48}},
           "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "interpolation": "bilinear",
                              "resize_mode": "squash"}})")),
       "chelsea_palette_trns.torchvision.squash.bilinear.48.npy"},
      {"chelsea_cmyk.jpg",
       preprocess_from_open_clip(json::parse(R"({"size": 48, "mean": 0.5, "std": 0.5, "resize_mode": "longest"})")),
       "chelsea_cmyk.torchvision.longest.bicubic.48.npy"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.tensor);
    const auto expected = testing::read_npy(dir / c.tensor);
    const auto got = clip_preprocess(decode_image_file(testing::images_dir() / c.image, decode), c.options);
    ASSERT_EQ(got.size(), expected.data.size());
    EXPECT_EQ(testing::max_abs_diff(got, expected.data), 0.0);
  }
}

}  // namespace
}  // namespace clipkit::image
