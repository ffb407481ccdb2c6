// text/canonicalize.hpp — the "canonicalize" clean-ups SigLIP's tokenizers apply before
// SentencePiece (big_vision's prompt_engineering.canonicalize_text, as two upstreams
// carry it):
//  - open_clip (tokenizer.py, v2.24.0 and later): "_" -> " ", remove
//    string.punctuation, str.lower(), whitespace runs -> " ", strip;
//  - transformers (SiglipTokenizer.canonicalize_text): remove string.punctuation
//    ("_" included: "a_b" -> "ab"), whitespace runs -> " ", strip — no lower-casing
//    (SiglipTokenizer lowers earlier, one character at a time: lower_each_char).
//
//   std::u32string t = clipkit::text::canonicalize_text(U"A_Photo, of a CAT!");
//   // U"a photo of a cat"
//
// "Whitespace" is Python's str.isspace() set (str.split() / re's \s; open_clip v2.24.0
// used the regex module's \s, which lacks U+001C..U+001F — after basic_clean, which
// removes those, the two agree). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace clipkit::text {

// Python's text.translate(str.maketrans("", "", string.punctuation)).
std::u32string remove_punctuation(std::u32string_view text);

// " ".join(text.split()): runs of whitespace -> one space, no space at either end.
std::u32string collapse_whitespace(std::u32string_view text);

// open_clip's canonicalize_text (keep_punctuation_exact_string=None).
std::u32string canonicalize_text(std::u32string_view text);

// transformers' SiglipTokenizer.canonicalize_text (keep_punctuation_exact_string=None).
std::u32string canonicalize_text_hf(std::u32string_view text);

// Python's str.lower() applied to each character on its own (transformers'
// do_lower_case: re.sub("(.+?)", lower) — no final-sigma context, "\n" untouched).
std::u32string lower_each_char(std::u32string_view text);

}  // namespace clipkit::text
