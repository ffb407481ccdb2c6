// image/decode_webp.cpp — WebP through libwebp, as Pillow 9.4 decodes it: "RGBA" when
// the file has alpha, "RGB" otherwise. Still images go through the default decoder;
// an animation gives its first frame through libwebp's WebPAnimDecoder (the demux
// library), as Pillow does: the frame drawn on a transparent black canvas of the
// animation's size. The EXIF chunk of an extended (VP8X) file is returned for
// orientation.
//
// libwebp works on the bytes in memory and checks every chunk size against them; the
// only allocations sized from the header are the pixels (and, for an animation, the
// decoder's two canvases), after the width*height check.
#include <algorithm>
#include <cstring>
#include <memory>

#include <webp/decode.h>
#include <webp/demux.h>

#include "clipkit/error.hpp"
#include "core/byte_reader.hpp"
#include "image/decoders.hpp"

namespace clipkit::image {
namespace {

// Walks the RIFF chunks (bounds-checked) and copies the payload of "EXIF", if any. A
// malformed chunk list ends the walk: libwebp has already accepted the image, and EXIF is
// optional.
std::vector<uint8_t> find_exif_chunk(std::span<const uint8_t> bytes, const std::string& name) {
  const core::ByteReader r(bytes, name);
  if (!r.has(0, 12)) return {};
  const uint64_t riff_end = std::min<uint64_t>(r.size(), uint64_t{r.u32le_at(4)} + 8);
  uint64_t at = 12;
  while (at + 8 <= riff_end) {
    const uint64_t size = r.u32le_at(at + 4);
    if (size > riff_end - at - 8) break;
    const auto fourcc = r.bytes_at(at, 4, "WebP chunk type");
    if (std::memcmp(fourcc.data(), "EXIF", 4) == 0) {
      const auto payload = r.bytes_at(at + 8, size, "WebP EXIF chunk");
      return {payload.begin(), payload.end()};
    }
    at += 8 + size + (size & 1);
  }
  return {};
}

struct AnimDecoderDeleter {
  void operator()(WebPAnimDecoder* decoder) const { WebPAnimDecoderDelete(decoder); }
};

// The first frame of an animation, composed on the canvas as RGBA (not premultiplied).
void decode_first_frame(std::span<const uint8_t> bytes, const std::string& name, Image& image) {
  WebPAnimDecoderOptions options;
  if (!WebPAnimDecoderOptionsInit(&options)) {
    throw Error(ErrorCode::internal, name + ": libwebp's demux library does not match its headers");
  }
  options.color_mode = MODE_RGBA;
  options.use_threads = 0;
  const WebPData data{bytes.data(), bytes.size()};
  const std::unique_ptr<WebPAnimDecoder, AnimDecoderDeleter> decoder(
      WebPAnimDecoderNew(&data, &options));
  if (!decoder) {
    throw Error(ErrorCode::corrupt_data, name + ": corrupt or truncated animated WebP");
  }
  WebPAnimInfo info;
  if (!WebPAnimDecoderGetInfo(decoder.get(), &info) ||
      info.canvas_width != static_cast<uint32_t>(image.width) ||
      info.canvas_height != static_cast<uint32_t>(image.height)) {
    throw Error(ErrorCode::corrupt_data, name + ": animated WebP canvas does not match its header");
  }
  uint8_t* canvas = nullptr;
  int timestamp = 0;
  if (!WebPAnimDecoderGetNext(decoder.get(), &canvas, &timestamp) || canvas == nullptr) {
    throw Error(ErrorCode::corrupt_data,
                name + ": corrupt or truncated first frame of an animated WebP");
  }
  const size_t count = static_cast<size_t>(image.width) * image.height;
  if (image.mode == PixelMode::rgba) {
    image.pixels.assign(canvas, canvas + count * 4);
  } else {
    image.pixels.resize(count * 3);
    for (size_t i = 0; i < count; ++i) std::memcpy(&image.pixels[3 * i], canvas + 4 * i, 3);
  }
}

}  // namespace

DecodedImage decode_webp(std::span<const uint8_t> bytes, const std::string& name,
                         const DecodeOptions& options) {
  WebPBitstreamFeatures features;
  const VP8StatusCode status = WebPGetFeatures(bytes.data(), bytes.size(), &features);
  if (status == VP8_STATUS_NOT_ENOUGH_DATA) {
    throw Error(ErrorCode::corrupt_data, name + ": truncated WebP header");
  }
  if (status != VP8_STATUS_OK) {
    throw Error(ErrorCode::corrupt_data,
                name + ": malformed WebP header (status " + std::to_string(status) + ")");
  }
  check_dimensions(features.width, features.height, name, options);

  DecodedImage result;
  Image& image = result.image;
  image.width = features.width;
  image.height = features.height;
  image.mode = features.has_alpha ? PixelMode::rgba : PixelMode::rgb;
  if (features.has_animation) {
    decode_first_frame(bytes, name, image);
    result.exif = find_exif_chunk(bytes, name);
    return result;
  }
  const int c = channels(image.mode);
  const size_t stride = static_cast<size_t>(image.width) * c;
  image.pixels.resize(stride * image.height);
  const uint8_t* ok =
      features.has_alpha
          ? WebPDecodeRGBAInto(bytes.data(), bytes.size(), image.pixels.data(),
                               image.pixels.size(), static_cast<int>(stride))
          : WebPDecodeRGBInto(bytes.data(), bytes.size(), image.pixels.data(),
                              image.pixels.size(), static_cast<int>(stride));
  if (ok == nullptr) throw Error(ErrorCode::corrupt_data, name + ": corrupt or truncated WebP");
  result.exif = find_exif_chunk(bytes, name);
  return result;
}

}  // namespace clipkit::image
