#!/usr/bin/python3
"""Writes the small BMP/GIF/WebP files of tests/data/image-formats/ and expected.json,
which records what Pillow gives for each (tests/image/image_formats_test.cpp compares
clipkit's decoder with it byte for byte).

Run with Debian's /usr/bin/python3 and its python3-pil (Pillow 9.4.0):
    /usr/bin/python3 tests/data/image-formats/make_fixtures.py

Pillow cannot write RLE or 16-bit BMPs, truncated GIFs or hand-made LZW streams, so
those files are built here byte by byte; Pillow only reads them. The animated WebPs are
written by Pillow (libwebp's WebPAnimEncoder). Everything is deterministic (no
randomness, no timestamps), so rerunning gives the same bytes.

expected.json: {file: {"mode", "size": [w, h], "pixels": hex of im.tobytes(),
"rgb": hex of im.convert("RGB").tobytes()}} or {file: {"error": Pillow's message}}.
"""
import io
import json
import os
import struct
import sys

import PIL
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


# ----------------------------------------------------------------------------- BMP

def bmp(width, height, bits, pixel_data, *, compression=0, palette=(), header_size=40,
        masks=None, masks_after_header=False, colors=None, pad_before_pixels=0):
    """A BMP file: 14-byte file header, info header, optional masks after a 40-byte
    header, palette (B, G, R, 0 entries), pad_before_pixels zero bytes, pixel data."""
    info = bytearray(header_size)
    struct.pack_into("<IiiHHII", info, 0, header_size, width, height, 1, bits, compression,
                     len(pixel_data))
    struct.pack_into("<ii", info, 24, 2835, 2835)
    struct.pack_into("<II", info, 32, len(palette) if colors is None else colors, 0)
    if masks is not None and header_size >= 56:
        struct.pack_into("<IIII", info, 40, *masks)
    extra = b""
    if masks is not None and masks_after_header:
        extra = struct.pack("<III", *masks[:3])
    pal = b"".join(bytes((b, g, r, 0)) for (r, g, b) in palette)
    offset = 14 + header_size + len(extra) + len(pal) + pad_before_pixels
    body = bytes(info) + extra + pal + bytes(pad_before_pixels) + bytes(pixel_data)
    return b"BM" + struct.pack("<IHHI", 14 + len(body), 0, 0, offset) + body


def rows16(width, height, value):
    """Rows of 16-bit little-endian pixels value(x, y), each padded to 4 bytes."""
    out = bytearray()
    for y in range(height):
        row = b"".join(struct.pack("<H", value(x, y) & 0xFFFF) for x in range(width))
        out += row + bytes((-len(row)) % 4)
    return out


def colourful(n):
    return [((i * 37 + 11) % 256, (i * 91 + 7) % 256, (255 - i * 53) % 256) for i in range(n)]


def gray(n):
    return [(i, i, i) for i in range(n)]


