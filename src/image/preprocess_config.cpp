// image/preprocess_config.cpp — open_clip's preprocess_cfg and transformers'
// preprocessor_config.json turned into PreprocessOptions. Written from open_clip v2.24.0
// (transform.py PreprocessCfg / merge_preprocess_dict / image_transform, factory.py
// create_model) and transformers' image_processing_siglip.py, image_processing_clip.py
// image_processing_chinese_clip.py and image_transforms.py. Anything that would not be
// reproduced exactly is refused.
#include "image/preprocess_config.hpp"

#include <cmath>
#include <optional>

#include "clipkit/error.hpp"

namespace clipkit::image {
namespace {

using nlohmann::json;

constexpr std::array<float, 3> kOpenAiMean = {0.48145466f, 0.4578275f, 0.40821073f};
constexpr std::array<float, 3> kOpenAiStd = {0.26862954f, 0.26130258f, 0.27577711f};
constexpr std::array<float, 3> kImagenetStandard = {0.5f, 0.5f, 0.5f};  // transformers' IMAGENET_STANDARD_*

[[noreturn]] void corrupt(const std::string& name, const std::string& what) {
  throw Error(ErrorCode::corrupt_data, name + ": " + what);
}
[[noreturn]] void unsupported(const std::string& name, const std::string& what) {
  throw Error(ErrorCode::unsupported, name + ": " + what);
}

int positive_int(const json& v, const std::string& name, const std::string& key) {
  if (!v.is_number_integer() || v.get<int64_t>() <= 0 || v.get<int64_t>() > 65536) {
    corrupt(name, key + " must be a positive integer (up to 65536), got " + v.dump());
  }
  return static_cast<int>(v.get<int64_t>());
}

// A number, or a list of 3 numbers (open_clip and transformers both broadcast one number).
std::array<float, 3> three_floats(const json& v, const std::string& name, const std::string& key, bool nonzero) {
  std::array<float, 3> out{};
  if (v.is_number()) {
    out.fill(static_cast<float>(v.get<double>()));
  } else if (v.is_array() && v.size() == 3 && v[0].is_number() && v[1].is_number() && v[2].is_number()) {
    for (int i = 0; i < 3; ++i) out[i] = static_cast<float>(v[i].get<double>());
  } else {
    corrupt(name, key + " must be a number or 3 numbers, got " + v.dump());
  }
  for (float f : out) {
    if (!std::isfinite(f) || (nonzero && f == 0.0f)) corrupt(name, key + " has a value that is not usable: " + v.dump());
  }
  return out;
}

// open_clip sizes: an int, or [h, w] (to_2tuple); clipkit's output is square.
int square_size(const json& v, const std::string& name, const std::string& key) {
  if (v.is_array()) {
    if (v.size() == 1) return positive_int(v[0], name, key);
    if (v.size() != 2) corrupt(name, key + " must be an int or [height, width], got " + v.dump());
    const int h = positive_int(v[0], name, key), w = positive_int(v[1], name, key);
    if (h != w) unsupported(name, key + " " + v.dump() + " is not square (clipkit's input is size x size)");
    return h;
  }
  return positive_int(v, name, key);
}

bool boolean(const json& config, const char* key, bool fallback, const std::string& name) {
  if (!config.contains(key) || config[key].is_null()) return fallback;
  if (!config[key].is_boolean()) corrupt(name, std::string(key) + " must be true or false, got " + config[key].dump());
  return config[key].get<bool>();
}

const json* get(const json& config, const char* key) {
  if (!config.is_object() || !config.contains(key) || config[key].is_null()) return nullptr;
  return &config[key];
}

}  // namespace

PreprocessOptions preprocess_from_open_clip(const json& config, const std::string& name) {
  if (!config.is_object()) corrupt(name, "expected a JSON object");
  const bool whole_file = config.contains("model_cfg") || config.contains("preprocess_cfg");
  const json empty = json::object();
  const json& cfg = whole_file ? (get(config, "preprocess_cfg") ? config["preprocess_cfg"] : empty) : config;
  if (!cfg.is_object()) corrupt(name, "preprocess_cfg must be an object");
  PreprocessOptions o;  // PreprocessCfg(): 224, OpenAI mean/std, bicubic, shortest
  o.size = 224;
  o.mean = kOpenAiMean;
  o.std = kOpenAiStd;
  if (const json* v = get(cfg, "size")) o.size = square_size(*v, name, "preprocess_cfg.size");
  else if (const json* v2 = get(cfg, "image_size")) o.size = square_size(*v2, name, "preprocess_cfg.image_size");
  if (whole_file) {
    // create_model: force_preprocess_cfg['size'] = model.visual.image_size, which is
    // vision_cfg.image_size (CLIPVisionCfg's default 224) for every tower kind.
    const json* model_cfg = get(config, "model_cfg");
    const json* vision_cfg = model_cfg && model_cfg->is_object() ? get(*model_cfg, "vision_cfg") : nullptr;
    const json* image_size = vision_cfg && vision_cfg->is_object() ? get(*vision_cfg, "image_size") : nullptr;
    if (model_cfg) o.size = image_size ? square_size(*image_size, name, "model_cfg.vision_cfg.image_size") : 224;
  }
  if (const json* v = get(cfg, "mean")) o.mean = three_floats(*v, name, "preprocess_cfg.mean", false);
  if (const json* v = get(cfg, "std")) o.std = three_floats(*v, name, "preprocess_cfg.std", true);
  if (const json* v = get(cfg, "interpolation")) {
    const std::string s = v->is_string() ? v->get<std::string>() : v->dump();
    // image_transform: "random" is ignored at inference, where it means bicubic.
    if (s == "bicubic" || s == "random") o.interpolation = Interpolation::bicubic;
    else if (s == "bilinear") o.interpolation = Interpolation::bilinear;
    else unsupported(name, "preprocess_cfg.interpolation " + v->dump() + " (open_clip knows bicubic, bilinear, random)");
  }
  if (const json* v = get(cfg, "resize_mode")) {
    const std::string s = v->is_string() ? v->get<std::string>() : v->dump();
    if (s == "shortest") o.resize_mode = ResizeMode::shortest;
    else if (s == "squash") o.resize_mode = ResizeMode::squash;
    else if (s == "longest") o.resize_mode = ResizeMode::longest;
    else unsupported(name, "preprocess_cfg.resize_mode " + v->dump() + " (open_clip knows shortest, squash, longest)");
  }
  if (const json* v = get(cfg, "fill_color")) {
    if (!v->is_number() || v->get<double>() != 0.0) {
      unsupported(name, "preprocess_cfg.fill_color " + v->dump() + " (only 0, open_clip's default, is reproduced)");
    }
  }
  if (const json* v = get(cfg, "mode")) {
    if (*v != "RGB") unsupported(name, "preprocess_cfg.mode " + v->dump() + " (open_clip accepts only RGB)");
  }
  return o;
}

PreprocessOptions preprocess_from_hf(const json& config, const std::string& name) {
  if (!config.is_object()) corrupt(name, "expected a JSON object");
  std::string type;
  for (const char* key : {"image_processor_type", "feature_extractor_type"}) {
    if (const json* v = get(config, key)) {
      if (!v->is_string()) corrupt(name, std::string(key) + " must be a string");
      if (type.empty()) type = v->get<std::string>();
    }
  }
  bool clip_rules;
  // ChineseCLIPImageProcessor is CLIP's (defaults, crop, mean/std) except for its resize,
  // which reads size["height"], size["width"] and squashes to them.
  const bool chinese_clip = type == "ChineseCLIPImageProcessor" || type == "ChineseCLIPFeatureExtractor";
  if (type == "SiglipImageProcessor") {
    clip_rules = false;
  } else if (type == "CLIPImageProcessor" || type == "CLIPFeatureExtractor" || chinese_clip) {
    clip_rules = true;
  } else if (type.empty()) {
    clip_rules = config.contains("crop_size") || config.contains("do_center_crop");
  } else if (type.size() > 4 && type.compare(type.size() - 4, 4, "Fast") == 0) {
    unsupported(name, "image_processor_type " + type +
                          " (the fast processors resize torch tensors with torchvision's antialias, not Pillow; "
                          "clipkit reproduces the Pillow ones, e.g. " + type.substr(0, type.size() - 4) + ")");
  } else {
    unsupported(name, "image_processor_type " + type +
                          " (clipkit reproduces SiglipImageProcessor, CLIPImageProcessor and "
                          "ChineseCLIPImageProcessor; SigLIP 2's NaFlex "
                          "Siglip2ImageProcessor is not supported)");
  }
  PreprocessOptions o;
  o.order = PreprocessOrder::transformers;
  o.mean = clip_rules ? kOpenAiMean : kImagenetStandard;
  o.std = clip_rules ? kOpenAiStd : kImagenetStandard;
  o.interpolation = Interpolation::bicubic;  // both processors default to BICUBIC

  if (!boolean(config, "do_resize", true, name)) {
    unsupported(name, "do_resize false (the output size would follow each image; the model needs a fixed size)");
  }
  // size: SiglipImageProcessor reads size["height"], size["width"]; CLIPImageProcessor
  // also takes {"shortest_edge"} (and an int, which get_size_dict makes shortest_edge).
  json size = get(config, "size") ? config["size"]
                                  : (clip_rules ? json{{"shortest_edge", 224}} : json{{"height", 224}, {"width", 224}});
  if (size.is_number_integer() && clip_rules) size = json{{"shortest_edge", size}};
  if (!size.is_object()) corrupt(name, "size must be an object, got " + size.dump());
  std::optional<int> shortest_edge;
  std::optional<int> squash;
  if (size.contains("height") && size.contains("width")) {
    const int h = positive_int(size["height"], name, "size.height"), w = positive_int(size["width"], name, "size.width");
    if (h != w) unsupported(name, "size " + size.dump() + " is not square (clipkit's input is size x size)");
    squash = h;
  } else if (chinese_clip) {
    corrupt(name, "size " + size.dump() + " has no height and width (ChineseCLIPImageProcessor.resize reads "
                  "size[\"height\"] and size[\"width\"]; transformers raises KeyError)");
  } else if (size.contains("shortest_edge") && clip_rules) {
    if (size.contains("longest_edge")) unsupported(name, "size.longest_edge " + size.dump());
    shortest_edge = positive_int(size["shortest_edge"], name, "size.shortest_edge");
  } else {
    corrupt(name, "size " + size.dump() + " has no height and width" + (clip_rules ? " or shortest_edge" : ""));
  }
  std::optional<int> crop;
  if (clip_rules && boolean(config, "do_center_crop", true, name)) {
    json crop_size = get(config, "crop_size") ? config["crop_size"] : json{{"height", 224}, {"width", 224}};
    if (crop_size.is_number_integer()) crop_size = json{{"height", crop_size}, {"width", crop_size}};
    if (!crop_size.is_object() || !crop_size.contains("height") || !crop_size.contains("width")) {
      corrupt(name, "crop_size must be {\"height\", \"width\"}, got " + crop_size.dump());
    }
    const int h = positive_int(crop_size["height"], name, "crop_size.height");
    const int w = positive_int(crop_size["width"], name, "crop_size.width");
    if (h != w) unsupported(name, "crop_size " + crop_size.dump() + " is not square");
    crop = h;
  }
  if (squash) {
    if (crop && *crop != *squash) {
      unsupported(name, "a center crop of " + std::to_string(*crop) + " after resizing to " + std::to_string(*squash) +
                            "x" + std::to_string(*squash));
    }
    o.resize_mode = ResizeMode::squash;
    o.size = *squash;
  } else {
    if (!crop) unsupported(name, "shortest_edge without a center crop (the output would not be square)");
    if (*crop > *shortest_edge) {
      unsupported(name, "crop_size " + std::to_string(*crop) + " is larger than shortest_edge " +
                            std::to_string(*shortest_edge) + " (transformers would pad with zeros)");
    }
    o.resize_mode = ResizeMode::shortest;
    o.size = *crop;
    o.resize_size = *shortest_edge;
  }

  if (const json* v = get(config, "resample")) {
    if (!v->is_number_integer()) corrupt(name, "resample must be an integer, got " + v->dump());
    const int64_t r = v->get<int64_t>();
    if (r == 2) o.interpolation = Interpolation::bilinear;
    else if (r == 3) o.interpolation = Interpolation::bicubic;
    else unsupported(name, "resample " + v->dump() + " (clipkit reproduces 2 = bilinear and 3 = bicubic)");
  }
  o.rescale_factor = 1.0 / 255.0;
  if (const json* v = get(config, "rescale_factor")) {
    if (!v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() <= 0) {
      corrupt(name, "rescale_factor must be a positive number, got " + v->dump());
    }
    o.rescale_factor = v->get<double>();
  }
  if (!boolean(config, "do_rescale", true, name)) o.rescale_factor = 1.0;
  if (const json* v = get(config, "image_mean")) o.mean = three_floats(*v, name, "image_mean", false);
  if (const json* v = get(config, "image_std")) o.std = three_floats(*v, name, "image_std", true);
  if (!boolean(config, "do_normalize", true, name)) {
    o.mean = {0.0f, 0.0f, 0.0f};
    o.std = {1.0f, 1.0f, 1.0f};
  }
  boolean(config, "do_convert_rgb", true, name);  // checked for type; see the header
  return o;
}

}  // namespace clipkit::image
