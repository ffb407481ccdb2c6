// io/tensor_set.hpp — named fp32 tensors plus what precision they were stored in;
// what each container reader (torch zip, safetensors) hands to load_checkpoint.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "io/checkpoint.hpp"
#include "io/dtype.hpp"

namespace clipkit::io {

struct TensorSet {
  std::map<std::string, Tensor> tensors;
  std::map<DType, int64_t> stored_elements;  // elements read per stored dtype

  // The floating dtype holding the most elements ("f32", "f16", "bf16"), else the
  // dtype holding the most elements, else "".
  std::string dominant_dtype() const {
    const std::pair<const DType, int64_t>* best = nullptr;
    for (const auto& entry : stored_elements) {
      const bool better =
          best == nullptr ||
          (is_floating(entry.first) && !is_floating(best->first)) ||
          (is_floating(entry.first) == is_floating(best->first) && entry.second > best->second);
      if (better) best = &entry;
    }
    return best == nullptr ? std::string() : std::string(dtype_name(best->first));
  }
};

}  // namespace clipkit::io
