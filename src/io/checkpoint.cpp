#include "io/checkpoint.hpp"

#include <algorithm>
#include <cstring>
#include <system_error>

#include "clipkit/error.hpp"
#include "core/file.hpp"
#include "io/config_file.hpp"
#include "io/mapped_file.hpp"
#include "io/name_map.hpp"
#include "io/safetensors.hpp"
#include "io/torch_zip.hpp"

namespace clipkit::io {

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

namespace fs = std::filesystem;

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// The file a tokenizer can read: OpenAI's merges (*.txt.gz), then HF's merges.txt /
// vocab.json.
std::optional<fs::path> find_vocab(const fs::path& folder) {
  std::error_code ec;
  std::vector<fs::path> gz;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".txt.gz") && is_file(entry.path())) gz.push_back(entry.path());
  }
  if (!gz.empty()) return *std::min_element(gz.begin(), gz.end());
  for (const char* name : {"merges.txt", "vocab.json"}) {
    if (is_file(folder / name)) return folder / name;
  }
  return std::nullopt;
}

bool is_siglip(const std::map<std::string, Tensor>& tensors) {
  return tensors.count("vision_model.head.probe") || tensors.count("visual.trunk.attn_pool.latent");
}

// Chinese-CLIP (cn_clip's CLIP): OpenAI's ViT under visual.* beside a BERT text tower
// under bert.* (torch_zip has already stripped DataParallel's "module.").
bool is_chinese_clip(const std::map<std::string, Tensor>& tensors) {
  return tensors.count("bert.embeddings.word_embeddings.weight") && tensors.count("visual.conv1.weight");
}

// open_clip's CLIPs with a Hugging Face text tower (xlm-roberta-*-ViT-*): its ViT under
// visual.*, transformers' XLMRobertaModel under text.transformer.*.
bool is_xlmr_clip(const std::map<std::string, Tensor>& tensors) {
  return tensors.count("text.transformer.embeddings.word_embeddings.weight") && tensors.count("visual.conv1.weight");
}

// M-CLIP's MultilingualCLIP: a text tower only (transformer.* + LinearTransformation).
bool is_mclip(const std::map<std::string, Tensor>& tensors) {
  return tensors.count("transformer.embeddings.word_embeddings.weight") && tensors.count("LinearTransformation.weight");
}

// The family whose loader reads these tensors under their own names; "clip" otherwise.
std::string own_names_family(const std::map<std::string, Tensor>& tensors) {
  if (is_chinese_clip(tensors)) return "chinese_clip";
  if (is_xlmr_clip(tensors)) return "xlmr_clip";
  if (is_mclip(tensors)) return "mclip";
  return "clip";
}

// cn_clip keeps vocab.txt beside its code, not its checkpoints; transformers' folders
// carry it. One beside the weights is the tokenizer's.
void find_wordpiece_vocab(const fs::path& folder, Checkpoint& ckpt) {
  if (is_file(folder / "vocab.txt")) ckpt.vocab_path = folder / "vocab.txt";
}

std::optional<fs::path> find_sentencepiece(const fs::path& folder) {
  for (const char* name : {"spiece.model", "tokenizer.model", "sentencepiece.bpe.model"})
    if (is_file(folder / name)) return folder / name;
  return std::nullopt;
}

// HF names become canonical; non-parameter entries go. True when the names were HF's.
// SigLIP names stay as they are (model/siglip maps them).
bool canonicalize(std::map<std::string, Tensor>& tensors, const std::string& display_name) {
  if (looks_like_hf_chinese_clip(tensors)) {  // transformers' ChineseCLIPModel: onto cn_clip's names
    tensors = map_hf_chinese_clip_to_cn_clip(std::move(tensors), display_name);
    drop_non_parameters(tensors);
    return true;
  }
  if (own_names_family(tensors) != "clip") {  // names as stored; model/<family> checks them
    drop_non_parameters(tensors);
    return false;
  }
  if (is_siglip(tensors)) {
    drop_non_parameters(tensors);
    return tensors.count("vision_model.head.probe") > 0;
  }
  const bool hf = looks_like_hf_clip(tensors);
  if (hf) tensors = map_hf_to_openai(std::move(tensors), display_name);
  drop_non_parameters(tensors);
  return hf;
}