def bmp_files():
    files = {}
    # 16-bit, no compression: X1R5G5B5 (Pillow's "BGR;15"); bit 15 set in some pixels.
    v16 = lambda x, y: (x * 4679 + y * 12011 + 0x8000 * ((x + y) % 2)) & 0xFFFF
    files["bmp_rgb555.bmp"] = bmp(7, 5, 16, rows16(7, 5, v16))
    # The same with a (meaningless) 4-entry colour table between header and pixels.
    files["bmp_rgb555_palette.bmp"] = bmp(7, 5, 16, rows16(7, 5, v16), palette=colourful(4))
    # Every 5-bit value of each channel (x = 0..31 on two rows, bit 15 set on row 1).
    files["bmp_rgb555_all_values.bmp"] = bmp(
        32, 2, 16, rows16(32, 2, lambda x, y: (x << 10) | ((31 - x) << 5) | ((x * 7) % 32)
                          | (y << 15)))
    # 16-bit BI_BITFIELDS 5-6-5, masks after a 40-byte header, top-down.
    files["bmp_rgb565_bitfields.bmp"] = bmp(5, -3, 16, rows16(5, 3, v16), compression=3,
                                           masks=(0xF800, 0x7E0, 0x1F, 0),
                                           masks_after_header=True)
    # Every value of each 5-6-5 channel (green 0..63 along x).
    files["bmp_rgb565_all_values.bmp"] = bmp(
        64, 2, 16, rows16(64, 2, lambda x, y: ((x % 32) << 11) | (x << 5) | ((31 - x % 32) ^ y)),
        compression=3, masks=(0xF800, 0x7E0, 0x1F, 0), masks_after_header=True)
    # 16-bit BI_BITFIELDS 5-5-5 in a V5 (124-byte) header with an alpha mask (ignored).
    files["bmp_rgb555_bitfields_v5.bmp"] = bmp(6, 4, 16, rows16(6, 4, v16), compression=3,
                                              header_size=124,
                                              masks=(0x7C00, 0x3E0, 0x1F, 0x8000))
    # 16-bit bitfields that Pillow does not know.
    files["bmp_rgb444_bitfields.bmp"] = bmp(4, 2, 16, rows16(4, 2, v16), compression=3,
                                           header_size=124, masks=(0xF00, 0xF0, 0xF, 0xF000))

    # RLE8 (compression 1): encoded runs, absolute runs (odd -> padded), a run longer
    # than the row (clipped), end of line, end of bitmap.
    rle8 = bytes([
        3, 1, 2, 2, 0, 0,                   # row 0: 1 1 1 2 2, end of line pads to 9
        0, 5, 3, 4, 5, 6, 7, 0, 2, 8, 0, 0,  # row 1: absolute 3 4 5 6 7 (+pad), run 8 8, EOL
        20, 9, 0, 0,                        # row 2: a run of 20 clipped to 9, EOL
        0, 4, 10, 11, 12, 13, 2, 14, 0, 0,  # row 3: absolute (even), run, EOL
        0, 3, 1, 2, 3, 0, 0, 0,             # row 4: absolute (odd, +pad), EOL
        9, 15, 0, 1,                        # row 5: full run; end of bitmap
    ])
    files["bmp_rle8.bmp"] = bmp(9, 6, 8, rle8, compression=1, palette=colourful(16))
    # The same stream, top-down.
    files["bmp_rle8_topdown.bmp"] = bmp(9, -6, 8, rle8, compression=1, palette=colourful(16))
    # Pixel data at an odd file offset: Pillow aligns absolute runs to the file position.
    files["bmp_rle8_odd_offset.bmp"] = bmp(9, 6, 8, rle8, compression=1,
                                          palette=colourful(16), pad_before_pixels=1)
    # Gray-ramp palette: Pillow gives "L".
    files["bmp_rle8_gray.bmp"] = bmp(9, 6, 8, rle8, compression=1, palette=gray(256))
    # No end-of-bitmap marker, the file just ends after the last pixel.
    files["bmp_rle8_no_eob.bmp"] = bmp(9, 6, 8, rle8[:-2], compression=1,
                                      palette=colourful(16))
    # Absolute run longer than the row: it wraps into the next row (x is not clipped).
    files["bmp_rle8_wrap.bmp"] = bmp(4, 3, 8, bytes([0, 6, 1, 2, 3, 4, 5, 6, 2, 7, 0, 0,
                                                     4, 9, 0, 1]),
                                    compression=1, palette=colourful(16))
    # A delta escape (00 02 dx dy). Pillow 9.4 reads two more bytes than the escape has
    # and takes those as dx, dy (fixed in Pillow 10).
    files["bmp_rle8_delta.bmp"] = bmp(6, 4, 8, bytes([2, 1, 0, 2, 1, 1, 2, 0, 0, 0, 6, 4,
                                                      0, 0, 6, 5, 0, 0, 6, 6, 0, 1]),
                                     compression=1, palette=colourful(8))
    # End of bitmap before the last rows: Pillow refuses ("not enough image data").
    files["bmp_rle8_short.bmp"] = bmp(9, 6, 8, rle8[:20] + bytes([0, 1]), compression=1,
                                     palette=colourful(16))
    # RLE4 (compression 2): two-colour encoded runs, absolute runs (even and odd counts;
    # Pillow 9.4 reads count // 2 bytes for an odd count), EOL, end of bitmap.
    rle4 = bytes([
        5, 0x12, 0, 0,                      # row 0: 1 2 1 2 1, EOL
        0, 6, 0x34, 0x56, 0x78, 0, 0, 0,    # row 1: absolute 3 4 5 6 7 8 (+pad), EOL
        0, 5, 0x9A, 0xBC, 2, 0xDE, 0, 0,    # row 2: absolute odd count 5, run, EOL
        7, 0xF0, 0, 1,                      # row 3: run 15 0 15 0 15 0 15; end
    ])
    files["bmp_rle4.bmp"] = bmp(7, 4, 4, rle4, compression=2, palette=colourful(16))
    files["bmp_rle4_gray.bmp"] = bmp(7, 4, 4, rle4, compression=2, palette=gray(16))
    # RLE8 with a black/white two-entry table: Pillow makes the image "1" and then has
    # no raw mode to put RLE data into it (an error).
    files["bmp_rle8_bilevel.bmp"] = bmp(4, 1, 8, bytes([4, 1, 0, 1]), compression=1,
                                       palette=[(0, 0, 0), (255, 255, 255)])
    return files


