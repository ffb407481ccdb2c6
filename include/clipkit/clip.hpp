// clipkit/clip.hpp — the model, its tokenizer and the image transform together:
// what most applications use.
//
//   auto clip = clipkit::Clip::load("ViT-B-32.pt", {.vocab = "bpe_simple_vocab_16e6.txt.gz"});
//   std::vector<float> image = clip.embed_image_file("CLIP.png");          // embed_dim
//   std::vector<float> texts = clip.embed_texts({"a diagram", "a dog"});  // 2 × embed_dim
//   auto probs = clipkit::label_probs(image, texts, clip.model().logit_scale());
//
// Embeddings returned here are the raw projections (as encode_image/encode_text);
// use clipkit::normalized() for unit vectors.
// Thread-safety: a Clip is immutable after load; all methods may run concurrently.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "clipkit/image.hpp"
#include "clipkit/model.hpp"
#include "clipkit/tokenizer.hpp"

namespace clipkit {

struct ClipOptions {
  // CLIP: BPE merges — bpe_simple_vocab_16e6.txt.gz, vocab.json / merges.txt, or a folder.
  // SigLIP: a SentencePiece .model in place of the folder's (same conventions).
  // Chinese-CLIP: its WordPiece vocab.txt (cn_clip/clip/vocab.txt).
  // Empty: the model folder's files, then $CLIPKIT_VOCAB, then
  // bpe_simple_vocab_16e6.txt.gz beside the model file.
  std::filesystem::path vocab;
  ModelOptions model;
  DecodeOptions decode;
  bool truncate = true;  // over-long texts: cut (keeping EOT last) or throw
};

class Clip {
 public:
  static Clip load(const std::filesystem::path& model_path, const ClipOptions& options = {});
  Clip(std::shared_ptr<const Model> model, std::shared_ptr<const Tokenizer> tokenizer,
       const ClipOptions& options = {});

  const Model& model() const { return *model_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const ClipOptions& options() const { return options_; }

  // Decode + the transform the model declares (model().info().preprocess).
  std::vector<float> preprocess_file(const std::filesystem::path& path) const;

  std::vector<float> embed_image(const Image& image) const;                 // embed_dim
  std::vector<float> embed_image_file(const std::filesystem::path& path) const;
  // count × embed_dim, decoding in parallel with the model.
  std::vector<float> embed_image_files(std::span<const std::filesystem::path> paths) const;

  // Token rows (count × context_length). Throws Error(invalid_argument) naming the
  // text when it is empty, or too long with truncate=false.
  std::vector<int32_t> tokenize(std::span<const std::string> texts) const;
  std::vector<float> embed_texts(std::span<const std::string> texts) const;  // count × embed_dim
  std::vector<float> embed_text(const std::string& text) const;

 private:
  std::shared_ptr<const Model> model_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  ClipOptions options_;
};

}  // namespace clipkit
