// image/preprocess_config.hpp — PreprocessOptions from the config files a checkpoint
// ships: open_clip's open_clip_config.json (`preprocess_cfg`) and Hugging Face's
// preprocessor_config.json (SiglipImageProcessor, CLIPImageProcessor,
// ChineseCLIPImageProcessor).
//
//   auto pre = preprocess_from_open_clip(read_json(dir / "open_clip_config.json"));
//   auto pre = preprocess_from_hf(read_json(dir / "preprocessor_config.json"));
//   std::vector<float> chw = clip_preprocess(image, pre);
//
// Both reproduce what the reference library would do at inference, or throw: values the
// library would reject or that are malformed are Error(corrupt_data), settings clipkit
// does not reproduce exactly are Error(unsupported); messages name `name` (the file) and
// the key. Thread-safe (pure functions).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "clipkit/image.hpp"

namespace clipkit::image {

// open_clip v2.24.0: starts from PreprocessCfg's defaults (224, OpenAI mean/std,
// bicubic, shortest, fill 0) and merges `preprocess_cfg` over them as
// merge_preprocess_dict does (unknown keys and nulls ignored). `config` is either the
// whole open_clip_config.json — then the size is model_cfg.vision_cfg.image_size (224 when
// absent), as create_model overrides the size with model.visual.image_size — or a bare
// preprocess_cfg object, whose size comes from "size" (or "image_size").
// Accepted: size an int or a square [h, w]; mean/std a number or 3 numbers;
// interpolation bicubic | bilinear | random (open_clip uses bicubic for "random" at
// inference); resize_mode shortest | squash | longest; fill_color 0; mode "RGB".
// Unsupported: non-square sizes, fill_color != 0, other interpolations or modes.
PreprocessOptions preprocess_from_open_clip(const nlohmann::json& config,
                                            const std::string& name = "open_clip_config.json");

// transformers' slow (Pillow) image processors, order PreprocessOrder::transformers:
//  - SiglipImageProcessor (defaults: size {"height": 224, "width": 224}, resample 3,
//    mean/std 0.5): size {"height": n, "width": n} -> squash to n.
//  - CLIPImageProcessor / CLIPFeatureExtractor (defaults: size {"shortest_edge": 224},
//    crop_size 224, do_center_crop, OpenAI mean/std): {"shortest_edge": s} + crop_size
//    c -> shortest with resize_size s, size c (s >= c); {"height": n, "width": n} with
//    crop n (or no crop) -> squash. An int size means shortest_edge, an int crop_size a
//    square.
//  - ChineseCLIPImageProcessor / ChineseCLIPFeatureExtractor (OFA-Sys/chinese-clip-*:
//    size {"height": n, "width": n}, do_center_crop false): CLIP's defaults and crop, but
//    its resize squashes to size["height"] x size["width"], so a size without them
//    (shortest_edge, an int, its own default {"shortest_edge": 224}) is corrupt_data, as
//    transformers raises KeyError; a crop other than n after the squash is unsupported.
//  - No image_processor_type: CLIP's rules when the file has crop_size or do_center_crop,
//    SigLIP's otherwise.
// resample 2 = bilinear, 3 = bicubic; do_rescale false -> rescale_factor 1, else
// rescale_factor (default 1/255); do_normalize false -> mean 0, std 1 (exactly the
// identity); image_mean / image_std a number or 3 numbers.
// do_convert_rgb is read but does not change the result: transformers converts first when
// it is true, and when it is false or absent (SiglipImageProcessor's default) it gives an
// RGB image the same result and raises for every other mode — clipkit converts first.
// Unsupported: other processor types (Siglip2ImageProcessor's NaFlex patches, the
// torchvision-tensor "…Fast" processors, …),
// do_resize false, non-square sizes or crops, a crop larger than shortest_edge, other
// resample filters (0 nearest, 1 lanczos, 4 box, 5 hamming).
PreprocessOptions preprocess_from_hf(const nlohmann::json& config,
                                     const std::string& name = "preprocessor_config.json");

}  // namespace clipkit::image