# ----------------------------------------------------------------------------- GIF

def gif_header(width, height, palette):
    """GIF89a header with a global colour table of len(palette) (a power of two) entries."""
    bits = (len(palette) - 1).bit_length()
    assert 1 << bits == len(palette)
    return (b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80 | (bits - 1), 0, 0)
            + b"".join(bytes(c) for c in palette))


def image_descriptor(left, top, width, height, interlace=False):
    return b"," + struct.pack("<HHHHB", left, top, width, height, 0x40 if interlace else 0)


def lzw_codes_literal(indices, bits):
    """LZW codes that spell `indices` with literals only, clearing the table before the
    code size would grow (the "uncompressed GIF" technique): clear, literals..., end."""
    clear, end = 1 << bits, (1 << bits) + 1
    codes = [clear]
    room = (1 << (bits + 1)) - (clear + 2) - 1  # literals before the next entry grows codes
    n = 0
    for index in indices:
        if n == room:
            codes.append(clear)
            n = 0
        codes.append(index)
        n += 1
    return codes, end


def pack_codes(codes, code_size):
    out, acc, nbits = bytearray(), 0, 0
    for code in codes:
        acc |= code << nbits
        nbits += code_size
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


def sub_blocks(data, size=255, terminate=True):
    out = bytearray()
    for i in range(0, len(data), size):
        chunk = data[i:i + size]
        out += bytes([len(chunk)]) + chunk
    return bytes(out) + (b"\0" if terminate else b"")


