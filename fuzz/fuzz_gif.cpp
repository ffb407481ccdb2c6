// fuzz/fuzz_gif.cpp — image::decode_gif on arbitrary bytes (see fuzz_image.hpp for what
// is checked after a successful decode).
#include "fuzz_image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return clipkit::fuzz::decode_and_use(data, size, clipkit::image::decode_gif, "fuzz.gif");
}
