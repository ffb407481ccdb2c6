// image/decode_gif.cpp — the first frame of a GIF, read as Pillow 9.4 loads it: mode
// "P" with the frame's (local, else global) colour table, or "L" when there is no table
// or the table is the gray ramp; the frame is placed on the logical screen (grown to fit
// it), which is first filled with the transparency index if the frame has one (else 0).
// The transparency index gets palette alpha 0.
//
// The blocks and the LZW data are parsed here rather than by giflib so that damaged
// files give what Pillow gives:
//  - bytes that introduce no known block before the first image are skipped;
//  - nothing after the frame is read once its last pixel is decoded (a missing block
//    terminator or trailer, trailing garbage, a broken second frame do not matter);
//  - a sub-block is used only when all of it is present; data that ends before the
//    last pixel is a truncated file, and so is an end code before the last pixel
//    (Pillow reads on past an end code only while more than its 64 KiB read block of
//    the file remains, which is reproduced);
//  - a code past the next free table entry is a broken stream.
#include <algorithm>
#include <array>
#include <cstring>

#include "clipkit/error.hpp"
#include "core/byte_reader.hpp"
#include "image/decoders.hpp"

namespace clipkit::image {
namespace {

using core::ByteReader;

constexpr int kMaxCodeBits = 12;
constexpr int kTableSize = 1 << kMaxCodeBits;
// Pillow's ImageFile.load reads the image data in blocks of this size.
constexpr uint64_t kPillowReadBlock = 65536;

// One data sub-block as Pillow's GifImageFile.data() reads it: absent when the size
// byte is 0 or missing, shorter than declared when the file ends inside it.
struct SubBlock {
  bool present = false;
  const uint8_t* data = nullptr;
  uint64_t size = 0;
};

SubBlock read_sub_block(const ByteReader& r, uint64_t& at) {
  if (r.remaining(at) == 0 || r.u8_at(at) == 0) {
    at += r.remaining(at) ? 1 : 0;
    return {};
  }
  const uint64_t declared = r.u8_at(at++);
  const uint64_t size = std::min(declared, r.remaining(at));
  SubBlock block{true, size ? r.bytes_at(at, size, "GIF sub-block").data() : nullptr, size};
  at += size;
  return block;
}

void skip_sub_blocks(const ByteReader& r, uint64_t& at) {
  while (read_sub_block(r, at).size > 0) {
  }
}

// Pillow drops a colour table whose entry i is (i, i, i) for every i: the image is "L".
bool is_gray_ramp(const uint8_t* table, int count) {
  for (int i = 0; i < count; ++i) {
    if (table[3 * i] != i || table[3 * i + 1] != i || table[3 * i + 2] != i) return false;
  }
  return true;
}

// Writes decoded indices into the frame's rectangle of the canvas row by row, in the
// four interlace passes when the frame is interlaced.
class FrameWriter {
 public:
  FrameWriter(std::vector<uint8_t>& canvas, int64_t canvas_width, int64_t left, int64_t top,
              int64_t width, int64_t height, bool interlaced)
      : canvas_(canvas), canvas_width_(canvas_width), left_(left), top_(top), width_(width),
        height_(height), pass_(interlaced ? 1 : 0), step_(interlaced ? 8 : 1) {}

  bool done() const { return done_; }
  uint64_t written() const { return written_; }

  void put(uint8_t index) {
    canvas_[static_cast<size_t>((top_ + y_) * canvas_width_ + left_ + x_)] = index;
    ++written_;
    if (++x_ < width_) return;
    x_ = 0;
    y_ += step_;
    while (y_ >= height_) {
      switch (pass_) {
        case 1: y_ = 4, pass_ = 2; break;               // rows 4, 12, ...
        case 2: y_ = 2, step_ = 4, pass_ = 3; break;    // rows 2, 6, ...
        case 3: y_ = 1, step_ = 2, pass_ = 4; break;    // rows 1, 3, ...
        default: done_ = true; return;
      }
    }
  }

 private:
  std::vector<uint8_t>& canvas_;
  int64_t canvas_width_, left_, top_, width_, height_;
  int pass_, step_;
  int64_t x_ = 0, y_ = 0;
  uint64_t written_ = 0;
  bool done_ = false;
};

// An LZW decoder over GIF sub-blocks that can stop where the readable bytes end and go
// on when more are readable, as Pillow's decoder is driven by ImageFile.load.
class LzwDecoder {
 public:
  enum class Status { done, need_data, end_code, broken };

  LzwDecoder(const ByteReader& r, uint64_t at, int min_code_bits)
      : r_(r), at_(at), clear_(1 << min_code_bits), min_code_bits_(min_code_bits) {
    reset();
  }

  uint64_t position() const { return at_; }
  const std::string& problem() const { return problem_; }

