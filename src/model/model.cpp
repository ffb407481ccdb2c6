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
#include "model/mclip/mclip.hpp"
#include "model/network.hpp"
#include "model/resnet/resnet.hpp"
#include "model/siglip/siglip.hpp"
#include "model/towers.hpp"
#include "model/weights.hpp"
#include "model/xlmr_clip/xlmr_clip.hpp"

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
  std::unique_ptr<model::Network> text_network;  // ModelOptions::text_model's; else null
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
  using Encode = model::NetworkOf<model::ClipWeights>;
  loaded.network = std::make_unique<Encode>(std::move(weights), Encode::Images(model::encode_images),
                                            Encode::Tokens(model::encode_tokens));
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

namespace {

// One checkpoint, by the family its tensors show.
model::Loaded load_family(const std::filesystem::path& path, const ModelOptions& options, ModelInfo& info) {
  io::Checkpoint ckpt = io::load_checkpoint(path);
  info.path = path;
  info.format = ckpt.format;
  info.dtype = ckpt.dtype;
  info.vocab_path = ckpt.vocab_path;
  info.family = ckpt.family;
  if (ckpt.family == "chinese_clip") return model::chinese_clip::load(std::move(ckpt), options, info);
  if (ckpt.family == "siglip") return model::siglip::load(std::move(ckpt), options, info);
  if (ckpt.family == "xlmr_clip") return model::xlmr_clip::load(std::move(ckpt), options, info);
  if (ckpt.family == "mclip") return model::mclip::load(std::move(ckpt), options, info);
  if (model::resnet::has_resnet_tower(ckpt.tensors)) return model::resnet::load(std::move(ckpt), options, info);
  return load_clip(model::weights_from_checkpoint(std::move(ckpt)), options, info);
}

// The image model's Loaded/info take the text model's text side.
void pair_text_model(model::Loaded& loaded, ModelInfo& info, model::Loaded&& text, ModelInfo&& text_info) {
  if (text.config.embed_dim != loaded.config.embed_dim)
    throw Error(ErrorCode::invalid_argument,
                text_info.path.string() + ": the text model's embeddings have " +
                    std::to_string(text.config.embed_dim) + " dimensions but the image model's (" +
                    info.path.string() + ") have " + std::to_string(loaded.config.embed_dim) +
                    "; a text model must be trained into its image model's space");
  ModelConfig& c = loaded.config;
  c.context_length = text.config.context_length;
  c.vocab_size = text.config.vocab_size;
  c.text_width = text.config.text_width;
  c.text_heads = text.config.text_heads;
  c.text_layers = text.config.text_layers;
  info.text_model_path = text_info.path;
  info.text_family = text_info.family;
  info.text_format = text_info.format;
  info.text_architecture = text_info.architecture;
  info.tokenizer = text_info.tokenizer;
  info.vocab_path = text_info.vocab_path;
  info.parameters += text_info.parameters;
  info.weight_bytes += text_info.weight_bytes;
  info.choices.push_back({"text model", text_info.path.string() + " (" + text_info.family + ", " + text_info.format +
                                            "): texts are encoded by it, images by " + info.path.string()});
  for (auto& [what, value] : text_info.choices) info.choices.push_back({"text model " + what, value});
}

}  // namespace

std::unique_ptr<Model> Model::load(const std::filesystem::path& path, const ModelOptions& options) {
  const int threads = set_threads(options);
  ModelInfo info;
  model::Loaded loaded = load_family(path, options, info);
  if (loaded.text_only)
    throw Error(ErrorCode::unsupported,
                path.string() + ": " + info.architecture + " is a text tower only; load it as the text model beside "
                                "the image model it was trained for (--model IMAGE_MODEL --text-model " +
                                path.string() + ")");
  std::unique_ptr<model::Network> text_network;
  if (options.text_model) {
    ModelInfo text_info;
    model::Loaded text = load_family(*options.text_model, options, text_info);
    text_network = std::move(text.network);
    pair_text_model(loaded, info, std::move(text), std::move(text_info));
  }
  std::unique_ptr<Model> model = make_model(std::move(loaded), std::move(info), options, threads);
  model->impl_->text_network = std::move(text_network);
  return model;
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
    const model::Network& text = impl_->text_network ? *impl_->text_network : *impl_->network;
    auto part = text.encode_tokens(tokens.data() + begin * ctx, n);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

}  // namespace clipkit
