// image/decode_jpeg.cpp — JPEG through libjpeg-turbo with the settings Pillow 9.4 uses
// (ISLOW DCT, fancy upsampling, libjpeg's own colour-space guess), so that decoded
// pixels are byte-identical to Pillow's.
//
// libjpeg reports fatal errors through error_exit, which must not return: we longjmp
// back to decode_jpeg and throw from there (no C++ object with a destructor is live
// between setjmp and the longjmp). Premature-end warnings, which libjpeg would
// otherwise paper over with gray pixels, are promoted to errors.
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>

#include <jpeglib.h>
#include <jerror.h>

#include "clipkit/error.hpp"
#include "image/decoders.hpp"

namespace clipkit::image {
namespace {

struct ErrorManager {
  jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void on_emit_message(j_common_ptr cinfo, int msg_level) {
  if (msg_level >= 0) return;  // trace messages
  // Warnings: data missing at the end of the file or of a scan means a truncated or
  // damaged image. Other warnings (extraneous bytes, odd markers) are tolerated, as
  // Pillow tolerates them.
  const int code = cinfo->err->msg_code;
  if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER) on_error_exit(cinfo);
}

// The pieces of decode that hold raw memory only, so longjmp cannot skip a destructor.
struct JpegState {
  jpeg_decompress_struct cinfo;
  ErrorManager err;
};

}  // namespace

DecodedImage decode_jpeg(std::span<const uint8_t> bytes, const std::string& name,
                         const DecodeOptions& options) {
  // Everything that longjmp may cross lives on the heap or is volatile: the locals of
  // this frame are not modified between setjmp and a possible longjmp otherwise.
  auto result = std::make_unique<DecodedImage>();
  auto state = std::make_unique<JpegState>();
  std::memset(state.get(), 0, sizeof(JpegState));
  jpeg_decompress_struct& cinfo = state->cinfo;
  cinfo.err = jpeg_std_error(&state->err.pub);
  state->err.pub.error_exit = on_error_exit;
  state->err.pub.emit_message = on_emit_message;

  enum class Failure { none, libjpeg, too_large, bad_components, no_memory };
  volatile Failure failure = Failure::none;
  volatile JDIMENSION width = 0, height = 0;
  volatile int components = 0;

  if (setjmp(state->err.jump) == 0) {
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);
    width = cinfo.image_width;
    height = cinfo.image_height;
    components = cinfo.num_components;
    const uint64_t count = static_cast<uint64_t>(width) * height;
    if (width == 0 || height == 0 || count > options.max_pixels) {
      failure = Failure::too_large;
    } else if (components != 1 && components != 3 && components != 4) {
      failure = Failure::bad_components;
    } else {
      // Pillow: 1 component -> "L", 3 -> "RGB", 4 -> "CMYK" (libjpeg turns YCCK into
      // CMYK); the DCT and upsampling stay at libjpeg's defaults, spelled out here.
      cinfo.out_color_space =
          components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
      cinfo.dct_method = JDCT_ISLOW;
      cinfo.do_fancy_upsampling = TRUE;
      try {
        for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next) {
          if (m->data_length >= 6 && std::memcmp(m->data, "Exif\0\0", 6) == 0 &&
              result->exif.empty()) {
            result->exif.assign(m->data + 6, m->data + m->data_length);
          }
        }
        result->image.pixels.resize(static_cast<size_t>(count) * components);
      } catch (const std::bad_alloc&) {
        failure = Failure::no_memory;
      }
      if (failure == Failure::none) {
        jpeg_start_decompress(&cinfo);
        const size_t stride = static_cast<size_t>(cinfo.output_width) * cinfo.output_components;
        uint8_t* pixels = result->image.pixels.data();
        while (cinfo.output_scanline < cinfo.output_height) {
          JSAMPROW row = pixels + stride * cinfo.output_scanline;
          jpeg_read_scanlines(&cinfo, &row, 1);
        }
        jpeg_finish_decompress(&cinfo);
      }
    }
  } else {
    failure = Failure::libjpeg;
  }
  jpeg_destroy_decompress(&cinfo);

  switch (failure) {
    case Failure::none: break;
    case Failure::libjpeg:
      throw Error(ErrorCode::corrupt_data,
                  name + ": corrupt or truncated JPEG: " + std::string(state->err.message));
    case Failure::too_large:
      check_dimensions(width, height, name, options);
      [[fallthrough]];
    case Failure::no_memory:
      throw Error(ErrorCode::resource_exhausted, name + ": cannot allocate JPEG pixels");
    case Failure::bad_components:
      throw Error(ErrorCode::unsupported,
                  name + ": JPEG with " + std::to_string(components) + " components");
  }
  Image& image = result->image;
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  image.mode = components == 1 ? PixelMode::gray
               : components == 3 ? PixelMode::rgb
                                 : PixelMode::cmyk;
  // Pillow reads CMYK JPEGs as Adobe writes them (inverted): rawmode "CMYK;I".
  if (image.mode == PixelMode::cmyk) {
    for (uint8_t& v : image.pixels) v = static_cast<uint8_t>(255 - v);
  }
  return std::move(*result);
}

}  // namespace clipkit::image