  // Decodes codes from the bytes before `readable_end` into `out` until the frame is
  // full, the data runs out, an end code comes, or the stream is broken.
  Status run(uint64_t readable_end, FrameWriter& out) {
    for (;;) {
      int code = 0;
      if (!next_code(readable_end, code)) return Status::need_data;
      if (code == clear_) {
        reset();
        continue;
      }
      if (code == clear_ + 1) return Status::end_code;
      if (!expand(code)) return Status::broken;
      for (size_t i = string_.size(); i-- > 0;) {
        out.put(string_[i]);
        if (out.done()) return Status::done;
      }
    }
  }

 private:
  void reset() {
    next_ = clear_ + 2;
    code_bits_ = min_code_bits_ + 1;
    after_clear_ = true;
  }

  // Takes the next code_bits_ bits (least significant first), starting a new sub-block
  // only when all of it is readable.
  bool next_code(uint64_t readable_end, int& code) {
    while (bit_count_ < code_bits_) {
      if (block_left_ == 0) {
        if (at_ >= readable_end) return false;
        const uint64_t size = r_.u8_at(at_);
        if (readable_end - at_ < size + 1) return false;
        block_left_ = size;
        ++at_;
        continue;
      }
      bits_ |= uint32_t{r_.u8_at(at_++)} << bit_count_;
      bit_count_ += 8;
      --block_left_;
    }
    code = static_cast<int>(bits_ & ((1u << code_bits_) - 1));
    bits_ >>= code_bits_;
    bit_count_ -= code_bits_;
    return true;
  }

  // Sets string_ to the code's pixels, last pixel first, and grows the table.
  bool expand(int code) {
    string_.clear();
    if (after_clear_) {
      if (code > clear_) return fail(code, "as the first code after a clear code");
      first_ = static_cast<uint8_t>(code);
      previous_ = code;
      after_clear_ = false;
      string_.push_back(first_);
      return true;
    }
    if (code > next_) return fail(code, "past the next free table entry " + std::to_string(next_));
    int c = code;
    if (code == next_) {  // the string of the previous code plus its own first pixel
      string_.push_back(first_);
      c = previous_;
    }
    while (c >= clear_) {
      if (c >= kTableSize || string_.size() >= kTableSize) return fail(code, "with no table entry");
      string_.push_back(suffix_[c]);
      c = prefix_[c];
    }
    first_ = static_cast<uint8_t>(c);  // literal codes of 12-bit streams keep 8 bits
    string_.push_back(first_);
    if (next_ < kTableSize) {
      suffix_[next_] = first_;
      prefix_[next_] = static_cast<uint16_t>(previous_);
      if (next_ == (1 << code_bits_) - 1 && code_bits_ < kMaxCodeBits) ++code_bits_;
      ++next_;
    }
    previous_ = code;
    return true;
  }

  bool fail(int code, const std::string& why) {
    problem_ = "LZW code " + std::to_string(code) + " " + why;
    return false;
  }