void load_torch_file(const fs::path& path, Checkpoint& ckpt) {
  const MappedFile file(path);
  TorchZipContents contents = read_torch_zip(file.bytes(), path.string());
  ckpt.dtype = contents.tensors.dominant_dtype();
  if (contents.kind == TorchZipKind::torchscript) {
    ckpt.format = "openai-torchscript";
    ckpt.activation = "quick_gelu";  // OpenAI's released models all use QuickGELU
  } else {
    ckpt.format = "torch-state-dict";
  }
  ckpt.tensors = std::move(contents.tensors.tensors);
  const bool hf = canonicalize(ckpt.tensors, path.string());
  if (is_siglip(ckpt.tensors)) ckpt.family = "siglip";
  if (own_names_family(ckpt.tensors) != "clip") ckpt.family = own_names_family(ckpt.tensors);
  if (is_chinese_clip(ckpt.tensors)) {
    ckpt.family = "chinese_clip";
    find_wordpiece_vocab(path.parent_path(), ckpt);
    // transformers' ChineseCLIPModel (pytorch_model.bin): its config.json states the heads.
    if (hf && is_file(path.parent_path() / "config.json")) ckpt.config_file = path.parent_path() / "config.json";
  }
}

// Returns whether the file used Hugging Face names.
bool load_safetensors_file(const fs::path& path, Checkpoint& ckpt) {
  const SafetensorsFile file(path);
  TensorSet set = file.read_all();
  ckpt.dtype = set.dominant_dtype();
  ckpt.tensors = std::move(set.tensors);
  return canonicalize(ckpt.tensors, path.string());
}

bool starts_with_bytes(const fs::path& path, const char* magic, size_t n) {
  const MappedFile file(path);
  return file.size() >= n && std::memcmp(file.bytes().data(), magic, n) == 0;
}

void load_file(const fs::path& path, Checkpoint& ckpt) {
  const std::string ext = path.extension().string();
  if (ext == ".safetensors") {
    ckpt.format = "safetensors";
    const bool hf = load_safetensors_file(path, ckpt);
    // HF weights given as a file: the config beside them still describes them.
    const fs::path config = path.parent_path() / "config.json";
    if (own_names_family(ckpt.tensors) != "clip") {  // open_clip XLM-R, M-CLIP: their config beside
      ckpt.family = own_names_family(ckpt.tensors);
      for (const char* name : {"config.json", "open_clip_config.json"})
        if (is_file(path.parent_path() / name)) ckpt.config_file = path.parent_path() / name;
      ckpt.sentencepiece_path = find_sentencepiece(path.parent_path());
      if (ckpt.family == "chinese_clip") {  // only transformers' ChineseCLIPModel has a config.json
        ckpt.config_file.reset();
        if (hf && is_file(config)) ckpt.config_file = config;
        find_wordpiece_vocab(path.parent_path(), ckpt);
      }
      if (ckpt.config_file && ckpt.config_file->filename() == "open_clip_config.json") {
        const ContainerConfig config = read_open_clip_config(*ckpt.config_file);
        ckpt.activation = config.activation;
        ckpt.config_ints = config.ints;
        ckpt.config_origins = config.origins;
      }
      return;
    }
    if (is_siglip(ckpt.tensors)) {
      ckpt.family = "siglip";
      for (const char* name : {"config.json", "open_clip_config.json"})
        if (is_file(path.parent_path() / name)) ckpt.config_file = path.parent_path() / name;
      ckpt.sentencepiece_path = find_sentencepiece(path.parent_path());
      return;
    }
    if (hf && is_file(config)) {
      const ContainerConfig parsed = read_hf_config(config);
      ckpt.format = "hf-safetensors";
      ckpt.activation = parsed.activation;
      ckpt.config_ints = parsed.ints;
      ckpt.config_origins = parsed.origins;
    }
    return;
  }
  if (ext == ".pt" || ext == ".pth" || ext == ".bin" || starts_with_bytes(path, "PK", 2)) {
    load_torch_file(path, ckpt);
    return;
  }
  throw Error(ErrorCode::unsupported,
              path.string() + ": unknown checkpoint container (expected a .pt/.pth/.bin torch "
                              "zip or a .safetensors file, or a Hugging Face / open_clip folder)");
}

