// The public clipkit::Model: owns the weights and the worker threads.
#include "clipkit/model.hpp"

#include <algorithm>
#include <thread>

#include "clipkit/error.hpp"
#include "core/parallel.hpp"
#include "io/checkpoint.hpp"
#include "kernels/blas.hpp"
#include "kernels/linear.hpp"
#include "model/chinese_clip/chinese_clip.hpp"
#include "model/network.hpp"
#include "model/siglip/siglip.hpp"
#include "model/towers.hpp"
#include "model/weights.hpp"

namespace clipkit {

const char* to_string(Activation activation) {
  switch (activation) {
    case Activation::gelu: return "gelu";
    case Activation::gelu_tanh: return "gelu_tanh";
    case Activation::quick_gelu: break;
  }
  return "quick_gelu";
}

Activation parse_activation(const std::string& name) {
  if (name == "quick_gelu" || name == "quickgelu" || name == "QuickGELU") return Activation::quick_gelu;
  if (name == "gelu" || name == "GELU") return Activation::gelu;
  if (name == "gelu_tanh" || name == "gelu_pytorch_tanh" || name == "gelu_new" || name == "gelu_fast")
    return Activation::gelu_tanh;
  throw Error(ErrorCode::invalid_argument,
              "unknown activation '" + name + "' (expected quick_gelu, gelu or gelu_tanh)");
}

const char* to_string(Precision precision) {
  return kernels::to_string(static_cast<kernels::Precision>(precision));
}

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::fp32;
  if (name == "bf16") return Precision::bf16;
  if (name == "int8") return Precision::int8;
  throw Error(ErrorCode::invalid_argument, "unknown precision '" + name + "' (expected fp32, bf16 or int8)");
}

std::string compute_backend() { return std::string("oneDNN 2.6 (") + kernels::compute_isa() + ")"; }

ModelConfig ModelConfig::vit_b_32() { return ModelConfig{}; }

const char* to_string(Scoring scoring) { return scoring == Scoring::sigmoid ? "sigmoid" : "softmax"; }

struct Model::Impl {
  std::unique_ptr<model::Network> network;
  ModelConfig config;
  float logit_scale = 1.0f, logit_bias = 0.0f;
  ModelInfo info;
  int threads = 1;
};

namespace {

std::string architecture_name(const ModelConfig& c) {
  struct Known { int width, layers, patch, res; const char* name; };
  static const Known kKnown[] = {{768, 12, 32, 224, "ViT-B/32"}, {768, 12, 16, 224, "ViT-B/16"},
                                 {1024, 24, 14, 224, "ViT-L/14"}, {1024, 24, 14, 336, "ViT-L/14@336px"},
                                 {1280, 32, 14, 224, "ViT-H/14"}};
  for (const auto& k : kKnown)
    if (c.vision_width == k.width && c.vision_layers == k.layers && c.vision_patch_size == k.patch &&
        c.image_resolution == k.res)
      return k.name;
  return "ViT";
}

// OpenAI's CLIP ViT (model/towers.cpp).
class ClipNetwork final : public model::Network {
 public:
  explicit ClipNetwork(model::ClipWeights&& w) : w_(std::move(w)) {}
  std::vector<float> encode_images(const float* pixels, size_t count) const override {
    return model::encode_images(w_, pixels, count);
  }
  std::vector<float> encode_tokens(const int32_t* tokens, size_t count) const override {
    return model::encode_tokens(w_, tokens, count);
  }

 private:
  model::ClipWeights w_;
};

model::Loaded load_clip(model::ClipWeights&& weights, const ModelOptions& options, ModelInfo& info) {
  if (options.activation) weights.config.activation = *options.activation;
  model::pack_weights(weights, static_cast<kernels::Precision>(options.precision));
  info.weight_bytes = weights.weight_bytes;
  info.parameters = weights.parameters;
  info.architecture = architecture_name(weights.config);
  info.preprocess.size = weights.config.image_resolution;
  model::Loaded loaded;
  loaded.config = weights.config;
  loaded.logit_scale = weights.logit_scale;
  loaded.network = std::make_unique<ClipNetwork>(std::move(weights));
  return loaded;
}

int set_threads(const ModelOptions& options) {
  const int threads = options.threads > 0 ? options.threads
                                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  core::set_threads(threads);  // OpenMP: our loops and oneDNN's kernels
  kernels::set_blas_threads(threads);
  return threads;
}

std::unique_ptr<Model> make_model(model::Loaded&& loaded, ModelInfo info, const ModelOptions& options, int threads) {
  auto impl = std::make_unique<Model::Impl>();
  info.precision = options.precision;
  info.config = loaded.config;
  impl->network = std::move(loaded.network);
  impl->config = loaded.config;
  impl->logit_scale = loaded.logit_scale;
  impl->logit_bias = loaded.logit_bias;
  impl->info = std::move(info);
  impl->threads = threads;
  return std::make_unique<Model>(std::move(impl));
}

}  // namespace

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