  const ByteReader& r_;
  uint64_t at_;
  uint64_t block_left_ = 0;
  uint32_t bits_ = 0;
  int bit_count_ = 0;
  const int clear_;
  const int min_code_bits_;
  int code_bits_ = 0;
  int next_ = 0;
  bool after_clear_ = true;
  int previous_ = 0;
  uint8_t first_ = 0;
  std::array<uint16_t, kTableSize> prefix_{};
  std::array<uint8_t, kTableSize> suffix_{};
  std::vector<uint8_t> string_;
  std::string problem_;
};

}  // namespace

DecodedImage decode_gif(std::span<const uint8_t> bytes, const std::string& name,
                        const DecodeOptions& options) {
  const ByteReader r(bytes, name);
  r.require(0, 13, "GIF header");
  const int64_t screen_width = r.u16le_at(6), screen_height = r.u16le_at(8);
  const uint8_t screen_flags = r.u8_at(10);
  uint64_t at = 13;
  const uint8_t* table = nullptr;  // the colour table that applies to the first frame
  int table_size = 0;
  if (screen_flags & 0x80) {
    table_size = 2 << (screen_flags & 7);
    table = r.bytes_at(at, 3 * uint64_t(table_size), "GIF global colour table").data();
    at += 3 * uint64_t(table_size);
  }

  // The blocks before the first image, as Pillow's GifImageFile._seek(0) reads them.
  int transparency = -1;
  for (;;) {
    if (r.remaining(at) == 0) {
      throw Error(ErrorCode::corrupt_data,
                  name + ": truncated GIF: the file ends at byte " + std::to_string(at) +
                      ", before its first image");
    }
    if (r.u8_at(at) == ';') {
      throw Error(ErrorCode::corrupt_data, name + ": GIF without an image (trailer at byte " +
                                               std::to_string(at) + ")");
    }
    const uint8_t introducer = r.u8_at(at++);
    if (introducer == ',') break;
    if (introducer != '!') continue;  // Pillow ignores bytes that start no block
    const uint8_t label = r.u8_at(at++);
    const SubBlock first = read_sub_block(r, at);
    if (label == 0xFE) {  // comment: its sub-blocks up to the first empty one
      if (first.size > 0) skip_sub_blocks(r, at);
      continue;
    }
    if (label == 0xF9) {  // graphic control extension
      if (!first.present || first.size < 3 || ((first.data[0] & 1) && first.size < 4)) {
        throw Error(ErrorCode::corrupt_data,
                    name + ": malformed GIF graphic control extension before byte " +
                        std::to_string(at));
      }
      if (first.data[0] & 1) transparency = first.data[3];
    } else if (label == 0xFF) {  // application extension
      if (!first.present) {
        throw Error(ErrorCode::corrupt_data,
                    name + ": empty GIF application extension before byte " + std::to_string(at));
      }
      if (first.size >= 11 && std::memcmp(first.data, "NETSCAPE2.0", 11) == 0 &&
          !read_sub_block(r, at).present) {
        throw Error(ErrorCode::corrupt_data,
                    name + ": NETSCAPE2.0 extension without its loop block before byte " +
                        std::to_string(at));
      }
    }
    // Pillow then skips sub-blocks even when the first one was already the terminator
    // (so the byte after it is taken as a sub-block size).
    skip_sub_blocks(r, at);
  }

  r.require(at, 9, "GIF image descriptor");
  const int64_t left = r.u16le_at(at), top = r.u16le_at(at + 2);
  int64_t width = r.u16le_at(at + 4), height = r.u16le_at(at + 6);
  const uint8_t flags = r.u8_at(at + 8);
  at += 9;
  if (flags & 0x80) {
    table_size = 2 << (flags & 7);
    table = r.bytes_at(at, 3 * uint64_t(table_size), "GIF local colour table").data();
    at += 3 * uint64_t(table_size);
  }
  const int min_code_bits = r.u8_at(at++);

  const int64_t canvas_width = std::max(screen_width, left + width);
  const int64_t canvas_height = std::max(screen_height, top + height);
  check_dimensions(canvas_width, canvas_height, name, options);
  // Pillow's decoder takes a tile with x0 == x1 == 0 as the whole image.
  int64_t frame_left = left, frame_top = top;
  if (left == 0 && width == 0) {
    frame_top = 0, width = canvas_width, height = canvas_height;
  }
  if (width == 0 || height == 0) {
    throw Error(ErrorCode::corrupt_data, name + ": GIF frame of " + std::to_string(width) + "x" +
                                             std::to_string(height) + " pixels");
  }
  if (min_code_bits > kMaxCodeBits) {
    throw Error(ErrorCode::corrupt_data, name + ": GIF LZW minimum code size " +
                                             std::to_string(min_code_bits) + " (at most 12)");
  }

  DecodedImage result;
  Image& image = result.image;
  image.width = static_cast<int>(canvas_width);
  image.height = static_cast<int>(canvas_height);
  if (table && !is_gray_ramp(table, table_size)) {
    image.mode = PixelMode::palette;
    image.palette = ramp_palette();
    for (int i = 0; i < table_size && i < 256; ++i) {
      image.palette[i] = {table[3 * i], table[3 * i + 1], table[3 * i + 2], 255};
    }
    if (transparency >= 0) image.palette[transparency][3] = 0;
  } else {
    image.mode = PixelMode::gray;
  }
  image.pixels.assign(static_cast<size_t>(canvas_width) * canvas_height,
                      static_cast<uint8_t>(transparency >= 0 ? transparency : 0));

  FrameWriter writer(image.pixels, canvas_width, frame_left, frame_top, width, height,
                     (flags & 0x40) != 0);
  LzwDecoder lzw(r, at, min_code_bits);
  // Pillow hands its decoder the file in 64 KiB blocks from the start of the data and
  // fails when the decoder wants more than the file has.
  for (uint64_t readable_end = at; readable_end < bytes.size();) {
    readable_end = std::min<uint64_t>(bytes.size(), readable_end + kPillowReadBlock);
    switch (lzw.run(readable_end, writer)) {
      case LzwDecoder::Status::done: return result;
      case LzwDecoder::Status::broken:
        throw Error(ErrorCode::corrupt_data, name + ": corrupt GIF image data: " + lzw.problem() +
                                                 " (before byte " +
                                                 std::to_string(lzw.position()) + ")");
      case LzwDecoder::Status::need_data:
      case LzwDecoder::Status::end_code: break;
    }
  }
  throw Error(ErrorCode::corrupt_data,
              name + ": truncated GIF: the image data ends after " +
                  std::to_string(writer.written()) + " of " + std::to_string(width * height) +
                  " pixels");
}

}  // namespace clipkit::image
