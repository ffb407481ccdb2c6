// tests/image/decode_hostile_test.cpp — hand-made hostile files, one per kind: a length
// or count field that claims far more than the file holds. Each must give its error
// code and words, naming the file, without a crash and without a large allocation: the
// decode runs in a forked child that reports how much its peak RSS grew (VmHWM after
// resetting it through /proc/self/clear_refs), which must stay under 64 MiB. Before the
// fix the 131-byte PNG of issue 15 grew it by 2 GiB.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "clipkit/error.hpp"
#include "clipkit/image.hpp"

namespace clipkit {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr long kMaxPeakGrowthKib = 64 * 1024;

void append(Bytes& b, std::initializer_list<uint8_t> bytes) { b.insert(b.end(), bytes); }
void append(Bytes& b, const std::string& text) { b.insert(b.end(), text.begin(), text.end()); }
void append_repeated(Bytes& b, uint8_t value, size_t count) { b.insert(b.end(), count, value); }
void append_le16(Bytes& b, uint32_t v) { append(b, {uint8_t(v), uint8_t(v >> 8)}); }
void append_le32(Bytes& b, uint32_t v) { append_le16(b, v & 0xFFFF), append_le16(b, v >> 16); }
void append_be32(Bytes& b, uint32_t v) {
  append(b, {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)});
}

uint32_t crc32(const uint8_t* p, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
  }
  return crc ^ 0xFFFFFFFFu;
}

// A PNG chunk; `declared` replaces the length field when it is not 0.
void append_png_chunk(Bytes& b, const std::string& type, const Bytes& data, uint32_t declared = 0) {
  append_be32(b, declared ? declared : uint32_t(data.size()));
  const size_t start = b.size();
  append(b, type);
  b.insert(b.end(), data.begin(), data.end());
  append_be32(b, crc32(b.data() + start, b.size() - start));
}

Bytes png_start(uint32_t width, uint32_t height) {
  Bytes b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes ihdr;
  append_be32(ihdr, width), append_be32(ihdr, height);
  append(ihdr, {8, 2, 0, 0, 0});  // 8-bit RGB
  append_png_chunk(b, "IHDR", ihdr);
  return b;
}

// A PNG whose chunk `type` declares 0x7fffffff bytes; the file ends after 90 of them
// (131 bytes in all, the file of issue 15 for tEXt).
Bytes png_with_huge_chunk(const std::string& type) {
  Bytes b = png_start(4, 4);
  append_be32(b, 0x7fffffff);
  append(b, type);
  append(b, std::string("Comment\0", 8));
  append_repeated(b, 'x', 82);
  return b;
}

Bytes bmp_header(int32_t width, int32_t height, uint16_t bits, uint32_t compression,
                 uint32_t colors, uint32_t header_size = 40) {
  Bytes b;
  append(b, "BM");
  append_le32(b, 0), append_le32(b, 0), append_le32(b, 0);  // file size, reserved, offset
  append_le32(b, header_size);
  append_le32(b, uint32_t(width)), append_le32(b, uint32_t(height));
  append_le16(b, 1), append_le16(b, bits);
  append_le32(b, compression);
  append_le32(b, 0), append_le32(b, 2835), append_le32(b, 2835);
  append_le32(b, colors), append_le32(b, 0);
  return b;
}

Bytes gif_start(uint16_t width, uint16_t height) {
  Bytes b;
  append(b, "GIF89a");
  append_le16(b, width), append_le16(b, height);
  append(b, {0, 0, 0});  // no global colour table
  return b;
}

Bytes webp_vp8x_animation(uint32_t canvas_width, uint32_t canvas_height) {
  Bytes b;
  append(b, "RIFF");
  append_le32(b, 0xFFFFFFF0u);  // RIFF size far past the end
  append(b, "WEBPVP8X");
  append_le32(b, 10);
  append(b, {0x02, 0, 0, 0});  // animation flag
  append(b, {uint8_t(canvas_width - 1), uint8_t((canvas_width - 1) >> 8), uint8_t((canvas_width - 1) >> 16)});
  append(b, {uint8_t(canvas_height - 1), uint8_t((canvas_height - 1) >> 8), uint8_t((canvas_height - 1) >> 16)});
  append(b, "ANIM");
  append_le32(b, 6);
  append_repeated(b, 0, 6);
  return b;
}

