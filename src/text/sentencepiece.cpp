// text/sentencepiece.cpp — SentencePiece models with a family's conventions. The only
// file that includes libsentencepiece's header. clipkit reads the file itself (capped,
// regular files only) and hands the bytes to LoadFromSerializedProto; the library's own
// messages never reach the user (they name its internals, not the user's file).
#include "text/sentencepiece.hpp"

#include <limits>
#include <utility>

#include <sentencepiece_processor.h>

#include "clipkit/error.hpp"
#include "clipkit/utf8.hpp"
#include "core/file.hpp"
#include "text/canonicalize.hpp"
#include "text/clean.hpp"
#include "text/unicode.hpp"

namespace clipkit::text {
namespace {

// Real SentencePiece models are a few MB (Gemma's 256k vocabulary: 4.2 MB).
constexpr size_t kMaxModelBytes = size_t{64} << 20;

constexpr char32_t kSpaceSymbol = 0x2581;  // "▁", SentencePiece's word boundary

// A serialized ModelProto { normalizer_spec (field 3) { add_dummy_prefix (field 3): false } }.
// Appended to a model, protobuf's merge rule for repeated singular fields makes it what
// transformers' SiglipTokenizer does with ModelProto.MergeFrom: the same model with
// add_dummy_prefix off.
constexpr std::string_view kNoDummyPrefix("\x1a\x02\x18\x00", 4);

// One element of canonicalize_hf's split: a SentencePiece piece, or a special token
// written in the text.
struct HfToken {
  std::string piece;
  int32_t special_id = -1;  // the model's id (no offset) when a special token
};

void check_utf8(std::string_view text) {
  if (const auto at = invalid_utf8_offset(text)) {
    throw Error(ErrorCode::invalid_argument, "text is not valid UTF-8 (bad byte at offset " + std::to_string(*at) +
                                                 "): \"" + abbreviate(utf8_for_display(text)) + "\"");
  }
}

}  // namespace

struct SentencePieceTokenizer::State {
  std::string name;
  SentencePieceConventions conventions;
  sentencepiece::SentencePieceProcessor sp;
  // canonicalize_hf only: the model with add_dummy_prefix off, the UNK and EOS surface
  // strings, and how many pieces "<unk>" alone encodes to.
  sentencepiece::SentencePieceProcessor sp_no_prefix;
  std::string unk_piece, eos_piece;
  size_t unk_piece_length = 0;

  [[noreturn]] void fail_encode() const {
    throw Error(ErrorCode::internal, name + ": SentencePiece could not encode a text");
  }

  std::vector<int32_t> encode_ids(const std::string& cleaned) const {
    std::vector<int> ids;
    if (!sp.Encode(cleaned, &ids).ok()) fail_encode();
    return std::vector<int32_t>(ids.begin(), ids.end());
  }