void load_folder(const fs::path& folder, Checkpoint& ckpt) {
  ckpt.vocab_path = find_vocab(folder);
  ckpt.sentencepiece_path = find_sentencepiece(folder);
  if (is_file(folder / "open_clip_config.json")) {
    for (const char* weights : {"open_clip_model.safetensors", "open_clip_pytorch_model.bin"}) {
      const fs::path file = folder / weights;
      if (!is_file(file)) continue;
      if (file.extension() == ".safetensors") {
        load_safetensors_file(file, ckpt);
        ckpt.format = "open_clip-safetensors";
      } else {
        load_torch_file(file, ckpt);
        ckpt.format = "open_clip-torch";
      }
      ckpt.config_file = folder / "open_clip_config.json";
      if (is_siglip(ckpt.tensors)) {
        ckpt.family = "siglip";
        return;
      }
      if (is_xlmr_clip(ckpt.tensors)) ckpt.family = "xlmr_clip";
      const ContainerConfig config = read_open_clip_config(folder / "open_clip_config.json");
      ckpt.activation = config.activation;
      ckpt.config_ints = config.ints;
      ckpt.config_origins = config.origins;
      return;
    }
  }
  if (is_file(folder / "config.json")) {
    for (const char* weights : {"model.safetensors", "pytorch_model.bin"}) {
      const fs::path file = folder / weights;
      if (!is_file(file)) continue;
      if (file.extension() == ".safetensors") {
        load_safetensors_file(file, ckpt);
        ckpt.format = "hf-safetensors";
      } else {
        load_torch_file(file, ckpt);
        ckpt.format = "hf-torch";
      }
      ckpt.config_file = folder / "config.json";
      if (is_siglip(ckpt.tensors)) {
        ckpt.family = "siglip";
        return;
      }
      if (is_mclip(ckpt.tensors)) {
        ckpt.family = "mclip";
        return;
      }
      if (is_chinese_clip(ckpt.tensors)) {  // ChineseCLIPModel: model/chinese_clip reads config.json
        ckpt.family = "chinese_clip";
        find_wordpiece_vocab(folder, ckpt);
        return;
      }
      const ContainerConfig config = read_hf_config(folder / "config.json");
      ckpt.activation = config.activation;
      ckpt.config_ints = config.ints;
      ckpt.config_origins = config.origins;
      return;
    }
  }
  throw Error(ErrorCode::not_found,
              folder.string() + ": no CLIP weights in this folder (looked for "
                                "open_clip_config.json + open_clip_model.safetensors / "
                                "open_clip_pytorch_model.bin, and config.json + "
                                "model.safetensors / pytorch_model.bin)");
}

}  // namespace

Checkpoint load_checkpoint(const fs::path& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    throw Error(ErrorCode::not_found, path.string() + ": " + core::not_a_regular_file(path) +
                                          ", expected a checkpoint file or model folder");
  }
  if (!fs::is_directory(status) && !fs::is_regular_file(status)) {  // a FIFO would block open(2)
    throw Error(ErrorCode::invalid_argument, path.string() + ": " + core::not_a_regular_file(path) +
                                                 ", expected a checkpoint file or model folder");
  }
  Checkpoint ckpt;
  ckpt.path = path;
  if (fs::is_directory(status)) {
    load_folder(path, ckpt);
  } else {
    load_file(path, ckpt);
  }
  return ckpt;
}

}  // namespace clipkit::io
