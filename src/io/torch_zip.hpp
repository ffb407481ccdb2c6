// io/torch_zip.hpp — tensors from torch's zip serialization: TorchScript archives
// (OpenAI's released CLIP .pt files) and torch.save(state_dict) files (.pt / .bin).
//
//   MappedFile file(path);
//   TorchZipContents c = read_torch_zip(file.bytes(), path.string());
//   c.kind == TorchZipKind::torchscript;  c.tensors.tensors.at("visual.proj");
//
// The archive's root folder is found from the entry names (`<root>/data.pkl`).
// TorchScript: the pickled module tree is walked; submodule attribute names become
// dotted prefixes and tensor attributes become leaves. State dicts: the (Ordered)dict
// itself, or the dict under "state_dict" / "model"; a leading "module." is stripped.
// Non-tensor values are skipped. Views (offset/stride) are materialised into dense
// row-major fp32. Names are returned as stored (no canonical mapping here).
// Errors: clipkit::Error naming the file and tensor: corrupt_data (not a zip,
// truncated, malformed pickle, missing data entry, storage size != dtype × numel,
// view outside its storage; an archive whose shared modules or storages would expand past
// 8 x its size + 16 MiB of names and fp32 data), unsupported (disallowed pickle global,
// legacy format).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "io/tensor_set.hpp"

namespace clipkit::io {

enum class TorchZipKind { torchscript, state_dict };

struct TorchZipContents {
  TorchZipKind kind = TorchZipKind::state_dict;
  std::string root;  // the archive's root folder name
  TensorSet tensors;
};

TorchZipContents read_torch_zip(std::span<const uint8_t> bytes, const std::string& display_name);

// Maximum module nesting walked in a TorchScript archive.
inline constexpr int kMaxModuleDepth = 64;

}  // namespace clipkit::io
