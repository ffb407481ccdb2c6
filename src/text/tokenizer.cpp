// text/tokenizer.cpp — clipkit::Tokenizer: clean-up, split, BPE, SOT/EOT rows.
#include "clipkit/tokenizer.hpp"

#include "clipkit/error.hpp"
#include "text/bpe.hpp"
#include "text/clean.hpp"
#include "text/pretokenize.hpp"
#include "text/unicode.hpp"
#include "text/vocab_file.hpp"

namespace clipkit {

struct Tokenizer::Impl {
  explicit Impl(text::BpeModel m) : model(std::move(m)) {}
  text::BpeModel model;
};

namespace {

// The text for an error message: at most ~60 characters, cut at a code point.
std::string abbreviate(std::string_view text) {
  constexpr size_t kMaxChars = 60;
  const std::u32string chars = text::decode_utf8(text);
  if (chars.size() <= kMaxChars) return std::string(text);
  return text::encode_utf8(std::u32string_view(chars).substr(0, kMaxChars)) + "...";
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_file(const std::filesystem::path& path) {
  return Tokenizer(std::make_unique<Impl>(text::load_vocab(path)));
}

std::vector<int32_t> Tokenizer::encode(std::string_view text) const {
  const std::u32string cleaned = text::clean_text(text);
  std::vector<int32_t> ids;
  for (const std::string& word : text::pretokenize(cleaned)) {
    const std::vector<int32_t> word_ids = impl_->model.encode_word(word);
    ids.insert(ids.end(), word_ids.begin(), word_ids.end());
  }
  return ids;
}

std::vector<int32_t> Tokenizer::tokenize(std::string_view text, int context_length, bool truncate) const {
  if (context_length <= 0) {
    throw Error(ErrorCode::invalid_argument,
                "context_length must be positive, got " + std::to_string(context_length));
  }
  const size_t context = static_cast<size_t>(context_length);
  std::vector<int32_t> ids = encode(text);
  std::vector<int32_t> row;
  row.reserve(ids.size() + 2);
  row.push_back(impl_->model.sot_id());
  row.insert(row.end(), ids.begin(), ids.end());
  row.push_back(impl_->model.eot_id());
  if (row.size() > context) {
    if (!truncate) {
      throw Error(ErrorCode::invalid_argument,
                  "input text is too long for context length " + std::to_string(context_length) + " (" +
                      std::to_string(row.size()) + " tokens with SOT/EOT): \"" + abbreviate(text) + "\"");
    }
    row.resize(context);
    row.back() = impl_->model.eot_id();
  }
  row.resize(context, 0);
  return row;
}

std::string Tokenizer::decode(std::span<const int32_t> ids) const {
  return impl_->model.decode(ids.data(), ids.size());
}

int32_t Tokenizer::sot_id() const { return impl_->model.sot_id(); }
int32_t Tokenizer::eot_id() const { return impl_->model.eot_id(); }
int32_t Tokenizer::vocab_size() const { return impl_->model.vocab_size(); }

}  // namespace clipkit
