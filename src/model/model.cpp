// The public clipkit::Model: owns the weights and the worker threads.
#include "clipkit/model.hpp"

#include <algorithm>
#include <thread>

#include "clipkit/error.hpp"
#include "core/parallel.hpp"
#include "io/checkpoint.hpp"
#include "kernels/blas.hpp"
#include "kernels/linear.hpp"
#include "model/towers.hpp"
#include "model/weights.hpp"

namespace clipkit {

const char* to_string(Activation activation) {
  return activation == Activation::gelu ? "gelu" : "quick_gelu";
}

Activation parse_activation(const std::string& name) {
  if (name == "quick_gelu" || name == "quickgelu" || name == "QuickGELU") return Activation::quick_gelu;
  if (name == "gelu" || name == "GELU") return Activation::gelu;
  throw Error(ErrorCode::invalid_argument, "unknown activation '" + name + "' (expected quick_gelu or gelu)");
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

struct Model::Impl {
  model::ClipWeights weights;
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

std::unique_ptr<Model> make_model(model::ClipWeights&& weights, ModelInfo info, const ModelOptions& options) {
  auto impl = std::make_unique<Model::Impl>();
  if (options.activation) weights.config.activation = *options.activation;
  const int threads = options.threads > 0 ? options.threads
                                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  core::set_threads(threads);  // OpenMP: our loops and oneDNN's kernels
  kernels::set_blas_threads(threads);
  model::pack_weights(weights, static_cast<kernels::Precision>(options.precision));
  info.precision = options.precision;
  info.weight_bytes = weights.weight_bytes;
  info.config = weights.config;
  info.parameters = weights.parameters;
  info.architecture = architecture_name(weights.config);
  impl->weights = std::move(weights);
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
  return make_model(model::weights_from_checkpoint(std::move(ckpt)), std::move(info), options);
}

std::unique_ptr<Model> Model::random(const ModelConfig& config, uint64_t seed, const ModelOptions& options) {
  ModelInfo info;
  info.format = "random";
  info.dtype = "f32";
  return make_model(model::random_weights(config, seed), std::move(info), options);
}

const ModelInfo& Model::info() const { return impl_->info; }
const ModelConfig& Model::config() const { return impl_->weights.config; }
int Model::embed_dim() const { return impl_->weights.config.embed_dim; }
int Model::image_size() const { return impl_->weights.config.image_resolution; }
int Model::context_length() const { return impl_->weights.config.context_length; }
float Model::logit_scale() const { return impl_->weights.logit_scale; }
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
    auto part = model::encode_images(impl_->weights, pixels.data() + begin * per_image, n);
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
    auto part = model::encode_tokens(impl_->weights, tokens.data() + begin * ctx, n);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

}  // namespace clipkit
