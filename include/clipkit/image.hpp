// clipkit/image.hpp — image decoding and CLIP / SigLIP preprocessing, reproducing
// Pillow 9.4 + torchvision 0.14 (OpenAI CLIP, open_clip) and transformers' image
// processors exactly.
//
//   auto img = clipkit::decode_image_file("cat.jpg");      // EXIF applied
//   std::vector<float> chw = clipkit::clip_preprocess(img);  // OpenAI CLIP at 224 px
//   clipkit::PreprocessOptions siglip;                        // SigLIP's open_clip transform
//   siglip.size = 256, siglip.resize_mode = clipkit::ResizeMode::squash;
//   siglip.mean = siglip.std = {0.5f, 0.5f, 0.5f};
//   chw = clipkit::clip_preprocess(img, siglip);
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

// The resampling filter of the resize: Pillow's BICUBIC (3) or BILINEAR (2). Palette
// ("P") and bilevel ("1") images are resized with NEAREST whatever this says, as Pillow
// does, unless they were converted to RGB first (PreprocessOrder::transformers).
enum class Interpolation { bicubic, bilinear };

// How the image becomes size x size (torchvision 0.14 / open_clip v2.24.0 names).
enum class ResizeMode {
  // Resize(resize_size) on the shorter side, then CenterCrop(size): OpenAI CLIP,
  // open_clip's default, Hugging Face's {"shortest_edge"} + crop_size.
  shortest,
  // Resize((size, size)): the aspect ratio is not kept and nothing is cropped — SigLIP's
  // open_clip preprocess_cfg and Hugging Face's size {"height", "width"}.
  squash,
  // open_clip ResizeKeepRatio(size, longest=1): the longer side becomes size, the
  // shorter round(side * size / longer) (half to even), then CenterCropOrPad(size)
  // pads with fill 0 in the image's own mode (black; palette index 0; white for CMYK,
  // as Pillow's (0,0,0,0) converts). A side that would round to 0 pixels is refused
  // (Pillow refuses it too).
  longest,
};

// Whose pipeline the steps follow.
enum class PreprocessOrder {
  // torchvision (OpenAI CLIP, open_clip): resize and crop in the image's own mode, then
  // convert("RGB"), ToTensor (x / 255 in float32), Normalize; CenterCrop's offset is
  // round((side - size) / 2) with ties to even.
  torchvision,
  // Hugging Face image processors (transformers' SiglipImageProcessor,
  // CLIPImageProcessor): convert("RGB") FIRST, then Pillow's resize of the RGB image
  // (so palette images are filtered, not NEAREST-sampled, and RGBA loses its alpha
  // before resizing), center_crop with offset floor((side - size) / 2), rescale
  // (float64 x * rescale_factor, then float32), normalize in float32.
  transformers,
};

// Defaults are OpenAI CLIP's transform. preprocess_from_open_clip / preprocess_from_hf
// (image/preprocess_config.hpp, used by the model loader) fill these from a checkpoint's
// config files.
struct PreprocessOptions {
  int size = 224;  // the model's input resolution: the output is size x size
  std::array<float, 3> mean = {0.48145466f, 0.4578275f, 0.40821073f};
  std::array<float, 3> std = {0.26862954f, 0.26130258f, 0.27577711f};  // none may be 0
  Interpolation interpolation = Interpolation::bicubic;
  ResizeMode resize_mode = ResizeMode::shortest;
  // shortest only: the shorter side's length before the centre crop (Hugging Face's
  // shortest_edge when it differs from crop_size); 0 means `size`. Must be >= size.
  int resize_size = 0;
  PreprocessOrder order = PreprocessOrder::torchvision;
  // transformers order only (torchvision's ToTensor always divides by 255): the factor
  // of `rescale` — 1/255, or 1 where do_rescale is false.
  double rescale_factor = 1.0 / 255.0;
};

// Names as the configs spell them: "bicubic"/"bilinear", "shortest"/"squash"/"longest",
// "torchvision"/"transformers".
const char* to_string(Interpolation interpolation);
const char* to_string(ResizeMode mode);
const char* to_string(PreprocessOrder order);

// Resize(size, BICUBIC) on the shorter side in the image's own mode, CenterCrop(size),
// convert("RGB"): returns size*size*3 bytes (HWC) — the 8-bit pixels before ToTensor.
std::vector<uint8_t> clip_resize_crop_rgb(const Image& image, int size);
// The same for any options: the size*size*3 bytes (HWC, RGB) before ToTensor / rescale,
// after the resize, crop or pad that `options` describe. Throws Error(invalid_argument)
// for an inconsistent image or options (size <= 0, resize_size < size, a zero std, a
// rescale_factor other than 1/255 under torchvision order, longest under transformers
// order, a longest resize that leaves a side of 0 pixels), resource_exhausted for a
// shortest resize whose long side overflows an int. Only the output window of a
// shortest resize is computed, so a 1 x 42000 strip costs the crop, not the resize.
std::vector<uint8_t> clip_resize_crop_rgb(const Image& image, const PreprocessOptions& options);

// The full transform: 3*size*size floats, CHW. torchvision order: (x/255 - mean)/std;
// transformers order: (float(x * rescale_factor) - mean) / std — both in float32 as the
// reference libraries compute them. Same errors as clip_resize_crop_rgb.
std::vector<float> clip_preprocess(const Image& image, const PreprocessOptions& options = {});

}  // namespace clipkit
