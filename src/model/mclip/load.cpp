// M-CLIP: config.json, tensors, the text forward pass, and the clipkit::Model side.
#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "clipkit/error.hpp"
#include "io/config_file.hpp"
#include "io/name_map.hpp"
#include "model/mclip/mclip.hpp"

namespace clipkit::model::mclip {

namespace {

using nlohmann::json;

const std::string kText = "transformer.";

Config infer_config(const io::Checkpoint& ckpt) {
  const std::string file = ckpt.path.string();
  if (!ckpt.config_file)
    throw Error(ErrorCode::not_found, file + ": M-CLIP weights need their config.json (modelBase, numDims) beside them");
  const std::string config_name = ckpt.config_file->string();
  const json config = io::read_json_config(*ckpt.config_file);
  if (!config.is_object()) throw Error(ErrorCode::corrupt_data, config_name + ": not a JSON object");
  Config c;
  const auto base = config.find("modelBase");
  if (base == config.end() || !base->is_string())
    throw Error(ErrorCode::corrupt_data, config_name + ": modelBase is missing or not a string");
  c.model_base = base->get<std::string>();
  std::string lower = c.model_base;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  c.text = bert::infer_config(ckpt.tensors, kText, file);
  c.text.pooling = bert::Pooling::mean;
  if (lower.find("xlm-roberta") != std::string::npos) {
    c.kind = Kind::xlm_roberta;
    c.text.eps = 1e-5f;
    c.text.positions = bert::Positions::roberta;
    c.text.pad_id = 1;
  } else if (lower.find("labse") != std::string::npos) {
    c.kind = Kind::labse;  // a BERT: BertModel's defaults (eps 1e-12, positions 0.., pad 0)
  } else {
    throw Error(ErrorCode::unsupported, config_name + ": modelBase '" + c.model_base + "' is not supported (clipkit "
                                        "runs M-CLIP's XLM-RoBERTa and LaBSE towers)");
  }
  const int stated_width = static_cast<int>(io::json_dim_or(config, "", "transformerDimensions", c.text.width, config_name));
  if (stated_width != c.text.width)
    throw Error(ErrorCode::corrupt_data, config_name + ": transformerDimensions " + std::to_string(stated_width) +
                                             " but the weights' width is " + std::to_string(c.text.width));
  const auto& linear = require(ckpt.tensors, "LinearTransformation.weight", 2, file);
  c.embed_dim = static_cast<int>(linear.shape[0]);
  const int stated_dims = static_cast<int>(io::json_dim_or(config, "", "numDims", c.embed_dim, config_name));
  if (stated_dims != c.embed_dim)
    throw Error(ErrorCode::corrupt_data, config_name + ": numDims " + std::to_string(stated_dims) +
                                             " but LinearTransformation.weight has " + std::to_string(c.embed_dim) +
                                             " rows");
  c.context_length = bert::max_tokens(c.text);
  if (c.context_length < 3)
    throw Error(ErrorCode::corrupt_data, file + ": transformer.embeddings.position_embeddings.weight has " +
                                             std::to_string(c.text.max_positions) + " positions, too few for a text");
  c.choices.push_back({"text model", "M-CLIP over " + c.model_base + " (config.json modelBase): " +
                                         (c.kind == Kind::labse ? "BERT (LaBSE), LayerNorm eps 1e-12, position ids "
                                                                  "from 0, pad 0 masked, "
                                                                : "XLM-RoBERTa, LayerNorm eps 1e-5, position ids "
                                                                  "from 2, pad 1 masked, ") +
                                         std::to_string(c.text.heads) + " heads (width / 64)"});
  c.choices.push_back({"text pooling", "mean over the real tokens, then LinearTransformation (with bias)"});
  c.choices.push_back({"text context", std::to_string(c.context_length) + " tokens (every position; M-CLIP does "
                                       "not truncate)"});
  return c;
}

}  // namespace

Weights load_weights(io::Checkpoint&& ckpt) {
  const std::string file = ckpt.path.string();
  Weights w;
  w.config = infer_config(ckpt);
  const Config& c = w.config;
  ShapeList expected;
  bert::add_tensors(expected, c.text, kText);
  expected.push_back({"LinearTransformation.weight", {c.embed_dim, c.text.width}});
  expected.push_back({"LinearTransformation.bias", {c.embed_dim}});
  w.parameters = check_tensor_set(
      ckpt.tensors, expected,
      [](const std::string& name) { return bert::ignorable(name, kText) || io::is_non_parameter(name); }, file,
      "an M-CLIP text tower with " + std::to_string(c.text.layers) + " layers");
  w.text = bert::take(ckpt.tensors, c.text, kText);
  w.linear_weight = take(ckpt.tensors, "LinearTransformation.weight");
  w.linear_bias = take(ckpt.tensors, "LinearTransformation.bias");
  return w;
}

void pack(Weights& w, kernels::Precision precision) {
  w.linear = kernels::Linear(w.linear_weight.data(), w.config.text.width, w.config.embed_dim, w.linear_bias.data(),
                             kernels::Precision::fp32);
  Buffer().swap(w.linear_weight);
  Buffer().swap(w.linear_bias);
  w.weight_bytes = bert::pack(w.text, precision) + w.linear.weight_bytes();
}

std::vector<float> encode_tokens(const Weights& w, const int32_t* tokens, size_t count) {
  const std::vector<float> pooled = bert::encode(w.text, tokens, count, w.config.context_length);
  std::vector<float> out(count * static_cast<size_t>(w.config.embed_dim));
  w.linear.forward(pooled.data(), count, out.data());
  return out;
}

std::vector<float> encode_images(const Weights&, const float*, size_t) {
  throw Error(ErrorCode::unsupported, "M-CLIP is a text tower only: pair it with the image model it was trained for "
                                      "(--model IMAGE_MODEL --text-model M-CLIP_FOLDER)");
}

namespace {

// LaBSE: transformers' BertTokenizer over the folder's vocab.txt, with its
// tokenizer_config.json's do_lower_case (LaBSE's vocabulary is cased: false when the
// file does not say).
void labse_tokenizer(const std::filesystem::path& folder, ModelInfo& info) {
  info.tokenizer.kind = "wordpiece";
  info.tokenizer.conventions = "bert";
  info.tokenizer.lower_case = false;
  std::string from = "LaBSE's cased vocabulary (no tokenizer_config.json)";
  const std::filesystem::path config = folder / "tokenizer_config.json";
  std::error_code ec;
  if (std::filesystem::is_regular_file(config, ec)) {
    const json tc = io::read_json_config(config);
    const auto it = tc.is_object() ? tc.find("do_lower_case") : tc.end();
    if (tc.is_object() && it != tc.end()) {
      if (!it->is_boolean())
        throw Error(ErrorCode::corrupt_data, config.string() + ": do_lower_case is not a boolean");
      info.tokenizer.lower_case = it->get<bool>();
      from = "tokenizer_config.json";
    }
  }
  if (std::filesystem::is_regular_file(folder / "vocab.txt", ec)) info.tokenizer.file = folder / "vocab.txt";
  info.choices.push_back({"tokenizer", "WordPiece " + (folder / "vocab.txt").string() + " (transformers' "
                                       "BertTokenizer: [CLS] … [SEP], pad 0, do_lower_case " +
                                           (info.tokenizer.lower_case ? "true" : "false") + " from " + from + ")"});
}

}  // namespace

Loaded load(io::Checkpoint&& ckpt, const ModelOptions& options, ModelInfo& info) {
  const std::filesystem::path folder = ckpt.config_file ? ckpt.config_file->parent_path() : ckpt.path.parent_path();
  const std::optional<std::filesystem::path> sentencepiece = ckpt.sentencepiece_path;
  Weights w = load_weights(std::move(ckpt));
  if (w.config.kind == Kind::labse) {
    labse_tokenizer(folder, info);
  } else {
    info.tokenizer.kind = "sentencepiece";
    info.tokenizer.conventions = "xlm_roberta";
    info.tokenizer.clean = "none";
    if (sentencepiece) info.tokenizer.file = *sentencepiece;
    info.choices.push_back({"tokenizer", "SentencePiece " + (sentencepiece ? sentencepiece->filename().string()
                                                                             : std::string("(none beside the weights)")) +
                                             ", XLM-R's fairseq ids, no clean-up (transformers' "
                                             "XLMRobertaTokenizer as M-CLIP calls it)"});
  }
  Config& c = w.config;
  if (options.activation) c.text.activation = *options.activation;
  pack(w, static_cast<kernels::Precision>(options.precision));
  info.family = "mclip";
  info.parameters = w.parameters;
  info.weight_bytes = w.weight_bytes;
  info.architecture = "M-CLIP " + c.model_base;
  info.choices.insert(info.choices.end(), c.choices.begin(), c.choices.end());

  Loaded loaded;
  loaded.text_only = true;
  loaded.config.embed_dim = c.embed_dim;
  bert::describe(c.text, c.context_length, loaded.config);
  loaded.network = std::make_unique<NetworkOf<Weights>>(std::move(w), encode_images, encode_tokens);
  return loaded;
}

}  // namespace clipkit::model::mclip
