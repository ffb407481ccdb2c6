// clipkit/image.hpp — image decoding and CLIP's preprocessing, reproducing
// Pillow 9.4 + torchvision exactly.
//
//   auto img = clipkit::decode_image_file("cat.jpg");      // EXIF applied
//   std::vector<float> chw = clipkit::clip_preprocess(img, 224);
//
// Pixels are row-major, interleaved (HWC), 8 bits per sample. Images keep their own
// mode (as Pillow does) because CLIP's transform resizes before converting to RGB.
// All functions are thread-safe (no shared state).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace clipkit {

// Pillow's modes that matter for CLIP preprocessing.
enum class PixelMode {
  bilevel,  // Pillow "1": one byte per pixel, 0 or 255
  gray,     // "L"
  gray_alpha,  // "LA"
  palette,  // "P": one index byte per pixel + `palette` (RGBA entries)
  rgb,      // "RGB"
  rgba,     // "RGBA"
  cmyk,     // "CMYK" (as Pillow stores it: not inverted)
};

int channels(PixelMode mode);         // bytes per pixel in `pixels`
const char* to_string(PixelMode mode);  // Pillow's name: "1", "L", "LA", "P", ...

struct Image {
  int width = 0;
  int height = 0;
  PixelMode mode = PixelMode::rgb;
  std::vector<uint8_t> pixels;                  // height * width * channels(mode)
  // Palette mode only: RGBA entries, 256 from the decoders (indices past the file's
  // colour table map to a gray ramp, as in Pillow); alpha carries PNG tRNS / the GIF
  // transparency index.
  std::vector<std::array<uint8_t, 4>> palette;
};

struct DecodeOptions {
  bool apply_exif_orientation = true;   // rotate/flip as the EXIF Orientation tag says
  uint64_t max_pixels = 100'000'000;    // refuse larger images before decoding them
};

// Decodes JPEG, PNG, WebP, BMP, GIF by content, not by extension, into the mode Pillow
// 9.4 would give the file (JPEG: L/RGB/CMYK; PNG: 1/L/LA/P/RGB/RGBA; WebP: RGB/RGBA,
// the first frame of an animation; BMP: 1/L/P/RGB/RGBA, uncompressed, RLE8/RLE4,
// 16-bit 5-5-5/5-6-5; GIF: P or L, the first frame, read as far as Pillow reads it).
// 16-bit PNG samples become v >> 8 (Pillow does the same except for 16-bit gray,
// which it clips).
// Throws Error: not_found (no file), unsupported (unknown format, or a variant Pillow
// does not read either, such as BMP bitfields other than 5-5-5/5-6-5/8-bit masks),
// corrupt_data (empty, truncated or malformed, naming the file and what is wrong),
// resource_exhausted (width*height over max_pixels, checked before decoding). No
// allocation is sized from a length field larger than the bytes present.
Image decode_image_file(const std::filesystem::path& path, const DecodeOptions& options = {});
// `name` is used in error messages.
Image decode_image_memory(std::span<const uint8_t> bytes, const std::string& name,
                          const DecodeOptions& options = {});

struct PreprocessOptions {
  int size = 224;  // the model's input resolution
  std::array<float, 3> mean = {0.48145466f, 0.4578275f, 0.40821073f};
  std::array<float, 3> std = {0.26862954f, 0.26130258f, 0.27577711f};
};

// Resize(size, BICUBIC) on the shorter side in the image's own mode, CenterCrop(size),
// convert("RGB"): returns size*size*3 bytes (HWC) — the 8-bit pixels before ToTensor.
std::vector<uint8_t> clip_resize_crop_rgb(const Image& image, int size);

// The full CLIP transform: 3*size*size floats, CHW, (x/255 - mean)/std.
std::vector<float> clip_preprocess(const Image& image, const PreprocessOptions& options = {});

}  // namespace clipkit
