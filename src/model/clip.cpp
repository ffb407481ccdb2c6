// clipkit::Clip — model + tokenizer + image transform.
#include "clipkit/clip.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "clipkit/error.hpp"
#include "clipkit/image.hpp"
#include "clipkit/model.hpp"
#include "clipkit/tokenizer.hpp"

namespace clipkit {

namespace {

namespace fs = std::filesystem;

// Chinese-CLIP's WordPiece vocabulary: --vocab, then the vocab.txt beside the weights
// (ModelInfo::tokenizer.file), then $CLIPKIT_VOCAB. cn_clip ships it with its code
// (cn_clip/clip/vocab.txt), not with the checkpoints.
Tokenizer wordpiece_tokenizer(const fs::path& model_path, const ClipOptions& options, const Model& model) {
  fs::path vocab = options.vocab.empty() ? model.info().tokenizer.file : options.vocab;
  if (vocab.empty())
    if (const char* env = std::getenv("CLIPKIT_VOCAB"); env && *env) vocab = env;
  if (vocab.empty())
    throw Error(ErrorCode::not_found, model_path.string() + ": no WordPiece vocab.txt beside the model; pass --vocab "
                                                            "vocab.txt (cn_clip/clip/vocab.txt from "
                                                            "github.com/OFA-Sys/Chinese-CLIP) or set CLIPKIT_VOCAB");
  const TokenizerSpec& spec = model.info().tokenizer;
  return Tokenizer::from_wordpiece(vocab, spec.conventions == "bert" ? WordPieceConventions::bert(spec.lower_case)
                                                                     : WordPieceConventions::chinese_clip());
}

fs::path find_vocab(const fs::path& model_path, const ClipOptions& options, const Model& model) {
  if (!options.vocab.empty()) return options.vocab;
  if (model.info().vocab_path) return *model.info().vocab_path;
  if (const char* env = std::getenv("CLIPKIT_VOCAB"); env && *env) return env;
  const fs::path dir = fs::is_directory(model_path) ? model_path : model_path.parent_path();
  for (const char* name : {"bpe_simple_vocab_16e6.txt.gz", "merges.txt", "vocab.json"}) {
    std::error_code ec;
    if (fs::exists(dir / name, ec)) return dir / name;
  }
  throw Error(ErrorCode::not_found,
              model_path.string() + ": no BPE vocabulary found beside the model; pass --vocab FILE "
                                    "(bpe_simple_vocab_16e6.txt.gz from github.com/openai/CLIP, or vocab.json + "
                                    "merges.txt) or set CLIPKIT_VOCAB");
}

// The SentencePiece tokenizer the model's folder declares (ModelInfo::tokenizer); a
// --vocab FILE.model takes the place of the folder's file, with the same conventions.
Tokenizer sentencepiece_tokenizer(const fs::path& model_path, const ClipOptions& options, const Model& model) {
  const TokenizerSpec& spec = model.info().tokenizer;
  fs::path file = spec.file;
  if (!options.vocab.empty()) file = options.vocab;
  if (file.empty())
    throw Error(ErrorCode::not_found, model_path.string() + ": no SentencePiece tokenizer beside the model "
                                                            "(spiece.model, tokenizer.model, sentencepiece.bpe.model); "
                                                            "pass --vocab FILE.model");
  SentencePieceConventions c = spec.conventions == "xlm_roberta" ? SentencePieceConventions::xlm_roberta()
                               : spec.conventions == "siglip2"   ? SentencePieceConventions::siglip2()
                               : spec.clean == "canonicalize_hf" ? SentencePieceConventions::siglip_hf()
                                                                 : SentencePieceConventions::siglip();
  using Clean = SentencePieceConventions::Clean;
  if (spec.clean == "none") c.clean = Clean::none;
  if (spec.clean == "whitespace") c.clean = Clean::whitespace;
  if (spec.clean == "lower") c.clean = Clean::lower;
  if (spec.clean == "canonicalize") c.clean = Clean::canonicalize;
  return Tokenizer::from_sentencepiece(file, c);
}

}  // namespace

Clip Clip::load(const fs::path& model_path, const ClipOptions& options) {
  std::shared_ptr<const Model> model = Model::load(model_path, options.model);
  // The tokenizer is the text model's: messages and the BPE search name its path.
  const fs::path& text_path = model->info().text_model_path.empty() ? model_path : model->info().text_model_path;
  if (model->info().tokenizer.kind == "wordpiece") {
    auto tokenizer = std::make_shared<const Tokenizer>(wordpiece_tokenizer(text_path, options, *model));
    if (tokenizer->vocab_size() != model->config().vocab_size)
      throw Error(ErrorCode::invalid_argument, "the WordPiece vocabulary has " + std::to_string(tokenizer->vocab_size()) +
                                                   " lines but the model's word embedding has " +
                                                   std::to_string(model->config().vocab_size) + " rows");
    return Clip(std::move(model), std::move(tokenizer), options);
  }
  if (model->info().tokenizer.kind == "sentencepiece") {
    auto tokenizer = std::make_shared<const Tokenizer>(sentencepiece_tokenizer(text_path, options, *model));
    // The token embedding may have more rows than the tokenizer has pieces, never fewer.
    if (tokenizer->vocab_size() > model->config().vocab_size)
      throw Error(ErrorCode::invalid_argument, "the tokenizer has " + std::to_string(tokenizer->vocab_size()) +
                                                   " pieces but the model's token embedding has only " +
                                                   std::to_string(model->config().vocab_size) + " rows");
    return Clip(std::move(model), std::move(tokenizer), options);
  }
  auto tokenizer = std::make_shared<const Tokenizer>(Tokenizer::from_file(find_vocab(text_path, options, *model)));
  if (tokenizer->vocab_size() != model->config().vocab_size)
    throw Error(ErrorCode::invalid_argument, "the tokenizer has " + std::to_string(tokenizer->vocab_size()) +
                                                 " tokens but the model's token embedding has " +
                                                 std::to_string(model->config().vocab_size) + " rows");
  return Clip(std::move(model), std::move(tokenizer), options);
}

Clip::Clip(std::shared_ptr<const Model> model, std::shared_ptr<const Tokenizer> tokenizer, const ClipOptions& options)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)), options_(options) {}