def gif_files():
    files = {}
    w, h = 11, 7
    palette = colourful(16)
    indices = [(x * 3 + y * 5) % 16 for y in range(h) for x in range(w)]
    # A normal file written by Pillow, and ways its end can be damaged.
    im = Image.new("P", (w, h))
    im.putpalette([v for c in palette for v in c])
    im.putdata(indices)
    buf = io.BytesIO()
    im.save(buf, "GIF")
    good = buf.getvalue()
    assert good[-2:] == b"\0;"
    files["gif_good.gif"] = good
    files["gif_no_trailer.gif"] = good[:-1]
    files["gif_no_terminator.gif"] = good[:-2]
    files["gif_trailing_garbage.gif"] = good[:-1] + b"\x01\x02garbage\xff" * 3
    files["gif_cut_in_data.gif"] = good[:len(good) - 12]

    # Hand-made LZW (literal codes, code size 5 for a 16-colour table).
    header = gif_header(w, h, palette)
    codes, end = lzw_codes_literal(indices, 4)
    data = pack_codes(codes + [end], 5)
    body = image_descriptor(0, 0, w, h) + b"\x04"
    files["gif_literal_lzw.gif"] = header + body + sub_blocks(data, 20) + b";"
    # Bytes Pillow skips between blocks (it ignores unknown block introducers).
    files["gif_junk_before_image.gif"] = (header + b"\x00junk\x07" + b"!\xfe\x03abc\x00" + body
                                          + sub_blocks(data, 20) + b";")
    # The last pixel is in the second-to-last sub-block; the last sub-block (with the
    # end code) is cut short: Pillow has every pixel before it needs that block.
    whole = pack_codes(codes, 5)
    tail = pack_codes(codes + [end], 5)[len(whole):]
    files["gif_cut_after_pixels.gif"] = header + body + sub_blocks(whole, 20, False) + b"\x05" + tail
    # The end code comes before the last row: Pillow reports the file as truncated.
    short = pack_codes(codes[:len(codes) - w] + [end], 5)
    files["gif_early_end_code.gif"] = header + body + sub_blocks(short, 20) + b";"
    # More bytes after the end code do not help: Pillow's decoder would read on through
    # them only if more than its 64 KiB read block remained in the file.
    files["gif_early_end_code_more_data.gif"] = (header + body + sub_blocks(short, 20)
                                                 + sub_blocks(pack_codes(codes[-w:], 5)) + b";")
    # A code past the next free table entry: a broken stream.
    broken = pack_codes([16, 1, 2, 3, 30, 4], 5)
    files["gif_bad_code.gif"] = header + body + sub_blocks(broken) + b";"
    # LZW minimum code size 13: Pillow's decoder refuses the configuration.
    files["gif_code_size_13.gif"] = header + image_descriptor(0, 0, w, h) + b"\x0d" + sub_blocks(data) + b";"
    # Real LZW (with table entries and the code size growing) through Pillow's encoder,
    # interlaced, with a frame smaller than the screen and a transparency index.
    big = Image.new("P", (23, 19))
    big.putpalette([v for c in colourful(256) for v in c])
    big.putdata([((x // 3) * 7 + (y // 2) * 13) % 200 for y in range(19) for x in range(23)])
    buf = io.BytesIO()
    big.save(buf, "GIF", interlace=True, transparency=5)
    interlaced = buf.getvalue()
    files["gif_interlaced_trns.gif"] = interlaced
    files["gif_interlaced_no_trailer.gif"] = interlaced[:-2]
    # A frame placed at (2, 3) of a 9x8 screen, and one that sticks out of it.
    files["gif_offset_frame.gif"] = (gif_header(9, 8, palette) + image_descriptor(2, 3, 5, 4)
                                     + b"\x04" + sub_blocks(pack_codes(
                                         lzw_codes_literal([i % 16 for i in range(20)], 4)[0] + [17], 5)) + b";")
    files["gif_frame_outside_screen.gif"] = (gif_header(4, 4, palette) + image_descriptor(2, 3, 5, 4)
                                             + b"\x04" + sub_blocks(pack_codes(
                                                 lzw_codes_literal([i % 16 for i in range(20)], 4)[0] + [17], 5)) + b";")
    # Two frames, the second cut short: the first frame is what Pillow loads.
    frames = [Image.new("P", (8, 5), i) for i in (3, 9)]
    for f in frames:
        f.putpalette([v for c in palette for v in c])
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=50)
    anim = buf.getvalue()
    files["gif_second_frame_cut.gif"] = anim[:len(anim) - 6]
    return files


# ---------------------------------------------------------------------------- WebP

def webp_files():
    files = {}

    def frames(mode, count, size=(10, 7)):
        out = []
        for k in range(count):
            im = Image.new(mode, size)
            px = []
            for y in range(size[1]):
                for x in range(size[0]):
                    rgb = ((x * 25 + k * 60) % 256, (y * 36 + k * 90) % 256, (x * y * 9) % 256)
                    px.append(rgb + ((40 + x * 20) % 256,) if mode == "RGBA" else rgb)
            im.putdata(px)
            out.append(im)
        return out

    def save(ims, **kw):
        buf = io.BytesIO()
        ims[0].save(buf, "WEBP", save_all=True, append_images=ims[1:], duration=100, **kw)
        return buf.getvalue()

    files["webp_anim_lossless_rgba.webp"] = save(frames("RGBA", 3), lossless=True)
    files["webp_anim_lossless_rgb.webp"] = save(frames("RGB", 2), lossless=True)
    files["webp_anim_lossy_rgb.webp"] = save(frames("RGB", 2), quality=80)
    files["webp_anim_lossy_rgba.webp"] = save(frames("RGBA", 2), quality=80)
    # A first frame that is transparent outside a small rectangle: libwebp's encoder
    # stores it as a sub-frame, placed on a transparent canvas.
    first = Image.new("RGBA", (12, 9), (0, 0, 0, 0))
    first.paste((200, 30, 90, 255), (3, 2, 8, 6))
    second = Image.new("RGBA", (12, 9), (10, 200, 30, 255))
    files["webp_anim_subframe.webp"] = save([first, second], lossless=True)
    return files


# ---------------------------------------------------------------------------- main

def pillow_result(data):
    try:
        im = Image.open(io.BytesIO(data))
        im.load()
    except Exception as e:  # what Pillow says is recorded, whatever the type
        return {"error": f"{type(e).__name__}: {e}"}
    pixels = im.tobytes()
    if im.mode == "1":  # tobytes packs bits; clipkit keeps one 0/255 byte per pixel
        pixels = im.convert("L").tobytes()
    return {"mode": im.mode, "size": list(im.size), "pixels": pixels.hex(),
            "rgb": im.convert("RGB").tobytes().hex()}


def main():
    if PIL.__version__ != "9.4.0":
        sys.exit(f"expected Debian's Pillow 9.4.0, found {PIL.__version__}")
    files = {**bmp_files(), **gif_files(), **webp_files()}
    expected = {}
    for name, data in sorted(files.items()):
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        expected[name] = pillow_result(data)
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump({"pillow": PIL.__version__, "files": expected}, f, indent=1, sort_keys=True)
        f.write("\n")
    for name, result in expected.items():
        print(f"{name:36s} {result.get('error') or (result['mode'], result['size'])}")


if __name__ == "__main__":
    main()