enum class Hostile {
  png_text_length,
  png_ztxt_length,
  png_private_chunk_length,
  png_idat_length,
  png_claims_more_than_idat_holds,
  jpeg_app1_length,
  jpeg_comment_length,
  jpeg_huge_frame,
  gif_extension_block_size,
  gif_image_block_size,
  gif_huge_screen,
  webp_chunk_size,
  webp_frame_chunk_size,
  webp_huge_canvas,
  bmp_header_size,
  bmp_palette_count,
  bmp_pixel_offset,
  bmp_rle_claims_huge_image,
};

Bytes make_hostile(Hostile kind) {
  Bytes b;
  switch (kind) {
    case Hostile::png_text_length: return png_with_huge_chunk("tEXt");
    case Hostile::png_ztxt_length: return png_with_huge_chunk("zTXt");
    case Hostile::png_private_chunk_length: return png_with_huge_chunk("prVt");
    case Hostile::png_idat_length: return png_with_huge_chunk("IDAT");
    case Hostile::png_claims_more_than_idat_holds:
      // 10000 x 10000 RGB (300 MB of pixels, under max_pixels) from 20 bytes of IDAT.
      b = png_start(10000, 10000);
      append_png_chunk(b, "IDAT", Bytes(20, 0));
      append_png_chunk(b, "IEND", {});
      return b;
    case Hostile::jpeg_app1_length:
      b = {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF};
      append(b, std::string("Exif\0\0", 6));
      append_repeated(b, 'x', 20);
      return b;
    case Hostile::jpeg_comment_length:
      b = {0xFF, 0xD8, 0xFF, 0xFE, 0xFF, 0xFF};
      append_repeated(b, 'x', 20);
      return b;
    case Hostile::jpeg_huge_frame:  // SOF of 60000 x 60000, three components, then SOS
      return {0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0xEA, 0x60, 0xEA, 0x60, 0x03, 0x01,
              0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xDA, 0x00, 0x0C, 0x03,
              0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3F, 0x00, 0x00, 0x00};
    case Hostile::gif_extension_block_size:
      b = gif_start(4, 4);
      append(b, {'!', 0xFE, 0xFF});  // a comment sub-block of 255 bytes; 3 follow
      append(b, "abc");
      return b;
    case Hostile::gif_image_block_size:
      b = gif_start(4, 4);
      append(b, {',', 0, 0, 0, 0, 4, 0, 4, 0, 0, 2, 0xFF, 1, 2});  // 255-byte LZW block, 2 present
      return b;
    case Hostile::gif_huge_screen:
      b = gif_start(65535, 65535);
      append(b, {',', 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, ';'});
      return b;
    case Hostile::webp_chunk_size:
      append(b, "RIFF");
      append_le32(b, 0xFFFFFFF0u);
      append(b, "WEBPVP8L");
      append_le32(b, 0x7FFFFFFF);
      append(b, {0x2F});
      append_repeated(b, 0, 20);
      return b;
    case Hostile::webp_frame_chunk_size:
      b = webp_vp8x_animation(99, 99);
      append(b, "ANMF");
      append_le32(b, 0x7FFFFFF0);
      append_repeated(b, 0, 30);
      return b;
    case Hostile::webp_huge_canvas: return webp_vp8x_animation(16384, 16384);
    case Hostile::bmp_header_size:
      b = bmp_header(4, 4, 24, 0, 0, 0x7FFFFFFF);
      return b;
    case Hostile::bmp_palette_count:  // 65536 colours claimed, none present
      return bmp_header(3000, 3000, 8, 0, 65536);
    case Hostile::bmp_pixel_offset:
      b = bmp_header(4000, 4000, 24, 0, 0);
      b[10] = b[11] = b[12] = 0xF0;
      return b;
    case Hostile::bmp_rle_claims_huge_image:  // RLE8, 10000 x 10000, four rows
      b = bmp_header(10000, 10000, 8, 1, 2);
      append(b, {0, 0, 0xFF, 0, 0x10, 0x20, 0x30, 0});
      for (int i = 0; i < 4; ++i) append(b, {5, 1, 0, 0});
      return b;
  }
  return b;
}

struct HostileCase {
  Hostile kind;
  const char* name;  // file name in the message
  ErrorCode code;
  std::vector<std::string> words;
};

struct ChildReport {
  bool exited = false;      // normally, with status 0
  std::string code = "?";   // ErrorCode name, "none" without an error
  std::string message;
  long peak_growth_kib = -1;  // -1: /proc unavailable
};

long status_kib(const char* key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::string(key).size()));
  }
  return -1;
}

