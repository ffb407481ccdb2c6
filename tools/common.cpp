#include "common.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace clipkit::tools {

void add_model_options(CLI::App& app, ModelArgs& args, bool images) {
  app.add_option("-m,--model", args.model,
                 "CLIP checkpoint: OpenAI .pt, .safetensors, or a Hugging Face / open_clip folder, or a registry "
                 "name (ViT-B/32, hf:openai/clip-vit-base-patch32, …: `clipkit pull --list`), pulled when missing "
                 "(default: $CLIPKIT_MODEL, else the embedded emoji-clip model)");
  app.add_option("--text-model", args.text_model,
                 "a text tower from another checkpoint, paired with --model's image tower: M-CLIP "
                 "(M-CLIP/XLM-Roberta-Large-Vit-B-32 with OpenAI's ViT-B-32, …) or any model with the same "
                 "embedding size");
  app.add_option("--vocab", args.vocab,
                 "BPE merges: bpe_simple_vocab_16e6.txt.gz or vocab.json/merges.txt; Chinese-CLIP: its vocab.txt "
                 "(default: the model folder's, then $CLIPKIT_VOCAB)");
  app.add_option("--activation", args.activation, "override the activation: quick_gelu, gelu or gelu_tanh (SigLIP: every tower)")
      ->check(CLI::IsMember({"quick_gelu", "gelu"}));
  app.add_option("--threads", args.threads, "compute threads (default: all cores)")->check(CLI::Range(0, 1024));
  app.add_option("--precision", args.precision,
                 "matrix products: fp32 (exact, default), bf16 or int8 (faster, approximate)")
      ->check(CLI::IsMember({"fp32", "bf16", "int8"}))
      ->capture_default_str();
  app.add_flag("--no-truncate", args.no_truncate,
               "refuse texts longer than the context instead of cutting them (EOT kept last)");
  if (images) {
    app.add_flag("--no-exif", args.no_exif, "ignore EXIF orientation (the reference transform's behaviour)");
    app.add_option("--max-pixels", args.max_pixels, "refuse images with more pixels than this")
        ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
        ->capture_default_str();
  }
}

std::filesystem::path resolve_model_path(const ModelArgs& args) {
  if (!args.model.empty()) return args.model;
  if (const char* env = std::getenv("CLIPKIT_MODEL"); env && *env) return env;
  if (auto path = default_model_path()) return *path;
  throw Error(ErrorCode::invalid_argument,
              "no model given and the embedded emoji-clip model is not installed: pass --model FILE|DIR or set "
              "CLIPKIT_MODEL");
}

ClipOptions clip_options(const ModelArgs& args) {
  ClipOptions options;
  options.vocab = args.vocab;
  if (!args.text_model.empty()) options.model.text_model = args.text_model;
  if (!args.activation.empty()) options.model.activation = parse_activation(args.activation);
  options.model.threads = args.threads;
  options.model.precision = parse_precision(args.precision);
  options.decode.apply_exif_orientation = !args.no_exif;
  options.decode.max_pixels = args.max_pixels;
  options.truncate = !args.no_truncate;
  return options;
}

namespace {

// A registry name: not a path that exists, and either in the registry or hf:-prefixed
// (so that a mistyped hf: name gets the registry's closest names, not "no such file").
std::optional<std::filesystem::path> registry_model(const std::string& name, std::string* vocab) {
  std::error_code ec;
  if (name.empty() || std::filesystem::exists(name, ec)) return std::nullopt;
  std::optional<Registry> loaded;
  try {
    loaded = Registry::load(registry_path());
  } catch (const Error&) {
    if (!name.starts_with("hf:")) return std::nullopt;  // a missing path: the loader says so
    throw;
  }
  const Registry& registry = *loaded;
  const RegistryEntry* entry = registry.find(name);
  if (!entry && !name.starts_with("hf:")) return std::nullopt;
  if (!entry) entry = &registry.get(name);  // throws with the closest names
  const PulledModel pulled = pull_with_progress(*entry, offline_from_env(), false);
  if (vocab && vocab->empty() && !pulled.vocab.empty()) *vocab = pulled.vocab.string();
  return pulled.model;
}

}  // namespace

ModelArgs resolve_model_names(const ModelArgs& args) {
  ModelArgs resolved = args;
  std::string vocab = args.vocab;
  if (auto path = registry_model(args.model, &vocab)) {
    resolved.model = path->string();
    resolved.vocab = vocab;
  }
  // A text tower brings its own tokenizer from its folder; --vocab stays the image model's.
  if (auto path = registry_model(args.text_model, nullptr)) resolved.text_model = path->string();
  return resolved;
}

Clip load_clip(const ModelArgs& args) {
  const ModelArgs resolved = resolve_model_names(args);
  return Clip::load(resolve_model_path(resolved), clip_options(resolved));
}

std::optional<Clip> load_clip_for_index(const ModelArgs& args, ImageIndex& index) {
  ModelArgs chosen = args;
  const std::optional<ModelIdentity> recorded = index.stats().model;
  const char* env = std::getenv("CLIPKIT_MODEL");
  if (chosen.model.empty() && !(env && *env)) {
    if (recorded && !recorded->model_path.empty()) {
      chosen.model = recorded->model_path;
      if (chosen.text_model.empty()) chosen.text_model = recorded->text_model_path;
      if (chosen.vocab.empty()) chosen.vocab = recorded->vocab_path;
    } else if (!default_model_path()) {
      return std::nullopt;
    }
  }
  Clip clip = load_clip(chosen);
  if (recorded) index.bind_model(identify(clip));  // only checks: a model is recorded
  return clip;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string q = "\"";
  for (char c : text) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string tsv_field(const std::string& text) {
  if (text.find_first_of("\\\t\n\r") == std::string::npos) return text;
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  return out;
}

void put_path(nlohmann::json& object, const std::string& key, const std::string& path) {
  if (!invalid_utf8_offset(path)) {
    object[key] = path;
    return;
  }
  object[key] = utf8_for_display(path);
  object[key + "_b64"] = base64(path);
}

void require_utf8(const std::string& text, const std::string& what) {
  if (auto at = invalid_utf8_offset(text)) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned>(static_cast<unsigned char>(text[*at])));
    throw Error(ErrorCode::invalid_argument, what + ": not valid UTF-8 (byte offset " + std::to_string(*at) + " is " +
                                                 byte + "); texts must be UTF-8");
  }
}

std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string fixed(double value, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, value);
  return buf;
}

nlohmann::json model_json(const Model& model) { return nlohmann::json::parse(model_info_json(model)); }

nlohmann::json floats_json(std::span<const float> values) {
  return nlohmann::json(std::vector<float>(values.begin(), values.end()));
}

std::string abbreviated(std::span<const float> values, int edge, int precision) {
  auto fmt = [precision](float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", precision, static_cast<double>(v));
    return std::string(buf);
  };
  std::string s = "[";
  const size_t n = values.size(), e = static_cast<size_t>(edge);
  for (size_t i = 0; i < n; ++i) {
    if (n > 2 * e && i == e) {
      s += "..., ";
      i = n - e;
    }
    s += fmt(values[i]);
    if (i + 1 < n) s += ", ";
  }
  return s + "]";
}

}  // namespace clipkit::tools
