// fuzz/fuzz_zip.cpp — io::ZipReader on arbitrary bytes: the central directory, then every
// entry read (stored or inflated), checked against the sizes the directory claims.
#include "fuzz_support.hpp"
#include "io/zip_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto input = clipkit::fuzz::bytes(data, size);
  clipkit::fuzz::run([&] {
    const clipkit::io::ZipReader zip(input, "fuzz.zip");
    for (const clipkit::io::ZipEntry& entry : zip.entries()) {
      FUZZ_CHECK(zip.find(entry.name) != nullptr);
      clipkit::fuzz::run([&] {
        const std::vector<uint8_t> content = zip.read(entry);
        FUZZ_CHECK(content.size() == entry.uncompressed_size);
      });
      clipkit::fuzz::run([&] {
        const std::span<const uint8_t> stored = zip.stored_data(entry);
        FUZZ_CHECK(stored.data() >= input.data() && stored.data() + stored.size() <= input.data() + input.size());
        FUZZ_CHECK(stored.size() == entry.uncompressed_size);
      });
    }
  });
  return 0;
}
