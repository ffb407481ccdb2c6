// model/tensor_checks.hpp — the checks every family's loader makes on a checkpoint's
// tensors, with the same messages: a missing tensor, a wrong shape, an unexpected one.
//
//   const io::Tensor& word = require(ckpt.tensors, "bert.embeddings.word_embeddings.weight", 2, file);
//   w.parameters = check_tensor_set(ckpt.tensors, expected, ignorable, file, "a Chinese-CLIP with …");
//   Buffer weight = take(ckpt.tensors, "text_projection");
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "io/checkpoint.hpp"

namespace clipkit::model {

using Buffer = std::vector<float>;
using Shape = std::vector<int64_t>;
using ShapeList = std::vector<std::pair<std::string, Shape>>;
using Tensors = std::map<std::string, io::Tensor>;

// "[3, 4]".
std::string shape_string(const Shape& shape);

// The tensor `name`, which must have `rank` dimensions. Error naming `file`:
// not_found (absent) or corrupt_data (another rank).
const io::Tensor& require(const Tensors& tensors, const std::string& name, size_t rank, const std::string& file);

// Every (name, shape) of `expected` is present with that shape (a one-value shape, []
// or [1], matches either) and every other tensor is accepted by `ignorable`. Returns
// the parameter count of `expected`. Error naming `file`: not_found (a missing tensor),
// corrupt_data (a wrong shape; an unexpected tensor, the message ending "(not part of
// <what>)").
int64_t check_tensor_set(const Tensors& tensors, const ShapeList& expected,
                         const std::function<bool(const std::string&)>& ignorable, const std::string& file,
                         const std::string& what);

// exp() of the stored "logit_scale" (checked present); Error(corrupt_data) naming
// `file` when it is not finite.
float logit_scale_of(const Tensors& tensors, const std::string& file);

// Moves the data of a checked tensor out.
Buffer take(Tensors& tensors, const std::string& name);

}  // namespace clipkit::model