  // transformers' SiglipTokenizer.tokenize + _tokenize + convert_tokens_to_ids.
  std::vector<int32_t> encode_hf(std::string_view utf8) const {
    std::u32string text;
    text.push_back(kSpaceSymbol);
    for (char32_t c : decode_utf8(utf8)) text.push_back(c == kSpaceSymbol ? U' ' : c);

    const std::u32string specials[2] = {decode_utf8(eos_piece), decode_utf8(unk_piece)};
    const int32_t special_ids[2] = {sp.eos_id(), sp.unk_id()};
    auto special_at = [&](const std::u32string& s, size_t i) -> int {
      for (int k = 0; k < 2; ++k) {
        if (!specials[k].empty() && s.compare(i, specials[k].size(), specials[k]) == 0) return k;
      }
      return -1;
    };

    // do_lower_case: every character that is not part of a special token, on its own.
    std::u32string lowered;
    for (size_t i = 0; i < text.size();) {
      if (const int k = special_at(text, i); k >= 0) {
        lowered += specials[k];
        i += specials[k].size();
      } else {
        lowered += python_lower(std::u32string_view(text).substr(i, 1));
        ++i;
      }
    }

    // tokens_trie.split: text | special | text | …; the specials (AddedToken lstrip and
    // rstrip) eat the whitespace beside them.
    std::vector<std::u32string> parts;
    std::vector<int> part_special;  // index into specials, or -1
    std::u32string current;
    for (size_t i = 0; i < lowered.size();) {
      if (const int k = special_at(lowered, i); k >= 0) {
        parts.push_back(std::move(current));
        part_special.push_back(-1);
        current.clear();
        parts.push_back(specials[k]);
        part_special.push_back(k);
        i += specials[k].size();
      } else {
        current.push_back(lowered[i++]);
      }
    }
    parts.push_back(std::move(current));
    part_special.push_back(-1);
    for (size_t i = 0; i < parts.size(); ++i) {
      if (part_special[i] < 0) continue;
      if (i + 1 < parts.size()) {
        std::u32string& right = parts[i + 1];
        size_t n = 0;
        while (n < right.size() && is_python_space(right[n])) ++n;
        right.erase(0, n);
      }
      if (i > 0) {
        std::u32string& left = parts[i - 1];
        while (!left.empty() && is_python_space(left.back())) left.pop_back();
      }
    }

    std::vector<HfToken> tokens;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (parts[i].empty()) continue;
      if (part_special[i] >= 0) {
        tokens.push_back(HfToken{"", special_ids[part_special[i]]});
        continue;
      }
      const std::string canonical = encode_utf8(canonicalize_text_hf(parts[i]));
      std::vector<std::string> pieces;
      if (!sp_no_prefix.Encode(unk_piece + canonical, &pieces).ok()) fail_encode();
      const size_t skip = pieces.size() >= unk_piece_length ? unk_piece_length : 0;
      for (size_t p = skip; p < pieces.size(); ++p) tokens.push_back(HfToken{std::move(pieces[p]), -1});
    }
    // A lone leading "▁" before a special token is dropped.
    if (tokens.size() > 1 && tokens[0].special_id < 0 && tokens[0].piece == "\u2581" && tokens[1].special_id >= 0) {
      tokens.erase(tokens.begin());
    }
    std::vector<int32_t> ids;
    ids.reserve(tokens.size());
    for (const HfToken& t : tokens) ids.push_back(t.special_id >= 0 ? t.special_id : sp_no_prefix.PieceToId(t.piece));
    return ids;
  }
};

SentencePieceTokenizer::SentencePieceTokenizer(std::unique_ptr<State> state) : state_(std::move(state)) {}
SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::load(const std::filesystem::path& model_file,
                                                                     const SentencePieceConventions& conventions) {
  const std::vector<uint8_t> bytes = core::read_file(model_file, kMaxModelBytes, "a SentencePiece model");
  return from_bytes(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                    model_file.string(), conventions);
}

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::from_bytes(std::string_view bytes,
                                                                           const std::string& name,
                                                                           const SentencePieceConventions& c) {
  auto state = std::make_unique<State>();
  state->name = name;
  state->conventions = c;
  const std::string corrupt = name + ": not a SentencePiece model (";
  if (bytes.empty()) throw Error(ErrorCode::corrupt_data, corrupt + "the file is empty)");
  if (!state->sp.LoadFromSerializedProto(bytes).ok()) {
    throw Error(ErrorCode::corrupt_data,
                corrupt + "its " + std::to_string(bytes.size()) +
                    " bytes do not parse as a ModelProto, or describe no usable model; truncated?)");
  }
  const int pieces = state->sp.GetPieceSize();
  if (pieces <= 0) throw Error(ErrorCode::corrupt_data, corrupt + "it has no pieces)");
  if (c.add_bos && c.bos_id < 0 && state->sp.bos_id() < 0) {
    throw Error(ErrorCode::invalid_argument, name + ": the conventions start rows with BOS, but this SentencePiece model has no BOS piece");
  }
  if (c.add_eos && c.eos_id < 0 && state->sp.eos_id() < 0) {
    throw Error(ErrorCode::invalid_argument, name + ": the conventions end rows with EOS, but this SentencePiece model has no EOS piece");
  }
  if (c.pad_id < 0) {
    throw Error(ErrorCode::invalid_argument, name + ": pad_id must not be negative, got " + std::to_string(c.pad_id));
  }
  if (c.id_offset < 0 || c.id_offset > std::numeric_limits<int32_t>::max() - pieces) {
    throw Error(ErrorCode::invalid_argument, name + ": id_offset " + std::to_string(c.id_offset) +
                                                 " is negative or pushes ids past 2^31");
  }
  if (c.clean == SentencePieceConventions::Clean::canonicalize_hf) {
    if (state->sp.unk_id() < 0 || state->sp.eos_id() < 0) {
      throw Error(ErrorCode::invalid_argument, name + ": transformers' SiglipTokenizer conventions need UNK and EOS pieces");
    }
    std::string no_prefix(bytes);
    no_prefix += kNoDummyPrefix;
    if (!state->sp_no_prefix.LoadFromSerializedProto(no_prefix).ok()) {
      throw Error(ErrorCode::corrupt_data, corrupt + "it does not load without its dummy prefix)");
    }
    state->unk_piece = state->sp.IdToPiece(state->sp.unk_id());
    state->eos_piece = state->sp.IdToPiece(state->sp.eos_id());
    std::vector<int> unk_ids;
    if (!state->sp_no_prefix.Encode(state->unk_piece, &unk_ids).ok()) state->fail_encode();
    state->unk_piece_length = unk_ids.size();
  }
  return std::unique_ptr<SentencePieceTokenizer>(new SentencePieceTokenizer(std::move(state)));
}

