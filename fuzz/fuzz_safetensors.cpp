// fuzz/fuzz_safetensors.cpp — io::parse_safetensors on arbitrary bytes (header length,
// JSON header, offsets), then every accepted tensor widened to fp32: each must lie in
// the input and hold exactly dtype size × numel bytes.
#include <vector>

#include "fuzz_support.hpp"
#include "io/dtype.hpp"
#include "io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto input = clipkit::fuzz::bytes(data, size);
  clipkit::fuzz::run([&] {
    const auto entries = clipkit::io::parse_safetensors(input, "fuzz.safetensors");
    std::vector<float> widened;
    for (const clipkit::io::SafetensorsEntry& entry : entries) {
      FUZZ_CHECK(entry.bytes.empty() ||
                 (entry.bytes.data() >= input.data() && entry.bytes.data() + entry.bytes.size() <= input.data() + size));
      const auto numel = clipkit::io::checked_numel(entry.shape);
      FUZZ_CHECK(numel.has_value());
      FUZZ_CHECK(static_cast<uint64_t>(*numel) * clipkit::io::dtype_size(entry.dtype) == entry.bytes.size());
      widened.resize(static_cast<size_t>(*numel));
      clipkit::io::widen_to_f32(entry.dtype, entry.bytes.data(), widened.size(), widened.data());
    }
  });
  return 0;
}
