// io/safetensors.hpp — reads .safetensors files (8-byte little-endian header length,
// JSON header, raw little-endian tensor bytes), memory-mapped.
//
//   SafetensorsFile st(path);                  // maps + validates the header
//   for (const auto& info : st.tensors()) ...  // name, dtype, shape, bytes
//   TensorSet set = st.read_all();             // fp32 copies
//
// The header is validated before any tensor is touched: its length must fit in the
// file; it must be a JSON object of {"dtype", "shape", "data_offsets"} entries
// (plus an optional "__metadata__"); dtypes F32/F16/BF16 are accepted (others:
// unsupported); offsets must lie in the data section and end - begin must equal
// dtype size × numel (products overflow-checked). The object is immutable after
// construction; safe to read from several threads.
// Errors: clipkit::Error naming the file (and tensor): not_found, corrupt_data,
// unsupported.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "io/mapped_file.hpp"
#include "io/tensor_set.hpp"

namespace clipkit::io {

struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::f32;
  std::vector<int64_t> shape;
  std::span<const uint8_t> bytes;  // into the mapping
};

class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);

  const std::vector<SafetensorsEntry>& tensors() const { return entries_; }
  // Every tensor widened to fp32, under its stored name.
  TensorSet read_all() const;

 private:
  MappedFile file_;
  std::vector<SafetensorsEntry> entries_;
};

// Validates a safetensors image held in memory (what the constructor does on the
// mapping); `display_name` names it in errors. The entries point into `bytes`.
std::vector<SafetensorsEntry> parse_safetensors(std::span<const uint8_t> bytes,
                                                const std::string& display_name);

}  // namespace clipkit::io