std::string SentencePieceTokenizer::clean(std::string_view text) const {
  check_utf8(text);
  using Clean = SentencePieceConventions::Clean;
  switch (state_->conventions.clean) {
    case Clean::none:
      return std::string(text);
    case Clean::whitespace:
      return encode_utf8(whitespace_clean(basic_clean(decode_utf8(text))));
    case Clean::lower:
      return encode_utf8(python_lower(whitespace_clean(basic_clean(decode_utf8(text)))));
    case Clean::canonicalize:
      return encode_utf8(canonicalize_text(basic_clean(decode_utf8(text))));
    case Clean::canonicalize_hf:
      return encode_utf8(canonicalize_text_hf(lower_each_char(decode_utf8(text))));
  }
  throw Error(ErrorCode::invalid_argument, "unknown SentencePieceConventions::Clean value " +
                                               std::to_string(static_cast<int>(state_->conventions.clean)));
}

std::vector<int32_t> SentencePieceTokenizer::map_ids(std::vector<int32_t> ids) const {
  const SentencePieceConventions& c = state_->conventions;
  const int32_t unk = state_->sp.unk_id(), bos = state_->sp.bos_id(), eos = state_->sp.eos_id();
  for (int32_t& id : ids) {
    if (id == unk && c.unk_id >= 0) id = c.unk_id;
    else if (id == bos && c.bos_id >= 0) id = c.bos_id;
    else if (id == eos && c.eos_id >= 0) id = c.eos_id;
    else id += c.id_offset;
  }
  return ids;
}

std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view text) const {
  const SentencePieceConventions& c = state_->conventions;
  if (c.clean == SentencePieceConventions::Clean::canonicalize_hf) {
    check_utf8(text);
    return map_ids(state_->encode_hf(text));
  }
  const std::string cleaned = clean(text);  // checks the UTF-8
  if (!c.text_specials) return map_ids(state_->encode_ids(cleaned));
  // transformers' added tokens: the specials' surface strings anywhere in the text are
  // those tokens; the stretches between them are encoded on their own ("<mask>" also
  // takes the whitespace before it, which SentencePiece drops at a stretch's end anyway).
  const std::pair<std::string_view, int32_t> specials[] = {
      {"<s>", bos_id()}, {"<pad>", c.pad_id}, {"</s>", eos_id()}, {"<unk>", c.unk_id},
      {"<mask>", c.id_offset + piece_count()}};
  std::vector<int32_t> ids;
  std::string_view rest = cleaned;
  while (!rest.empty()) {
    size_t at = std::string_view::npos, length = 0;
    int32_t id = -1;
    for (const auto& [surface, special_id] : specials) {
      const size_t found = rest.find(surface);
      if (special_id >= 0 && found < at) at = found, length = surface.size(), id = special_id;
    }
    const std::string_view stretch = rest.substr(0, at);
    if (!stretch.empty()) {
      const std::vector<int32_t> part = map_ids(state_->encode_ids(std::string(stretch)));
      ids.insert(ids.end(), part.begin(), part.end());
    }
    if (at == std::string_view::npos) break;
    ids.push_back(id);
    rest.remove_prefix(at + length);
  }
  return ids;
}