std::unique_ptr<Model> Model::load(const std::filesystem::path& path, const ModelOptions& options) {
  io::Checkpoint ckpt = io::load_checkpoint(path);
  ModelInfo info;
  info.path = path;
  info.format = ckpt.format;
  info.dtype = ckpt.dtype;
  info.vocab_path = ckpt.vocab_path;
  info.family = ckpt.family;
  const int threads = set_threads(options);
  if (ckpt.family == "chinese_clip") {
    model::Loaded loaded = model::chinese_clip::load(std::move(ckpt), options, info);
    return make_model(std::move(loaded), std::move(info), options, threads);
  }
  if (ckpt.family == "siglip") {
    model::Loaded loaded = model::siglip::load(std::move(ckpt), options, info);
    return make_model(std::move(loaded), std::move(info), options, threads);
  }
  model::Loaded loaded = load_clip(model::weights_from_checkpoint(std::move(ckpt)), options, info);
  return make_model(std::move(loaded), std::move(info), options, threads);
}

std::unique_ptr<Model> Model::random(const ModelConfig& config, uint64_t seed, const ModelOptions& options) {
  ModelInfo info;
  info.format = "random";
  info.dtype = "f32";
  const int threads = set_threads(options);
  model::Loaded loaded = load_clip(model::random_weights(config, seed), options, info);
  return make_model(std::move(loaded), std::move(info), options, threads);
}

const ModelInfo& Model::info() const { return impl_->info; }
const ModelConfig& Model::config() const { return impl_->config; }
int Model::embed_dim() const { return impl_->config.embed_dim; }
int Model::image_size() const { return impl_->config.image_resolution; }
int Model::context_length() const { return impl_->config.context_length; }
float Model::logit_scale() const { return impl_->logit_scale; }
float Model::logit_bias() const { return impl_->logit_bias; }
Scoring Model::scoring() const { return impl_->info.scoring; }
int Model::threads() const { return impl_->threads; }

std::vector<float> Model::encode_images(std::span<const float> pixels, size_t count) const {
  const size_t per_image = 3 * static_cast<size_t>(image_size()) * image_size();
  if (pixels.size() != count * per_image)
    throw Error(ErrorCode::invalid_argument, "encode_images: got " + std::to_string(pixels.size()) +
                                                 " floats for " + std::to_string(count) + " images of 3×" +
                                                 std::to_string(image_size()) + "×" + std::to_string(image_size()));
  // Bounded chunks keep the activations small whatever the batch.
  constexpr size_t kChunk = 32;
  std::vector<float> out;
  out.reserve(count * embed_dim());
  for (size_t begin = 0; begin < count; begin += kChunk) {
    const size_t n = std::min(kChunk, count - begin);
    auto part = impl_->network->encode_images(pixels.data() + begin * per_image, n);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

std::vector<float> Model::encode_tokens(std::span<const int32_t> tokens, size_t count) const {
  const size_t ctx = static_cast<size_t>(context_length());
  if (tokens.size() != count * ctx)
    throw Error(ErrorCode::invalid_argument, "encode_tokens: got " + std::to_string(tokens.size()) + " ids for " +
                                                 std::to_string(count) + " rows of " + std::to_string(ctx));
  constexpr size_t kChunk = 64;
  std::vector<float> out;
  out.reserve(count * embed_dim());
  for (size_t begin = 0; begin < count; begin += kChunk) {
    const size_t n = std::min(kChunk, count - begin);
    auto part = impl_->network->encode_tokens(tokens.data() + begin * ctx, n);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

}  // namespace clipkit
