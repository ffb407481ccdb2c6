// fuzz/fuzz_torch_zip.cpp — io::read_torch_zip on arbitrary bytes: zip + pickle + tensor
// rebuilding (storages, views, dtypes) together, as a .pt checkpoint is read.
#include "fuzz_support.hpp"
#include "io/dtype.hpp"
#include "io/torch_zip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  clipkit::fuzz::run([&] {
    const clipkit::io::TorchZipContents contents =
        clipkit::io::read_torch_zip(clipkit::fuzz::bytes(data, size), "fuzz.pt");
    for (const auto& [name, tensor] : contents.tensors.tensors) {
      const auto numel = clipkit::io::checked_numel(tensor.shape);
      FUZZ_CHECK(numel && static_cast<size_t>(*numel) == tensor.data.size());
    }
    (void)contents.tensors.dominant_dtype();
  });
  return 0;
}