std::vector<int32_t> SentencePieceTokenizer::tokenize(std::string_view text, int context_length, bool truncate) const {
  const SentencePieceConventions& c = state_->conventions;
  const int specials = (c.add_bos ? 1 : 0) + (c.add_eos ? 1 : 0);
  if (context_length <= 0 || context_length < specials) {
    throw Error(ErrorCode::invalid_argument, "context_length must be positive and hold the " +
                                                 std::to_string(specials) + " special token(s), got " +
                                                 std::to_string(context_length));
  }
  std::vector<int32_t> ids = encode(text);
  const size_t room = static_cast<size_t>(context_length - specials);
  if (ids.size() > room) {
    if (!truncate) {
      throw Error(ErrorCode::invalid_argument,
                  "input text is too long for context length " + std::to_string(context_length) + " (" +
                      std::to_string(ids.size() + static_cast<size_t>(specials)) + " tokens with " +
                      (c.add_bos ? "BOS/EOS" : "EOS") + "): \"" + abbreviate(text) + "\"");
    }
    ids.resize(room);
  }
  std::vector<int32_t> row;
  row.reserve(static_cast<size_t>(context_length));
  if (c.add_bos) row.push_back(bos_id());
  row.insert(row.end(), ids.begin(), ids.end());
  // transformers' _add_eos_if_not_present: no second EOS after one written in the text.
  const bool has_eos = c.clean == SentencePieceConventions::Clean::canonicalize_hf && !ids.empty() &&
                       ids.back() == eos_id();
  if (c.add_eos && !has_eos) row.push_back(eos_id());
  row.resize(static_cast<size_t>(context_length), c.pad_id);
  return row;
}

std::string SentencePieceTokenizer::decode(std::span<const int32_t> ids) const {
  std::vector<int> model_ids;
  model_ids.reserve(ids.size());
  const int64_t pieces = state_->sp.GetPieceSize();
  const SentencePieceConventions& c = state_->conventions;
  for (int32_t id : ids) {
    if (id == c.bos_id || id == c.eos_id || id == c.unk_id || (c.id_offset > 0 && id == c.pad_id)) continue;
    const int64_t model_id = int64_t{id} - c.id_offset;
    if (model_id < 0 || model_id >= pieces) continue;
    if (state_->sp.IsControl(static_cast<int>(model_id))) continue;
    model_ids.push_back(static_cast<int>(model_id));
  }
  std::string text;
  if (!state_->sp.Decode(model_ids, &text).ok()) {
    throw Error(ErrorCode::internal, state_->name + ": SentencePiece could not decode the ids");
  }
  return text;
}

int32_t SentencePieceTokenizer::bos_id() const {
  const SentencePieceConventions& c = state_->conventions;
  if (!c.add_bos) return -1;
  return c.bos_id >= 0 ? c.bos_id : state_->sp.bos_id() + c.id_offset;
}
int32_t SentencePieceTokenizer::eos_id() const {
  const SentencePieceConventions& c = state_->conventions;
  if (!c.add_eos) return -1;
  return c.eos_id >= 0 ? c.eos_id : state_->sp.eos_id() + c.id_offset;
}
int32_t SentencePieceTokenizer::piece_count() const { return state_->sp.GetPieceSize(); }

}  // namespace clipkit::text
