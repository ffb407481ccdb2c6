#include "model/tensor_checks.hpp"

#include <cmath>
#include <set>

#include "clipkit/error.hpp"

namespace clipkit::model {

std::string shape_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

const io::Tensor& require(const Tensors& tensors, const std::string& name, size_t rank, const std::string& file) {
  const auto it = tensors.find(name);
  if (it == tensors.end()) throw Error(ErrorCode::not_found, file + ": missing tensor '" + name + "'");
  if (it->second.shape.size() != rank)
    throw Error(ErrorCode::corrupt_data, file + ": tensor '" + name + "' has shape " + shape_string(it->second.shape) +
                                             ", expected rank " + std::to_string(rank));
  return it->second;
}

namespace {

bool one_value(const Shape& s) { return s.empty() || s == Shape{1}; }

}  // namespace

int64_t check_tensor_set(const Tensors& tensors, const ShapeList& expected,
                         const std::function<bool(const std::string&)>& ignorable, const std::string& file,
                         const std::string& what) {
  int64_t parameters = 0;
  std::set<std::string> names;
  for (const auto& [name, shape] : expected) {
    names.insert(name);
    const auto it = tensors.find(name);
    if (it == tensors.end()) throw Error(ErrorCode::not_found, file + ": missing tensor '" + name + "'");
    const Shape& actual = it->second.shape;
    if (actual != shape && !(one_value(actual) && one_value(shape)))
      throw Error(ErrorCode::corrupt_data, file + ": tensor '" + name + "' has shape " + shape_string(actual) +
                                               ", expected " + shape_string(shape));
    if (static_cast<int64_t>(it->second.data.size()) != it->second.numel())
      throw Error(ErrorCode::internal, file + ": tensor '" + name + "' data size does not match its shape");
    parameters += it->second.numel();
  }
  for (const auto& [name, tensor] : tensors)
    if (!names.count(name) && !ignorable(name))
      throw Error(ErrorCode::corrupt_data, file + ": unexpected tensor '" + name + "' " + shape_string(tensor.shape) +
                                               " (not part of " + what + ")");
  return parameters;
}

float logit_scale_of(const Tensors& tensors, const std::string& file) {
  const float stored = tensors.at("logit_scale").data.at(0);
  if (!std::isfinite(stored)) throw Error(ErrorCode::corrupt_data, file + ": logit_scale is not finite");
  return std::exp(stored);
}

Buffer take(Tensors& tensors, const std::string& name) { return std::move(tensors.at(name).data); }

}  // namespace clipkit::model