std::vector<float> Clip::preprocess_file(const fs::path& path) const {
  return clip_preprocess(decode_image_file(path, options_.decode), model_->info().preprocess);
}

std::vector<float> Clip::embed_image(const Image& image) const {
  return model_->encode_images(clip_preprocess(image, model_->info().preprocess), 1);
}

std::vector<float> Clip::embed_image_file(const fs::path& path) const {
  return model_->encode_images(preprocess_file(path), 1);
}

std::vector<float> Clip::embed_image_files(std::span<const fs::path> paths) const {
  // Decode the next batch on another thread while the model runs this one.
  constexpr size_t kBatch = 16;
  auto decode_batch = [this, paths](size_t begin) {
    std::vector<float> pixels;
    for (size_t i = begin; i < std::min(paths.size(), begin + kBatch); ++i) {
      auto one = preprocess_file(paths[i]);
      pixels.insert(pixels.end(), one.begin(), one.end());
    }
    return pixels;
  };
  std::vector<float> out;
  if (paths.empty()) return out;
  auto next = std::async(std::launch::async, decode_batch, 0);
  for (size_t begin = 0; begin < paths.size(); begin += kBatch) {
    std::vector<float> pixels = next.get();
    if (begin + kBatch < paths.size()) next = std::async(std::launch::async, decode_batch, begin + kBatch);
    auto part = model_->encode_images(pixels, std::min(kBatch, paths.size() - begin));
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

std::vector<int32_t> Clip::tokenize(std::span<const std::string> texts) const {
  std::vector<int32_t> rows;
  for (const std::string& text : texts) {
    if (text.find_first_not_of(" \t\r\n\f\v") == std::string::npos)
      throw Error(ErrorCode::invalid_argument, "empty text: give at least one word");
    auto row = tokenizer_->tokenize(text, model_->context_length(), options_.truncate);
    rows.insert(rows.end(), row.begin(), row.end());
  }
  return rows;
}

std::vector<float> Clip::embed_texts(std::span<const std::string> texts) const {
  return model_->encode_tokens(tokenize(texts), texts.size());
}

std::vector<float> Clip::embed_text(const std::string& text) const { return embed_texts(std::span(&text, 1)); }

}  // namespace clipkit
