// The C API's models: options, load, dimensions and info.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "capi/boundary.hpp"
#include "capi/handles.hpp"
#include "clipkit/model.hpp"

using namespace clipkit;
using namespace clipkit::capi;

namespace {

std::atomic<uint64_t> next_serial{1};

ClipOptions clip_options(const clipkit_load_options* given) {
  clipkit_load_options o;
  clipkit_load_options_init(&o);
  if (given) {
    // A caller built against an older header passes a shorter struct: the fields it
    // knows are read, the rest keep their defaults.
    if (given->struct_size < offsetof(clipkit_load_options, vocab) + sizeof(o.vocab))
      throw Error(ErrorCode::invalid_argument,
                  "options->struct_size is " + std::to_string(given->struct_size) +
                      ": call clipkit_load_options_init(&options) before setting fields");
    std::memcpy(&o, given, std::min(given->struct_size, sizeof o));
  }
  ClipOptions options;
  if (o.vocab) options.vocab = o.vocab;
  if (o.text_model) options.model.text_model = o.text_model;
  switch (o.precision) {
    case CLIPKIT_PRECISION_FP32: options.model.precision = Precision::fp32; break;
    case CLIPKIT_PRECISION_BF16: options.model.precision = Precision::bf16; break;
    case CLIPKIT_PRECISION_INT8: options.model.precision = Precision::int8; break;
    default:
      throw Error(ErrorCode::invalid_argument,
                  "options->precision is " + std::to_string(o.precision) +
                      ": use CLIPKIT_PRECISION_FP32, _BF16 or _INT8");
  }
  if (o.threads < 0)
    throw Error(ErrorCode::invalid_argument, "options->threads is " + std::to_string(o.threads) + ": use 0 for all cores");
  options.model.threads = o.threads;
  if (o.max_pixels == 0) throw Error(ErrorCode::invalid_argument, "options->max_pixels is 0");
  options.decode.apply_exif_orientation = o.apply_exif_orientation != 0;
  options.decode.max_pixels = o.max_pixels;
  options.truncate = o.truncate != 0;
  return options;
}

std::filesystem::path model_path(const char* path) {
  if (path) return path;
  if (const char* env = std::getenv("CLIPKIT_MODEL"); env && *env) return env;
  if (auto embedded = default_model_path()) return *embedded;
  throw Error(ErrorCode::not_found,
              "no model path given, $CLIPKIT_MODEL is not set and the embedded emoji-clip model is not installed");
}

// The getters cannot fail on a model; they return a status so that every call reads
// the same way in a binding (NULL arguments are still refused).
template <class T, class Get>
clipkit_status get(const char* function, const clipkit_model* model, T* out, Get get_value) {
  return guard(function, [&] {
    require(model, "model");
    require(out, "output pointer");
    *out = get_value(model->clip.model());
  });
}

}  // namespace

clipkit_model::clipkit_model(Clip loaded)
    : clip(std::move(loaded)), info_json(model_info_json(clip.model())), serial(next_serial++) {}

const ModelIdentity& clipkit_model::identity() const {
  std::call_once(identity_once_, [this] { identity_ = identify(clip); });
  return *identity_;
}

extern "C" {

void clipkit_load_options_init(clipkit_load_options* options) {
  if (!options) return;
  *options = clipkit_load_options{};
  options->struct_size = sizeof(clipkit_load_options);
  options->precision = CLIPKIT_PRECISION_FP32;
  options->apply_exif_orientation = 1;
  options->max_pixels = 100'000'000;
  options->truncate = 1;
}

clipkit_status clipkit_model_load(const char* path, const clipkit_load_options* options, clipkit_model** out_model) {
  return guard("clipkit_model_load", [&] {
    require(out_model, "out_model");
    const ClipOptions clip = clip_options(options);
    *out_model = new clipkit_model(Clip::load(model_path(path), clip));
  });
}

void clipkit_model_free(clipkit_model* model) { delete model; }

clipkit_status clipkit_model_embed_dim(const clipkit_model* model, int32_t* out_dim) {
  return get("clipkit_model_embed_dim", model, out_dim, [](const Model& m) { return m.embed_dim(); });
}
clipkit_status clipkit_model_image_size(const clipkit_model* model, int32_t* out_size) {
  return get("clipkit_model_image_size", model, out_size, [](const Model& m) { return m.image_size(); });
}
clipkit_status clipkit_model_context_length(const clipkit_model* model, int32_t* out_length) {
  return get("clipkit_model_context_length", model, out_length, [](const Model& m) { return m.context_length(); });
}
clipkit_status clipkit_model_scoring(const clipkit_model* model, clipkit_scoring* out_scoring) {
  return get("clipkit_model_scoring", model, out_scoring, [](const Model& m) {
    return m.scoring() == Scoring::sigmoid ? CLIPKIT_SCORING_SIGMOID : CLIPKIT_SCORING_SOFTMAX;
  });
}
clipkit_status clipkit_model_logit_scale(const clipkit_model* model, float* out_scale) {
  return get("clipkit_model_logit_scale", model, out_scale, [](const Model& m) { return m.logit_scale(); });
}
clipkit_status clipkit_model_logit_bias(const clipkit_model* model, float* out_bias) {
  return get("clipkit_model_logit_bias", model, out_bias, [](const Model& m) { return m.logit_bias(); });
}

clipkit_status clipkit_model_info_json(const clipkit_model* model, const char** out_json) {
  return guard("clipkit_model_info_json", [&] {
    require(model, "model");
    require(out_json, "out_json");
    *out_json = model->info_json.c_str();
  });
}

}  // extern "C"
