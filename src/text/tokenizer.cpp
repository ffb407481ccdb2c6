// text/tokenizer.cpp — clipkit::Tokenizer: CLIP BPE (clean-up, split, BPE, SOT/EOT rows), or a
// SentencePiece model with its family's conventions (text/sentencepiece.hpp), or BERT's WordPiece
// (text/wordpiece.hpp).
#include "clipkit/tokenizer.hpp"

#include <optional>

#include "clipkit/error.hpp"
#include "text/bpe.hpp"
#include "text/clean.hpp"
#include "text/pretokenize.hpp"
#include "text/sentencepiece.hpp"
#include "text/unicode.hpp"
#include "text/vocab_file.hpp"
#include "text/wordpiece.hpp"

namespace clipkit {

// A CLIP BPE model or a SentencePiece model; the CLIP paths below are unchanged.
struct Tokenizer::Impl {
  explicit Impl(text::BpeModel m) : model(std::move(m)) {}
  explicit Impl(std::unique_ptr<text::SentencePieceTokenizer> s) : sentencepiece(std::move(s)) {}
  explicit Impl(text::WordPieceTokenizer w) : wordpiece(std::move(w)) {}
  std::optional<text::BpeModel> model;                           // set for CLIP BPE
  std::unique_ptr<text::SentencePieceTokenizer> sentencepiece;  // set for SentencePiece models
  std::optional<text::WordPieceTokenizer> wordpiece;             // set for WordPiece vocabularies
};

SentencePieceConventions SentencePieceConventions::siglip() {
  SentencePieceConventions c;
  c.clean = Clean::canonicalize;
  c.add_bos = false;
  c.add_eos = true;
  c.pad_id = 1;
  return c;
}

SentencePieceConventions SentencePieceConventions::siglip2() {
  SentencePieceConventions c;
  c.clean = Clean::canonicalize;
  c.add_bos = false;
  c.add_eos = true;
  c.pad_id = 0;
  return c;
}

SentencePieceConventions SentencePieceConventions::xlm_roberta() {
  SentencePieceConventions c;
  c.clean = Clean::whitespace;
  c.add_bos = true;
  c.add_eos = true;
  c.pad_id = 1;
  c.id_offset = 1;
  c.bos_id = 0;
  c.eos_id = 2;
  c.unk_id = 3;
  c.text_specials = true;
  return c;
}

SentencePieceConventions SentencePieceConventions::xlm_roberta_hf() {
  SentencePieceConventions c = xlm_roberta();
  c.clean = Clean::none;
  return c;
}

SentencePieceConventions SentencePieceConventions::siglip_hf() {
  SentencePieceConventions c = siglip();
  c.clean = Clean::canonicalize_hf;
  return c;
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_file(const std::filesystem::path& path) {
  return Tokenizer(std::make_unique<Impl>(text::load_vocab(path)));
}

Tokenizer Tokenizer::from_sentencepiece(const std::filesystem::path& model_file, const SentencePieceConventions& c) {
  return Tokenizer(std::make_unique<Impl>(text::SentencePieceTokenizer::load(model_file, c)));
}

Tokenizer Tokenizer::from_wordpiece(const std::filesystem::path& vocab_file, const WordPieceConventions& c) {
  text::WordPieceOptions options;
  options.lower_case = c.lower_case;
  options.max_chars_per_word = c.max_chars_per_word;
  options.text_specials = c.text_specials;
  return Tokenizer(std::make_unique<Impl>(text::WordPieceTokenizer::load(vocab_file, options)));
}

std::vector<int32_t> Tokenizer::encode(std::string_view text) const {
  if (impl_->sentencepiece) return impl_->sentencepiece->encode(text);
  if (impl_->wordpiece) return impl_->wordpiece->encode(text);
  const std::u32string cleaned = text::clean_text(text);
  std::vector<int32_t> ids;
  for (const std::string& word : text::pretokenize(cleaned)) {
    const std::vector<int32_t> word_ids = impl_->model->encode_word(word);
    ids.insert(ids.end(), word_ids.begin(), word_ids.end());
  }
  return ids;
}

std::vector<int32_t> Tokenizer::tokenize(std::string_view text, int context_length, bool truncate) const {
  if (impl_->sentencepiece) return impl_->sentencepiece->tokenize(text, context_length, truncate);
  if (impl_->wordpiece) return impl_->wordpiece->tokenize(text, context_length, truncate);
  if (context_length <= 0) {
    throw Error(ErrorCode::invalid_argument,
                "context_length must be positive, got " + std::to_string(context_length));
  }
  const size_t context = static_cast<size_t>(context_length);
  std::vector<int32_t> ids = encode(text);
  std::vector<int32_t> row;
  row.reserve(ids.size() + 2);
  row.push_back(impl_->model->sot_id());
  row.insert(row.end(), ids.begin(), ids.end());
  row.push_back(impl_->model->eot_id());
  if (row.size() > context) {
    if (!truncate) {
      throw Error(ErrorCode::invalid_argument,
                  "input text is too long for context length " + std::to_string(context_length) + " (" +
                      std::to_string(row.size()) + " tokens with SOT/EOT): \"" + text::abbreviate(text) + "\"");
    }
    row.resize(context);
    row.back() = impl_->model->eot_id();
  }
  row.resize(context, 0);
  return row;
}

std::string Tokenizer::decode(std::span<const int32_t> ids) const {
  if (impl_->sentencepiece) return impl_->sentencepiece->decode(ids);
  if (impl_->wordpiece) return impl_->wordpiece->decode(ids);
  return impl_->model->decode(ids.data(), ids.size());
}

int32_t Tokenizer::sot_id() const {
  if (impl_->wordpiece) return impl_->wordpiece->cls_id();
  return impl_->sentencepiece ? impl_->sentencepiece->bos_id() : impl_->model->sot_id();
}
int32_t Tokenizer::eot_id() const {
  if (impl_->wordpiece) return impl_->wordpiece->sep_id();
  return impl_->sentencepiece ? impl_->sentencepiece->eos_id() : impl_->model->eot_id();
}
int32_t Tokenizer::vocab_size() const {
  if (impl_->wordpiece) return impl_->wordpiece->vocab_size();
  return impl_->sentencepiece ? impl_->sentencepiece->piece_count() : impl_->model->vocab_size();
}

}  // namespace clipkit
