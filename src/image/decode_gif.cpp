// image/decode_gif.cpp — the first frame of a GIF through giflib, as Pillow 9.4 loads
// it: mode "P" with the frame's (local, else global) colour table, or "L" when there
// is no table or the table is the gray ramp; the frame is placed on the logical screen
// (grown to fit it), which is first filled with the transparency index if the frame
// has one (else 0). The transparency index gets palette alpha 0.
#include <algorithm>
#include <cstring>
#include <memory>

#include <gif_lib.h>

#include "clipkit/error.hpp"
#include "image/decoders.hpp"

namespace clipkit::image {
namespace {

struct GifSource {
  std::span<const uint8_t> bytes;
  size_t offset = 0;
};

int read_bytes(GifFileType* gif, GifByteType* out, int length) {
  auto* src = static_cast<GifSource*>(gif->UserData);
  const size_t n = std::min(static_cast<size_t>(std::max(length, 0)), src->bytes.size() - src->offset);
  std::memcpy(out, src->bytes.data() + src->offset, n);
  src->offset += n;
  return static_cast<int>(n);
}

struct GifCloser {
  void operator()(GifFileType* gif) const {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
};

[[noreturn]] void fail(const std::string& name, int error) {
  const char* text = GifErrorString(error);
  throw Error(ErrorCode::corrupt_data,
              name + ": corrupt or truncated GIF: " + (text ? text : "unknown giflib error"));
}

}  // namespace

DecodedImage decode_gif(std::span<const uint8_t> bytes, const std::string& name,
                        const DecodeOptions& options) {
  GifSource source{bytes, 0};
  int error = 0;
  std::unique_ptr<GifFileType, GifCloser> gif(DGifOpen(&source, read_bytes, &error));
  if (!gif) fail(name, error);

  int transparency = -1;
  for (;;) {
    GifRecordType type = UNDEFINED_RECORD_TYPE;
    if (DGifGetRecordType(gif.get(), &type) == GIF_ERROR) fail(name, gif->Error);
    if (type == TERMINATE_RECORD_TYPE) {
      throw Error(ErrorCode::corrupt_data, name + ": GIF without an image");
    }
    if (type == EXTENSION_RECORD_TYPE) {
      int code = 0;
      GifByteType* block = nullptr;
      if (DGifGetExtension(gif.get(), &code, &block) == GIF_ERROR) fail(name, gif->Error);
      if (code == GRAPHICS_EXT_FUNC_CODE && block && block[0] >= 4 && (block[1] & 1)) {
        transparency = block[4];
      }
      while (block) {
        if (DGifGetExtensionNext(gif.get(), &block) == GIF_ERROR) fail(name, gif->Error);
      }
      continue;
    }
    if (type == IMAGE_DESC_RECORD_TYPE) break;
  }
  if (DGifGetImageDesc(gif.get()) == GIF_ERROR) fail(name, gif->Error);
  const GifImageDesc& desc = gif->Image;
  check_dimensions(desc.Width, desc.Height, name, options);
  const int64_t canvas_w = std::max<int64_t>(gif->SWidth, int64_t{desc.Left} + desc.Width);
  const int64_t canvas_h = std::max<int64_t>(gif->SHeight, int64_t{desc.Top} + desc.Height);
  check_dimensions(canvas_w, canvas_h, name, options);

  DecodedImage result;
  Image& image = result.image;
  image.width = static_cast<int>(canvas_w);
  image.height = static_cast<int>(canvas_h);
  const ColorMapObject* colors = desc.ColorMap ? desc.ColorMap : gif->SColorMap;
  bool gray_ramp = true;
  if (colors && colors->Colors) {
    for (int i = 0; i < colors->ColorCount; ++i) {
      const GifColorType& e = colors->Colors[i];
      if (e.Red != i || e.Green != i || e.Blue != i) gray_ramp = false;
    }
  }
  if (colors && colors->Colors && !gray_ramp) {
    image.mode = PixelMode::palette;
    image.palette = ramp_palette();
    for (int i = 0; i < colors->ColorCount && i < 256; ++i) {
      const GifColorType& e = colors->Colors[i];
      image.palette[i] = {e.Red, e.Green, e.Blue, 255};
    }
    if (transparency >= 0) image.palette[transparency][3] = 0;
  } else {
    image.mode = PixelMode::gray;
  }
  image.pixels.assign(static_cast<size_t>(canvas_w) * canvas_h,
                      static_cast<uint8_t>(transparency >= 0 ? transparency : 0));

  // Interlaced frames deliver rows in four passes.
  std::vector<int> rows;
  rows.reserve(desc.Height);
  if (desc.Interlace) {
    const int starts[4] = {0, 4, 2, 1}, steps[4] = {8, 8, 4, 2};
    for (int pass = 0; pass < 4; ++pass) {
      for (int y = starts[pass]; y < desc.Height; y += steps[pass]) rows.push_back(y);
    }
  } else {
    for (int y = 0; y < desc.Height; ++y) rows.push_back(y);
  }
  for (int y : rows) {
    uint8_t* out = image.pixels.data() + (static_cast<size_t>(desc.Top) + y) * canvas_w + desc.Left;
    if (DGifGetLine(gif.get(), out, desc.Width) == GIF_ERROR) fail(name, gif->Error);
  }
  return result;
}

}  // namespace clipkit::image
