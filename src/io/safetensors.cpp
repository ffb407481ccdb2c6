#include "io/safetensors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>

#include "clipkit/error.hpp"
#include "core/byte_reader.hpp"
#include "core/json_excerpt.hpp"
#include "io/name_map.hpp"

namespace clipkit::io {
namespace {

std::optional<DType> parse_dtype(const std::string& name) {
  if (name == "F32") return DType::f32;
  if (name == "F16") return DType::f16;
  if (name == "BF16") return DType::bf16;
  return std::nullopt;
}

[[noreturn]] void corrupt(const std::string& file, const std::string& what) {
  throw Error(ErrorCode::corrupt_data, file + ": " + what);
}

}  // namespace

std::vector<SafetensorsEntry> parse_safetensors(std::span<const uint8_t> bytes,
                                                const std::string& display_name) {
  auto fail = [&](const std::string& what) { corrupt(display_name, what); };
  core::ByteReader reader(bytes, display_name);
  if (!reader.has(0, 8)) {
    fail("file of " + std::to_string(bytes.size()) +
         " bytes is too short for a safetensors header length (8 bytes)");
  }
  const uint64_t header_size = reader.u64le("safetensors header length");
  if (header_size > reader.remaining()) {
    fail("header length " + std::to_string(header_size) + " exceeds the " +
         std::to_string(reader.remaining()) + " bytes after the length field (truncated?)");
  }
  const auto header_bytes = reader.bytes(header_size, "safetensors header");
  const core::ByteReader data = reader.sub(reader.offset(), reader.remaining(), "safetensors data");

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_bytes.begin(), header_bytes.end());
  } catch (const nlohmann::json::parse_error& e) {
    fail("header is not valid JSON (syntax error at byte " + std::to_string(e.byte) + " of the header)");
  } catch (const nlohmann::json::exception&) {
    fail("header is not valid JSON");
  }
  if (!header.is_object()) fail("header is not a JSON object");

  std::vector<SafetensorsEntry> entries;
  entries.reserve(header.size());
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string where = "tensor '" + name + "': ";
    if (!info.is_object()) fail(where + "header entry is not an object");
    const auto dtype_it = info.find("dtype");
    const auto shape_it = info.find("shape");
    const auto offsets_it = info.find("data_offsets");
    if (dtype_it == info.end() || !dtype_it->is_string()) fail(where + "missing \"dtype\" string");
    if (shape_it == info.end() || !shape_it->is_array()) fail(where + "missing \"shape\" array");
    if (offsets_it == info.end() || !offsets_it->is_array() || offsets_it->size() != 2) {
      fail(where + "missing \"data_offsets\" [begin, end]");
    }
    SafetensorsEntry entry;
    entry.name = name;
    const std::string dtype_name_str = dtype_it->get<std::string>();
    const auto dtype = parse_dtype(dtype_name_str);
    // Older Hugging Face files carry int64 position_ids buffers: not parameters, skipped.
    if (!dtype && is_non_parameter(name) && (dtype_name_str == "I64" || dtype_name_str == "I32")) continue;
    if (!dtype) {
      throw Error(ErrorCode::unsupported, display_name + ": " + where + "dtype " +
                                              dtype_name_str +
                                              " is not supported (expected F32, F16 or BF16)");
    }
    entry.dtype = *dtype;
    for (const auto& d : *shape_it) {
      if (!d.is_number_unsigned()) fail(where + "shape has a non-count entry: " + core::json_excerpt(d));
      const uint64_t extent = d.get<uint64_t>();
      if (extent > static_cast<uint64_t>(INT64_MAX)) fail(where + "shape extent overflows");
      entry.shape.push_back(static_cast<int64_t>(extent));
    }
    for (const auto& o : *offsets_it) {
      if (!o.is_number_unsigned()) fail(where + "data_offsets are not counts: " + core::json_excerpt(o));
    }
    const uint64_t begin = (*offsets_it)[0].get<uint64_t>();
    const uint64_t end = (*offsets_it)[1].get<uint64_t>();
    if (begin > end || !data.has(begin, end - begin)) {
      fail(where + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
           "] out of bounds of the " + std::to_string(data.size()) + "-byte data section");
    }
    const auto numel = checked_numel(entry.shape);
    const auto expected = numel ? checked_mul(*numel, static_cast<int64_t>(dtype_size(*dtype)))
                                : std::nullopt;
    if (!expected) fail(where + "shape " + shape_string(entry.shape) + " overflows");
    if (static_cast<uint64_t>(*expected) != end - begin) {
      fail(where + "holds " + std::to_string(end - begin) + " bytes, expected " +
           dtype_name_str + " size " + std::to_string(dtype_size(*dtype)) + " x " +
           std::to_string(*numel) + " elements of shape " + shape_string(entry.shape) + " = " +
           std::to_string(*expected) + " bytes");
    }
    entry.bytes = data.bytes_at(begin, end - begin, "tensor data");
    entries.push_back(std::move(entry));
  }
  return entries;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : file_(path) {
  entries_ = parse_safetensors(file_.bytes(), path.string());
}

TensorSet SafetensorsFile::read_all() const {
  TensorSet set;
  for (const SafetensorsEntry& e : entries_) {
    Tensor t;
    t.shape = e.shape;
    t.data.resize(e.bytes.size() / dtype_size(e.dtype));
    widen_to_f32(e.dtype, e.bytes.data(), t.data.size(), t.data.data());
    file_.drop_pages(e.bytes);
    set.stored_elements[e.dtype] += static_cast<int64_t>(t.data.size());
    set.tensors[e.name] = std::move(t);
  }
  return set;
}

}  // namespace clipkit::io
