// io/name_map.hpp — maps the tensor names of other CLIP containers onto OpenAI's
// canonical naming ("visual.transformer.resblocks.N.attn.in_proj_weight", ...).
//
//   if (looks_like_hf_clip(set.tensors)) set.tensors = map_hf_to_openai(std::move(set.tensors), file);
//   drop_non_parameters(set.tensors);
//
// Hugging Face CLIPModel: separate q/k/v projections are concatenated (q, k, v order)
// into in_proj_{weight,bias}; text_projection / visual_projection (Linear weights,
// [embed, width]) are transposed to OpenAI's [width, embed]; names without a rule
// pass through unchanged (ResNet towers, future additions).
// Errors: clipkit::Error corrupt_data naming the file and layer when q/k/v are
// incomplete or their shapes disagree, or a projection is not 2-D.
//
// Hugging Face ChineseCLIPModel (transformers' modeling_chinese_clip.py) onto cn_clip's
// names, which model/chinese_clip reads: text_model.X -> bert.X (ChineseCLIPTextModel is
// BERT under the same names), and the rest as CLIPModel's (vision_model.* -> visual.*,
// text_projection.weight / visual_projection.weight transposed to text_projection /
// visual.proj, logit_scale as is) — the inverse of transformers'
// convert_chinese_clip_original_pytorch_to_hf.py.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "io/checkpoint.hpp"

namespace clipkit::io {

// True when any name uses HF CLIPModel's prefixes (text_model. / vision_model.).
bool looks_like_hf_clip(const std::map<std::string, Tensor>& tensors);

// The OpenAI name for one HF name that maps one-to-one, or nullopt when the name
// is a q/k/v projection, a projection to transpose, or dropped. Names without a
// rule map to themselves.
std::optional<std::string> hf_to_openai_name(std::string_view hf_name);

std::map<std::string, Tensor> map_hf_to_openai(std::map<std::string, Tensor> hf,
                                               const std::string& display_name);

// True for a ChineseCLIPModel: a BERT under text_model.embeddings (word_embeddings or
// token_type_embeddings; CLIPModel's text tower has token_embedding).
bool looks_like_hf_chinese_clip(const std::map<std::string, Tensor>& tensors);

// ChineseCLIPModel names -> cn_clip's. Errors: those of map_hf_to_openai, and not_found
// naming the file when text_projection.weight or visual_projection.weight is absent.
std::map<std::string, Tensor> map_hf_chinese_clip_to_cn_clip(std::map<std::string, Tensor> hf,
                                                             const std::string& display_name);

// Entries of OpenAI files that are not parameters: input_resolution, context_length,
// vocab_size, *.attn_mask, HF's *.position_ids.
bool is_non_parameter(std::string_view name);
void drop_non_parameters(std::map<std::string, Tensor>& tensors);

// A row-major 2-D transpose.
Tensor transpose_2d(const Tensor& t);

}  // namespace clipkit::io
