// fuzz/fuzz_exif.cpp — image::exif_orientation on arbitrary bytes (a TIFF-structured
// EXIF block, with or without "Exif\0\0"), then apply_orientation on a tiny image whose
// size and mode come from the input: the result must have the transposed size, and the
// inverse orientation must give the original pixels back.
#include "fuzz_support.hpp"
#include "image/exif.hpp"

namespace {

// Pillow's transpositions undone: 6 (ROTATE_270) and 8 (ROTATE_90) swap, the rest are
// their own inverses.
int inverse(int orientation) { return orientation == 6 ? 8 : orientation == 8 ? 6 : orientation; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto input = clipkit::fuzz::bytes(data, size);
  const int orientation = clipkit::image::exif_orientation(input);
  FUZZ_CHECK(orientation >= 0 && orientation <= 8);

  clipkit::Image img;
  img.width = 1 + (size > 0 ? data[0] % 5 : 0);
  img.height = 1 + (size > 1 ? data[1] % 5 : 0);
  img.mode = static_cast<clipkit::PixelMode>(size > 2 ? data[2] % 7 : 0);
  if (img.mode == clipkit::PixelMode::palette) img.palette.assign(256, {1, 2, 3, 255});
  img.pixels.resize(static_cast<size_t>(img.width) * img.height * clipkit::channels(img.mode));
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<uint8_t>(i * 7 + 1);

  const clipkit::Image turned = clipkit::image::apply_orientation(img, orientation);
  const bool swapped = orientation >= 5;
  FUZZ_CHECK(turned.width == (swapped ? img.height : img.width));
  FUZZ_CHECK(turned.height == (swapped ? img.width : img.height));
  FUZZ_CHECK(turned.mode == img.mode && turned.palette == img.palette);
  const clipkit::Image back = clipkit::image::apply_orientation(turned, inverse(orientation));
  FUZZ_CHECK(back.width == img.width && back.height == img.height && back.pixels == img.pixels);
  return 0;
}