// Decodes in a forked child (so that a crash or a huge allocation cannot take the test
// binary down) and reads back the error and how far the child's peak RSS rose.
ChildReport decode_in_child(const Bytes& bytes, const std::string& name) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::ofstream reset("/proc/self/clear_refs");
    reset << "5";  // peak RSS := current RSS (Linux >= 4.0)
    reset.close();
    const long before = reset ? status_kib("VmRSS:") : status_kib("VmHWM:");
    std::string code = "none", message;
    try {
      decode_image_memory(bytes, name);
    } catch (const Error& e) {
      code = to_string(e.code());
      message = e.what();
    } catch (const std::exception& e) {
      code = "std::exception";
      message = e.what();
    }
    const long after = status_kib("VmHWM:");
    const std::string report = std::to_string(before < 0 || after < 0 ? -1 : after - before) +
                               "\n" + code + "\n" + message;
    const ssize_t written = write(fds[1], report.data(), report.size());
    _exit(written == ssize_t(report.size()) ? 0 : 1);
  }
  close(fds[1]);
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) text.append(buffer, size_t(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ChildReport report;
  report.exited = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  const size_t first = text.find('\n'), second = text.find('\n', first + 1);
  if (report.exited && first != std::string::npos && second != std::string::npos) {
    report.peak_growth_kib = std::stol(text.substr(0, first));
    report.code = text.substr(first + 1, second - first - 1);
    report.message = text.substr(second + 1);
  }
  return report;
}

TEST(DecodeHostile, LengthFieldsPastTheEndFailFastWithoutLargeAllocations) {
  using enum Hostile;
  const ErrorCode corrupt = ErrorCode::corrupt_data, too_big = ErrorCode::resource_exhausted;
  const std::vector<HostileCase> table = {
      {png_text_length, "text.png", corrupt, {"tEXt", "2147483647", "byte 33", "86 remain"}},
      {png_ztxt_length, "ztxt.png", corrupt, {"zTXt", "2147483647"}},
      {png_private_chunk_length, "private.png", corrupt, {"prVt", "2147483647"}},
      {png_idat_length, "idat.png", corrupt, {"IDAT", "2147483647"}},
      {png_claims_more_than_idat_holds, "claims.png", corrupt, {"10000x10000", "20 bytes of IDAT"}},
      {jpeg_app1_length, "app1.jpg", corrupt, {"truncated JPEG", "Premature end"}},
      {jpeg_comment_length, "comment.jpg", corrupt, {"truncated JPEG", "Premature end"}},
      {jpeg_huge_frame, "frame.jpg", too_big, {"60000x60000", "max_pixels"}},
      {gif_extension_block_size, "ext.gif", corrupt, {"truncated GIF", "before its first image"}},
      {gif_image_block_size, "block.gif", corrupt, {"truncated GIF", "0 of 16 pixels"}},
      {gif_huge_screen, "screen.gif", too_big, {"65535x65535", "max_pixels"}},
      {webp_chunk_size, "chunk.webp", corrupt, {"WebP"}},
      {webp_frame_chunk_size, "frame.webp", corrupt, {"animated WebP"}},
      {webp_huge_canvas, "canvas.webp", too_big, {"16384x16384", "max_pixels"}},
      {bmp_header_size, "header.bmp", corrupt, {"truncated BMP info header", "2147483661"}},
      {bmp_palette_count, "palette.bmp", corrupt, {"truncated BMP pixel data"}},
      {bmp_pixel_offset, "offset.bmp", corrupt, {"truncated BMP pixel data"}},
      {bmp_rle_claims_huge_image, "rle.bmp", corrupt, {"truncated RLE BMP", "40000 of 100000000"}},
  };
  for (const HostileCase& c : table) {
    SCOPED_TRACE(c.name);
    const Bytes bytes = make_hostile(c.kind);
    const ChildReport report = decode_in_child(bytes, c.name);
    ASSERT_TRUE(report.exited) << "the decoding child crashed";
    std::printf("  %-12s %5zu bytes  peak RSS +%6ld KiB  %s\n", c.name, bytes.size(),
                report.peak_growth_kib, report.message.c_str());
    EXPECT_EQ(report.code, to_string(c.code)) << report.message;
    EXPECT_NE(report.message.find(c.name), std::string::npos) << "does not name the file";
    for (const std::string& word : c.words) {
      EXPECT_NE(report.message.find(word), std::string::npos) << "no \"" << word << "\" in: "
                                                              << report.message;
    }
    if (report.peak_growth_kib >= 0) {
      EXPECT_LT(report.peak_growth_kib, kMaxPeakGrowthKib);
    }
  }
}

TEST(DecodeHostile, TheIssueFileIs131Bytes) {
  EXPECT_EQ(make_hostile(Hostile::png_text_length).size(), 131u);
}

}  // namespace
}  // namespace clipkit
