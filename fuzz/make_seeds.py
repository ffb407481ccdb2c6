#!/usr/bin/python3
"""Writes small seed corpora for the fuzz targets in fuzz/ (issue 15).

    /usr/bin/python3 fuzz/make_seeds.py OUT_DIR [--shared ../shared]

OUT_DIR/<target>/ gets a few valid (and a few nearly valid) inputs per target, built here
with the standard library only: PNG/GIF/BMP/WebP-lossless/baseline-JPEG encoders small
enough for a seed, pickles from the pickle module (torch-like globals through stand-in
modules), zips from zipfile, safetensors headers, EXIF blocks, texts, HTTP requests.
A few small PNG files from the shared fixtures (under 16 KB) are copied in too.
OUT_DIR/<target>.dict holds libFuzzer dictionaries where one helps. Deterministic:
same output every run.
"""

import argparse
import collections
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile
import zlib

TARGETS = ["pickle", "zip", "torch_zip", "safetensors", "png", "jpeg", "gif", "bmp", "webp",
           "exif", "tokenizer", "sentencepiece", "wordpiece", "http", "cluster"]


# ---------------------------------------------------------------- EXIF (TIFF) blocks

def tiff_orientation(value, big_endian=False, type_=3, prefix=b"", extra_entries=0):
    e = ">" if big_endian else "<"
    head = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    entries = []
    for i in range(extra_entries):
        entries.append(struct.pack(e + "HHII", 0x010F + i, 2, 4, 0x41414141))
    if type_ == 3:
        entries.append(struct.pack(e + "HHIH2x", 0x0112, 3, 1, value))
    else:
        entries.append(struct.pack(e + "HHII", 0x0112, 4, 1, value))
    ifd = struct.pack(e + "H", len(entries)) + b"".join(entries) + struct.pack(e + "I", 0)
    return prefix + head + ifd


def exif_seeds():
    out = {}
    for o in range(1, 9):
        out["le_short_%d" % o] = tiff_orientation(o)
    out["be_short_6"] = tiff_orientation(6, big_endian=True)
    out["le_long_8"] = tiff_orientation(8, type_=4)
    out["be_long_3"] = tiff_orientation(3, big_endian=True, type_=4)
    out["prefixed_5"] = tiff_orientation(5, prefix=b"Exif\0\0")
    out["many_entries_7"] = tiff_orientation(7, extra_entries=5)
    out["bad_ifd_offset"] = b"II*\0" + struct.pack("<I", 0xFFFFFF00) + b"\0" * 8
    out["orientation_9"] = tiff_orientation(9)
    return out


# ---------------------------------------------------------------- PNG

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png(width, height, color_type, bit_depth=8, interlace=False, palette=None, trns=None,
        exif=None, text=None, filter_type=0, rows=None):
    """rows: list of lists of samples (per pixel, a tuple of channel values)."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    if rows is None:
        rows = [[tuple(((x * 37 + y * 11 + c * 71) % (1 << bit_depth)) for c in range(channels))
                 for x in range(width)] for y in range(height)]

    def pack_row(pixels):
        if bit_depth == 8:
            return bytes(v for p in pixels for v in p)
        if bit_depth == 16:
            return b"".join(struct.pack(">H", v) for p in pixels for v in p)
        bits, acc, n = bytearray(), 0, 0
        for p in pixels:
            for v in p:
                acc = (acc << bit_depth) | v
                n += bit_depth
                if n == 8:
                    bits.append(acc)
                    acc, n = 0, 0
        if n:
            bits.append(acc << (8 - n))
        return bytes(bits)

    raw = bytearray()
    if interlace:
        for x0, y0, dx, dy in ADAM7:
            sub = [row[x0::dx] for row in rows[y0::dy]]
            if not sub or not sub[0]:
                continue
            for r in sub:
                raw += bytes([filter_type]) + pack_row(r)
    else:
        for r in rows:
            raw += bytes([filter_type]) + pack_row(r)
    # Filter bytes other than 0 are kept as written (the data then decodes to other
    # pixels, which is fine for a seed).
    out = b"\x89PNG\r\n\x1a\n"
    out += png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 1 if interlace else 0))
    if text:
        out += png_chunk(b"tEXt", text)
    if exif:
        out += png_chunk(b"eXIf", exif)
    if palette:
        out += png_chunk(b"PLTE", bytes(v for rgb in palette for v in rgb))
    if trns is not None:
        out += png_chunk(b"tRNS", trns)
    out += png_chunk(b"IDAT", zlib.compress(bytes(raw), 9))
    out += png_chunk(b"IEND", b"")
    return out


def png_seeds():
    pal = [(i * 40 % 256, i * 90 % 256, i * 150 % 256) for i in range(6)]
    return {
        "gray8": png(5, 4, 0),
        "gray1": png(9, 3, 0, bit_depth=1),
        "gray4_interlaced": png(7, 7, 0, bit_depth=4, interlace=True),
        "gray16": png(3, 3, 0, bit_depth=16),
        "gray_trns": png(4, 2, 0, trns=struct.pack(">H", 37)),
        "gray_alpha": png(3, 2, 4),
        "rgb": png(4, 3, 2, filter_type=1),
        "rgb16": png(2, 2, 2, bit_depth=16),
        "rgb_trns": png(3, 3, 2, trns=struct.pack(">HHH", 0, 37, 71)),
        "rgb_interlaced": png(9, 9, 2, interlace=True),
        "rgba": png(3, 3, 6, filter_type=4),
        "palette": png(4, 4, 3, palette=pal, rows=[[(x % 6,) for x in range(4)] for _ in range(4)]),
        "palette2_trns": png(8, 2, 3, bit_depth=2, palette=pal[:4], trns=b"\x00\x80",
                             rows=[[(x % 4,) for x in range(8)] for _ in range(2)]),
        "rgb_exif6": png(3, 2, 2, exif=tiff_orientation(6), text=b"Comment\0fuzz"),
        "rgba_exif_be3": png(2, 3, 6, exif=tiff_orientation(3, big_endian=True)),
    }


# ---------------------------------------------------------------- GIF

def lzw_codes(indices, min_code_size):
    """Codes that never grow the table past min_code_size + 1 bits: a CLEAR before the
    table would need a wider code."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    size = min_code_size + 1
    codes = [clear]
    room = (1 << size) - (end + 1)  # entries that fit before the width grows
    emitted = 0
    for v in indices:
        if emitted == room:
            codes.append(clear)
            emitted = 0
        codes.append(v)
        emitted += 1
    codes.append(end)
    bits, acc, n = bytearray(), 0, 0
    for c in codes:
        acc |= c << n
        n += size
        while n >= 8:
            bits.append(acc & 0xFF)
            acc >>= 8
            n -= 8
    if n:
        bits.append(acc & 0xFF)
    return bytes(bits)


def gif_image(width, height, indices, min_code_size, local_palette=None, interlace=False, left=0, top=0):
    flags = 0
    if local_palette:
        flags |= 0x80 | (len(local_palette).bit_length() - 2)
    if interlace:
        flags |= 0x40
    out = b"," + struct.pack("<HHHHB", left, top, width, height, flags)
    if local_palette:
        out += bytes(v for rgb in local_palette for v in rgb)
    data = lzw_codes(indices, min_code_size)
    out += bytes([min_code_size])
    for i in range(0, len(data), 255):
        block = data[i:i + 255]
        out += bytes([len(block)]) + block
    return out + b"\0"


def gif(width, height, frames, palette=None, extensions=b"", version=b"89a"):
    flags = 0
    if palette:
        flags = 0x80 | 0x70 | (len(palette).bit_length() - 2)
    out = b"GIF" + version + struct.pack("<HHBBB", width, height, flags, 0, 0)
    if palette:
        out += bytes(v for rgb in palette for v in rgb)
    out += extensions
    for f in frames:
        out += f
    return out + b";"


def gce(transparent=None, delay=0):
    flags = 1 if transparent is not None else 0
    return b"!\xf9\x04" + struct.pack("<BHB", flags, delay, transparent or 0) + b"\0"


def gif_seeds():
    pal4 = [(0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255)]
    pal16 = [(i * 16, 255 - i * 16, i * 7) for i in range(16)]
    px = lambda w, h, n: [(x + y) % n for y in range(h) for x in range(w)]
    comment = b"!\xfe\x04fuzz\0"
    loop = b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\0"
    return {
        "global4": gif(4, 3, [gif_image(4, 3, px(4, 3, 4), 2)], pal4),
        "local16": gif(5, 5, [gif_image(5, 5, px(5, 5, 16), 4, local_palette=pal16)]),
        "transparent": gif(3, 3, [gce(1) + gif_image(3, 3, px(3, 3, 4), 2)], pal4),
        "interlaced": gif(4, 9, [gif_image(4, 9, px(4, 9, 4), 2, interlace=True)], pal4),
        "two_frames": gif(4, 4, [gce(None, 10) + gif_image(4, 4, px(4, 4, 4), 2),
                                 gce(0, 10) + gif_image(2, 2, px(2, 2, 4), 2, left=1, top=1)], pal4,
                          extensions=loop + comment),
        "offset_frame": gif(6, 6, [gif_image(3, 2, px(3, 2, 4), 2, left=2, top=3)], pal4),
        "gif87a": gif(2, 2, [gif_image(2, 2, [0, 1, 1, 0], 2)], pal4[:2] + pal4[:2], version=b"87a"),
        "no_palette": gif(3, 1, [gif_image(3, 1, [0, 1, 2], 2)]),
    }


# ---------------------------------------------------------------- BMP

def bmp(width, height, bpp, palette=None, top_down=False, header="info", compression=0, masks=None,
        pixel_bytes=None):
    row = ((width * bpp + 31) // 32) * 4
    if pixel_bytes is None:
        pixel_bytes = bytes((i * 29 + 7) % 256 for i in range(row * height))
    pal = b""
    if palette:
        pal = b"".join(bytes([b, g, r, 0]) for r, g, b in palette) if header != "core" else \
            b"".join(bytes([b, g, r]) for r, g, b in palette)
    if header == "core":
        dib = struct.pack("<IHHHH", 12, width, height, 1, bpp)
    else:
        size = {"info": 40, "v4": 108, "v5": 124}[header]
        dib = struct.pack("<IiiHHIIiiII", size, width, -height if top_down else height, 1, bpp, compression,
                          len(pixel_bytes), 2835, 2835, len(palette or []), 0)
        extra = b""
        if masks and header == "info":
            extra = struct.pack("<III", *masks[:3])
        elif header != "info":
            m = list(masks or (0, 0, 0, 0)) + [0] * 4
            extra = struct.pack("<IIII", *m[:4]) + b"BGRs" + b"\0" * 36 + b"\0" * 12
            if header == "v5":
                extra += b"\0" * 16
        dib += extra
    offset = 14 + len(dib) + len(pal)
    return b"BM" + struct.pack("<IHHI", offset + len(pixel_bytes), 0, 0, offset) + dib + pal + pixel_bytes


def bmp_seeds():
    pal2 = [(0, 0, 0), (255, 255, 255)]
    pal16 = [(i * 16, i * 8, 255 - i * 16) for i in range(16)]
    pal256 = [(i, (i * 3) % 256, 255 - i) for i in range(256)]
    return {
        "rgb24": bmp(3, 2, 24),
        "rgb24_top_down": bmp(4, 3, 24, top_down=True),
        "bgra32": bmp(2, 2, 32),
        "bitfields32_alpha": bmp(2, 2, 32, header="v4", compression=3,
                                 masks=(0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000)),
        "bitfields16_565": bmp(3, 2, 16, compression=3, masks=(0xF800, 0x07E0, 0x001F)),
        "rgb555": bmp(3, 2, 16),
        "pal8": bmp(4, 2, 8, palette=pal256),
        "pal4": bmp(5, 2, 4, palette=pal16),
        "pal1": bmp(9, 2, 1, palette=pal2),
        "pal8_short_palette": bmp(4, 2, 8, palette=pal16),
        "core_header": bmp(3, 2, 24, header="core"),
        "core_pal8": bmp(2, 2, 8, palette=pal16, header="core"),
        "v5_rgb24": bmp(2, 2, 24, header="v5"),
        "rle8": bmp(4, 2, 8, palette=pal16, compression=1, pixel_bytes=b"\x04\x01\x00\x00\x04\x02\x00\x01"),
    }


# ---------------------------------------------------------------- WebP (lossless)

class BitWriter:
    def __init__(self):
        self.acc, self.n, self.out = 0, 0, bytearray()

    def put(self, value, bits):
        self.acc |= value << self.n
        self.n += bits
        while self.n >= 8:
            self.out.append(self.acc & 0xFF)
            self.acc >>= 8
            self.n -= 8

    def bytes(self):
        return bytes(self.out) + (bytes([self.acc]) if self.n else b"")


def vp8l(width, height, colors, alpha=False):
    """A VP8L bitstream: no transforms, no colour cache, 'simple' prefix codes of one or
    two symbols per channel; pixels alternate between the (up to two) colours."""
    w = BitWriter()
    w.put(0x2F, 8)
    w.put(width - 1, 14)
    w.put(height - 1, 14)
    w.put(1 if alpha else 0, 1)
    w.put(0, 3)
    w.put(0, 1)  # no transform
    w.put(0, 1)  # no colour cache
    w.put(0, 1)  # no meta prefix codes
    # Colours are (a, r, g, b); the codes come in the order green, red, blue, alpha.
    per_channel = [sorted({c[2] for c in colors}), sorted({c[1] for c in colors}),
                   sorted({c[3] for c in colors}), sorted({c[0] for c in colors})]
    for symbols in per_channel + [[0]]:  # + distance code
        w.put(1, 1)  # simple code
        w.put(len(symbols) - 1, 1)
        first = symbols[0]
        if first < 2:
            w.put(0, 1)
            w.put(first, 1)
        else:
            w.put(1, 1)
            w.put(first, 8)
        if len(symbols) == 2:
            w.put(symbols[1], 8)
    for i in range(width * height):
        a, r, g, b = colors[i % len(colors)]
        for value, symbols in zip((g, r, b, a), per_channel):
            if len(symbols) == 2:
                w.put(symbols.index(value), 1)
    return w.bytes()


def riff_chunk(kind, data):
    return kind + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")


def webp(chunks):
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def vp8x(width, height, flags):
    return riff_chunk(b"VP8X", struct.pack("<I", flags) + struct.pack("<I", width - 1)[:3] +
                      struct.pack("<I", height - 1)[:3])


def webp_seeds():
    one = [(255, 10, 200, 30)]
    two = [(255, 10, 200, 30), (255, 200, 10, 30)]
    two_alpha = [(255, 10, 200, 30), (0, 200, 10, 30)]
    return {
        "lossless_flat": webp([riff_chunk(b"VP8L", vp8l(3, 2, one))]),
        "lossless_two": webp([riff_chunk(b"VP8L", vp8l(5, 3, two))]),
        "lossless_alpha": webp([riff_chunk(b"VP8L", vp8l(4, 4, two_alpha, alpha=True))]),
        "extended_exif": webp([vp8x(4, 3, 0x08), riff_chunk(b"VP8L", vp8l(4, 3, two)),
                               riff_chunk(b"EXIF", tiff_orientation(6))]),
        "extended_alpha": webp([vp8x(2, 2, 0x10), riff_chunk(b"VP8L", vp8l(2, 2, two_alpha, alpha=True))]),
        "animated": webp([vp8x(2, 2, 0x02), riff_chunk(b"ANIM", b"\0" * 6),
                          riff_chunk(b"ANMF", b"\0" * 6 + struct.pack("<I", 1)[:3] * 2 + b"\0" * 4 +
                                     riff_chunk(b"VP8L", vp8l(2, 2, one)))]),
    }


# ---------------------------------------------------------------- JPEG (baseline)

# ITU T.81 Annex K tables: (bits per length 1..16, values).
DC_LUMA = ([0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], list(range(12)))
DC_CHROMA = ([0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], list(range(12)))
AC_LUMA = ([0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d], bytes.fromhex(
    "01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a"
    "3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a9293949596"
    "9798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2"
    "f3f4f5f6f7f8f9fa"))
AC_CHROMA = ([0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77], bytes.fromhex(
    "000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718191a262728292a"
    "35363738393a434445464748494a535455565758595a636465666768696a737475767778797a82838485868788898a929394959697"
    "98999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6"
    "f7f8f9fa"))
ZIGZAG_LEN = 64


def huffman_codes(table):
    bits, values = table
    codes, code, k = {}, 0, 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            codes[values[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


def dht(table_class, table_id, table):
    bits, values = table
    body = bytes([table_class << 4 | table_id]) + bytes(bits) + bytes(values)
    return b"\xff\xc4" + struct.pack(">H", len(body) + 2) + body


class JpegBits:
    def __init__(self):
        self.acc, self.n, self.out = 0, 0, bytearray()

    def put(self, code, length):
        for i in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((code >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)
                self.acc, self.n = 0, 0

    def flush(self):
        if self.n:
            self.put((1 << (8 - self.n)) - 1, 8 - self.n)


def magnitude(v):
    size = abs(v).bit_length()
    return size, (v if v >= 0 else v + (1 << size) - 1)


def jpeg(width, height, components, sampling=None, restart=0, app=b"", adobe=None, seed=1):
    """A baseline JPEG whose blocks hold a DC value and a few pseudo-random AC
    coefficients (not a real picture; real entropy-coded data all the same).
    components: 1 (gray), 3 (YCbCr) or 4 (CMYK/YCCK with an Adobe marker)."""
    sampling = sampling or [(1, 1)] * components
    hmax = max(h for h, _ in sampling)
    vmax = max(v for _, v in sampling)
    mcux = (width + 8 * hmax - 1) // (8 * hmax)
    mcuy = (height + 8 * vmax - 1) // (8 * vmax)
    out = b"\xff\xd8"
    out += b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    out += app
    if adobe is not None:
        out += b"\xff\xee" + struct.pack(">H", 14) + b"Adobe" + struct.pack(">HHHB", 100, 0, 0, adobe)
    for q in range(2):
        out += b"\xff\xdb" + struct.pack(">H", 67) + bytes([q]) + bytes(
            max(1, (i * 3 + 5 + q * 7) % 64) for i in range(64))
    sof = struct.pack(">BHHB", 8, height, width, components)
    for c in range(components):
        h, v = sampling[c]
        sof += bytes([c + 1, h << 4 | v, 0 if c == 0 else 1])
    out += b"\xff\xc0" + struct.pack(">H", len(sof) + 2) + sof
    out += dht(0, 0, DC_LUMA) + dht(1, 0, AC_LUMA) + dht(0, 1, DC_CHROMA) + dht(1, 1, AC_CHROMA)
    if restart:
        out += b"\xff\xdd" + struct.pack(">HH", 4, restart)
    sos = bytes([components])
    for c in range(components):
        sos += bytes([c + 1, 0x00 if c == 0 else 0x11])
    sos += b"\x00\x3f\x00"
    out += b"\xff\xda" + struct.pack(">H", len(sos) + 2) + sos
    dc_codes = [huffman_codes(DC_LUMA), huffman_codes(DC_CHROMA)]
    ac_codes = [huffman_codes(AC_LUMA), huffman_codes(AC_CHROMA)]
    state = seed
    scan = bytearray()
    bits = JpegBits()
    pred = [0] * components
    mcu_count = 0
    for _ in range(mcuy):
        for _ in range(mcux):
            if restart and mcu_count and mcu_count % restart == 0:
                bits.flush()
                scan += bits.out
                bits = JpegBits()
                scan += bytes([0xFF, 0xD0 + (mcu_count // restart - 1) % 8])
                pred = [0] * components
            mcu_count += 1
            for c in range(components):
                table = 0 if c == 0 else 1
                h, v = sampling[c]
                for _ in range(h * v):
                    state = (state * 1103515245 + 12345) & 0x7FFFFFFF
                    dc = (state >> 8) % 200 - 100
                    size, bitsval = magnitude(dc - pred[c])
                    pred[c] = dc
                    code, length = dc_codes[table][size]
                    bits.put(code, length)
                    if size:
                        bits.put(bitsval, size)
                    # A few AC coefficients at small zig-zag positions, then EOB.
                    pos = 0
                    for k in range(3):
                        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
                        run = (state >> 4) % 4
                        value = (state >> 10) % 31 - 15 or 1
                        if pos + run + 1 >= ZIGZAG_LEN:
                            break
                        size, bitsval = magnitude(value)
                        code, length = ac_codes[table][run << 4 | size]
                        bits.put(code, length)
                        bits.put(bitsval, size)
                        pos += run + 1
                    code, length = ac_codes[table][0x00]
                    bits.put(code, length)
    bits.flush()
    scan += bits.out
    return out + bytes(scan) + b"\xff\xd9"


def jpeg_seeds():
    exif_app1 = lambda o: b"\xff\xe1" + struct.pack(">H", 2 + 6 + len(tiff_orientation(o))) + b"Exif\0\0" + \
        tiff_orientation(o)
    return {
        "gray_8x8": jpeg(8, 8, 1),
        "gray_odd": jpeg(13, 5, 1),
        "ycc444": jpeg(16, 8, 3),
        "ycc420": jpeg(17, 17, 3, sampling=[(2, 2), (1, 1), (1, 1)]),
        "ycc422_restart": jpeg(32, 16, 3, sampling=[(2, 1), (1, 1), (1, 1)], restart=1),
        "exif6": jpeg(16, 8, 3, app=exif_app1(6)),
        "exif8_gray": jpeg(8, 16, 1, app=exif_app1(8)),
        "cmyk_adobe": jpeg(8, 8, 4, adobe=0),
        "ycck_adobe": jpeg(8, 8, 4, adobe=2),
        "comment": jpeg(8, 8, 1, app=b"\xff\xfe\x00\x06fuzz"),
    }


# ---------------------------------------------------------------- pickles

def torch_stand_ins():
    """Modules named like torch's, so that pickle writes the same GLOBALs torch.save does."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise NotImplementedError

    def _rebuild_parameter(*args):
        raise NotImplementedError
    for f in (_rebuild_tensor_v2, _rebuild_parameter):
        f.__module__ = "torch._utils"
        f.__qualname__ = f.__name__
        setattr(utils, f.__name__, f)
    torch._utils = utils
    for name in ("FloatStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "ByteStorage"):
        cls = type(name, (), {"__module__": "torch"})
        setattr(torch, name, cls)
    ts = types.ModuleType("__torch__")
    model = types.ModuleType("__torch__.model")

    class Module:
        pass
    Module.__module__ = "__torch__.model"
    Module.__qualname__ = Module.__name__ = "Module"
    model.Module = Module
    ts.model = model
    sys.modules.update({"torch": torch, "torch._utils": utils, "__torch__": ts, "__torch__.model": model})
    return torch, utils, Module


class StorageRef:
    def __init__(self, cls, key, numel):
        self.cls, self.key, self.numel = cls, key, numel


class Tensor:
    """Pickles as torch.save writes a tensor: _rebuild_tensor_v2(storage, offset, size,
    stride, requires_grad, backward_hooks)."""

    def __init__(self, utils, storage, offset, size, stride, parameter=False):
        self.utils, self.args = utils, (storage, offset, tuple(size), tuple(stride), False,
                                        collections.OrderedDict())
        self.parameter = parameter

    def __reduce__(self):
        inner = (self.utils._rebuild_tensor_v2, self.args)
        if self.parameter:
            return (self.utils._rebuild_parameter, (_Reduced(inner), False, collections.OrderedDict()))
        return inner


class _Reduced:
    def __init__(self, reduced):
        self.reduced = reduced

    def __reduce__(self):
        return self.reduced


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, StorageRef):
            return ("storage", obj.cls, obj.key, "cpu", obj.numel)
        return None


def torch_pickle(obj, protocol=2):
    buf = io.BytesIO()
    TorchPickler(buf, protocol=protocol).dump(obj)
    return buf.getvalue()


def pickle_seeds(torch, utils, Module):
    out = {}
    plain = {"a": 1, "b": [1.5, -2, None, True, False], "c": ("x", b"\x00\xff"), "big": 2 ** 70,
             "neg": -(2 ** 40), "nested": {"k": [[], {}, ()]}, "text": "ünïcødé ✓"}
    for protocol in (2, 3, 4, 5):
        out["plain_p%d" % protocol] = pickle.dumps(plain, protocol=protocol)
    out["ordered_dict"] = pickle.dumps(collections.OrderedDict([("w", 1), ("b", 2)]), protocol=2)
    shared = [1, 2]
    out["memo_shared"] = pickle.dumps({"x": shared, "y": shared, "z": (shared, shared)}, protocol=2)
    s0 = StorageRef(torch.FloatStorage, "0", 6)
    s1 = StorageRef(torch.HalfStorage, "1", 4)
    state = collections.OrderedDict([
        ("weight", Tensor(utils, s0, 0, [2, 3], [3, 1])),
        ("bias", Tensor(utils, s1, 0, [4], [1])),
        ("view", Tensor(utils, s0, 1, [2, 2], [1, 3])),
        ("param", Tensor(utils, s0, 0, [3], [1], parameter=True)),
    ])
    for protocol in (2, 4):
        out["state_dict_p%d" % protocol] = torch_pickle(state, protocol)
    m = Module()
    sub = Module()
    sub.__dict__.update({"weight": Tensor(utils, s0, 0, [6], [1]), "training": False})
    m.__dict__.update({"visual": sub, "proj": Tensor(utils, s1, 0, [2, 2], [2, 1])})
    out["torchscript_module"] = torch_pickle(m, 2)
    out["global_disallowed"] = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03."
    out["truncated"] = pickle.dumps(plain, protocol=2)[:40]
    return out, state, m


# ---------------------------------------------------------------- zips

def make_zip(entries, method=zipfile.ZIP_STORED, comment=b""):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, data)
        z.comment = comment
    return buf.getvalue()


def make_zip64(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            with z.open(info, "w", force_zip64=True) as f:
                f.write(data)
    return buf.getvalue()


def torch_zip(pkl, storages, root="archive"):
    entries = [(root + "/data.pkl", pkl), (root + "/version", b"3\n")]
    entries += [(root + "/data/" + key, data) for key, data in storages]
    return make_zip(entries)


def zip_seeds():
    files = [("a.txt", b"hello"), ("dir/b.bin", bytes(range(64))), ("empty", b"")]
    return {
        "stored": make_zip(files),
        "deflated": make_zip(files, zipfile.ZIP_DEFLATED),
        "comment": make_zip(files[:1], comment=b"a zip comment"),
        "zip64": make_zip64(files[:2]),
        "empty_archive": make_zip([]),
    }


def torch_zip_seeds(state_pkl, module_pkl):
    s0 = struct.pack("<6f", 1, 2, 3, 4, 5, 6)
    s1 = struct.pack("<4H", 0x3C00, 0x4000, 0xC000, 0x7BFF)
    return {
        "state_dict": torch_zip(state_pkl, [("0", s0), ("1", s1)]),
        "torchscript": torch_zip(module_pkl, [("0", s0), ("1", s1)], root="model"),
        "missing_storage": torch_zip(state_pkl, [("0", s0)]),
        "short_storage": torch_zip(state_pkl, [("0", s0[:8]), ("1", s1)]),
        "deflated_pickle": make_zip([("archive/data.pkl", state_pkl), ("archive/data/0", s0),
                                     ("archive/data/1", s1)], zipfile.ZIP_DEFLATED),
        "legacy": b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.",
    }


# ---------------------------------------------------------------- safetensors

def safetensors(tensors, metadata=None, pad=0):
    header, data = {}, b""
    for name, (dtype, shape, payload) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode() + b" " * pad
    return struct.pack("<Q", len(h)) + h + data


def safetensors_seeds():
    f32 = struct.pack("<4f", 1, -2, 3.5, 0)
    f16 = struct.pack("<3H", 0x3C00, 0x7C00, 0x8001)
    bf16 = struct.pack("<2H", 0x3F80, 0xFF80)
    return {
        "f32": safetensors({"w": ("F32", [2, 2], f32)}),
        "mixed": safetensors({"a": ("F16", [3], f16), "b": ("BF16", [1, 2], bf16), "c": ("F32", [4], f32)},
                             metadata={"format": "pt"}, pad=5),
        "scalar_and_empty": safetensors({"s": ("F32", [], f32[:4]), "e": ("F32", [0, 3], b"")}),
        "unsupported_dtype": safetensors({"i": ("I64", [1], b"\0" * 8)}),
        "empty_header": struct.pack("<Q", 2) + b"{}",
        "bad_offsets": struct.pack("<Q", 60) + b'{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,0]}}    ',
    }


SAFETENSORS_DICT = ['"dtype"', '"shape"', '"data_offsets"', '"__metadata__"', '"F32"', '"F16"', '"BF16"',
                    '"I64"', '"F64"', '"U8"', '"BOOL"', '[]', '{}', 'null', 'true', '1e309', '-1',
                    '18446744073709551615', '9223372036854775807']


# ---------------------------------------------------------------- texts

def tokenizer_seeds(shared):
    texts = [
        "a photo of a cat", "Two dogs playing in the snow!", "it's what they'll've done, I'd say",
        "3.14159 and 1,000,000 apples", "HELLO World", "   lots\t\tof \n\n whitespace   ",
        "日本語のテキストと漢字", "中文 测试 一下", "한국어 텍스트", "emoji 😀🐈‍⬛👩🏽‍🚀 flags 🇯🇵",
        "e\u0301 combining a\u0308 marks", "&amp; &lt;b&gt; &quot;quoted&quot; &#233; &#x1F600; &notanentity;",
        "mojibake: Ã©tÃ© â€œquotedâ€\x9d", "curly ‘single’ “double” quotes", "ligatures ﬁ ﬂ ﬀ",
        "ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ", "terminal \x1b[31mred\x1b[0m escape", "control \x00\x01\x7f\x85 chars",
        "nbsp\u00a0and\u3000ideographic space", "<|startoftext|>hi<|endoftext|>", "x" * 300,
        "Ελληνικά και кириллица", "עברית ועربية", "ﷺ ǅ ß İ ﬃ", "\r\n line \u2028 separators \u2029",
    ]
    out = {"text_%02d" % i: t.encode("utf-8") for i, t in enumerate(texts)}
    out["invalid_utf8"] = b"caf\xe9 \xff\xfe \x80 \xc3\x28 \xe2\x82 \xf0\x9f\x98"
    out["overlong"] = b"\xc0\xaf \xe0\x80\xaf \xf8\x88\x80\x80\x80"
    out["surrogates"] = b"\xed\xa0\x80\xed\xb0\x80 lone"
    out["latin1"] = "naïve café".encode("latin-1")
    out["mac_roman"] = "caf\u00e9 \u00a0".encode("mac_roman")
    out["cp1252"] = "“smart” – dash".encode("cp1252")
    out["empty"] = b""
    cases = os.path.join(shared, "fixtures", "tokenizer_cases.jsonl")
    if os.path.exists(cases):
        with open(cases, encoding="utf-8") as f:
            lines = f.readlines()
        for i, line in enumerate(lines[::max(1, len(lines) // 40)]):
            try:
                text = json.loads(line).get("text")
            except (ValueError, AttributeError):
                continue
            if isinstance(text, str):
                out["case_%02d" % i] = text.encode("utf-8", "surrogatepass")
    return out


def wordpiece_seeds(texts):
    """fuzz_wordpiece: byte 0 odd -> a vocab.txt follows, even -> a text follows."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "tests", "data", "chinese_clip", "quirky_vocab.txt"), "rb") as f:
        quirky = f.read()
    out = {"vocab_quirky": b"\x01" + quirky, "vocab_no_unk": b"\x01[PAD]\n[CLS]\n[SEP]\n",
           "vocab_latin1": b"\x01[UNK]\n[CLS]\n[SEP]\ncaf\xe9\n"}
    for name, text in sorted(texts.items())[:24]:
        out["text_" + name] = b"\x00" + text
    out["text_cjk"] = b"\x00" + "一只猫的照片，Ångström Σ 𠀀 ﬁ\u200d\x00\ufffd".encode("utf-8")
    out["text_long_word"] = b"\x00" + b"a" * 250
    return out


def sentencepiece_seeds(texts):
    """fuzz_sentencepiece: byte 0 odd -> a .model file follows, even -> a text follows."""
    here = os.path.dirname(os.path.abspath(__file__))
    out = {}
    for name in ("unigram", "gemma_bpe"):
        with open(os.path.join(here, "..", "tests", "data", "siglip", "tokenizers", name + ".model"), "rb") as f:
            model = f.read()
        out["model_" + name] = b"\x01" + model
        out["model_%s_half" % name] = b"\x01" + model[: len(model) // 2]
    for name, text in sorted(texts.items())[:24]:
        out["text_" + name] = b"\x00" + text
    out["text_specials"] = b"\x00" + "</s> a_b <unk> \u2581x </S> Σ".encode("utf-8")
    out["text_long"] = b"\x00" + b"photo " * 80
    return out


# ---------------------------------------------------------------- HTTP

TOKEN = "fuzz-token"


def http_request(method, target, headers=(), body=b"", auth=True, version="HTTP/1.1"):
    lines = ["%s %s %s" % (method, target, version), "Host: 127.0.0.1"]
    if auth:
        lines.append("Authorization: Bearer " + TOKEN)
    lines += list(headers)
    if body and not any(h.lower().startswith(("content-length", "transfer-encoding")) for h in headers):
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def multipart(field, filename, content, boundary="XyZfuzz"):
    body = ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n" % (boundary, field, filename)).encode()
    body += content + ("\r\n--%s--\r\n" % boundary).encode()
    return ["Content-Type: multipart/form-data; boundary=" + boundary], body


def chunked(body):
    return ("%x\r\n" % len(body)).encode() + body + b"\r\n0\r\n\r\n"


def http_seeds(tiny_png, tiny_bmp):
    j = lambda o: json.dumps(o).encode()
    headers, mp_body = multipart("image", "a.png", tiny_png)
    return {
        "health": http_request("GET", "/api/health", auth=False),
        "stats": http_request("GET", "/api/stats"),
        "page": http_request("GET", "/", auth=False),
        "search_get": http_request("GET", "/api/search?q=a%20cat&k=2&threshold=0.1"),
        "search_get_token_param": http_request("GET", "/api/search?q=dog&token=" + TOKEN, auth=False),
        "search_post_text": http_request("POST", "/api/search", ["Content-Type: application/json"],
                                         j({"text": "a red square", "k": 3, "threshold": -0.5})),
        "search_post_like": http_request("POST", "/api/search", ["Content-Type: application/json"],
                                         j({"like": 1, "k": 2})),
        "search_image_raw": http_request("POST", "/api/search/image?k=2", ["Content-Type: image/png"], tiny_png),
        "search_image_multipart": http_request("POST", "/api/search/image", headers, mp_body),
        "embed_text": http_request("POST", "/api/embed/text", ["Content-Type: application/json"],
                                   j({"text": "日本語 😀"})),
        "embed_image_bmp": http_request("POST", "/api/embed/image", ["Content-Type: image/bmp"], tiny_bmp),
        "image_by_id": http_request("GET", "/api/images/2", ["Range: bytes=0-15"]),
        "no_token": http_request("GET", "/api/stats", auth=False),
        "wrong_token": http_request("GET", "/api/stats", ["Authorization: Bearer nope"], auth=False),
        "chunked_post": http_request("POST", "/api/embed/text", ["Transfer-Encoding: chunked"],
                                     chunked(j({"text": "chunked"}))),
        "pipelined": http_request("GET", "/api/health", ["Connection: keep-alive"], auth=False) +
        http_request("POST", "/api/search", [], j({"text": "x", "k": 0})),
        "http10": http_request("GET", "/api/health", auth=False, version="HTTP/1.0"),
        "not_found": http_request("DELETE", "/api/nothing/%2e%2e/%00"),
        "too_large": http_request("POST", "/api/embed/image", ["Content-Length: 99999999"]),
        "expect_continue": http_request("POST", "/api/embed/text", ["Expect: 100-continue"], j({"text": "hi"})),
        "bad_json": http_request("POST", "/api/search", [], b"{\"text\": [1, {\"a\": nul"),
        "garbage": b"\x00\xffGET\r\n\r\n",
    }


HTTP_DICT = ["GET", "POST", "HEAD", "PUT", "OPTIONS", "HTTP/1.1", "HTTP/1.0", "\\x0d\\x0a",
             "Host:", "Content-Length:", "Transfer-Encoding: chunked", "Connection: close",
             "Content-Type: multipart/form-data; boundary=", "Content-Type: application/json",
             "Authorization: Bearer " + TOKEN, "Range: bytes=", "Expect: 100-continue",
             "Content-Disposition: form-data; name=\\\"image\\\"", "/api/health", "/api/stats",
             "/api/search", "/api/search/image", "/api/embed/text", "/api/embed/image", "/api/images/",
             "?q=", "&k=", "&threshold=", "token=", "%20", "%00", "\\\"text\\\"", "\\\"like\\\"",
             "\\\"k\\\"", "\\\"threshold\\\"", "--"]


# ---------------------------------------------------------------- main

def copy_shared_images(shared, names):
    out = {}
    for name in names:
        path = os.path.join(shared, "data", "images", name)
        # Larger files slow every run down (libFuzzer sizes its inputs by the biggest seed).
        if os.path.exists(path) and os.path.getsize(path) < 16_000:
            with open(path, "rb") as f:
                out["shared_" + name.replace(".", "_")] = f.read()
    return out


def cluster_seeds():
    """Cluster messages (src/cluster/messages.cpp), each behind the byte that picks its decoder."""
    def s(b):
        return struct.pack("<I", len(b)) + b

    def floats(v):
        return struct.pack("<I", len(v)) + b"".join(struct.pack("<f", x) for x in v)
    job = b"CKJ1" + s(b"/photos/a.png") + s(b"ab" * 32)
    result = (b"CKR1" + s(b"ab:cd") + s(b"/photos/\xff.png") + s(b"ab" * 32) + struct.pack("<QQ", 1234, 5678)
              + s(b"0123456789abcdef") + s(b"") + floats([0.6, 0.8]))
    unreadable = (b"CKR1" + s(b"ab:cd") + s(b"/p.png") + s(b"") + struct.pack("<QQ", 0, 0) + s(b"k")
                  + s(b"/p.png: truncated") + floats([]))
    failure = b"CKF1" + s(b"/p.png") + s(b"delivered 6 times") + struct.pack("<I", 6)
    query = b"CKQ1" + struct.pack("<IBf", 10, 1, 0.25) + floats([1.0, 0.0])
    answer = (b"CKA1" + struct.pack("<I", 1) + s(b"r1") + struct.pack("<QQ", 300, 2) + s(b"exact") + s(b"")
              + struct.pack("<I", 2) + struct.pack("<f", 0.9) + s(b"/a.png") + struct.pack("<f", 0.5) + s(b"/b.png"))
    return {"job": b"\x00" + job, "result": b"\x01" + result, "unreadable": b"\x01" + unreadable,
            "failure": b"\x02" + failure, "query": b"\x03" + query, "answer": b"\x04" + answer}


def write_dict(path, entries):
    with open(path, "w", encoding="utf-8") as f:
        for e in entries:
            f.write('"%s"\n' % e)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="folder to write <target>/ seed folders into")
    parser.add_argument("--shared", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "..", "..", "shared"),
                        help="clipkit's shared fixtures (default: ../shared beside the checkout)")
    args = parser.parse_args()
    shared = os.environ.get("CLIPKIT_SHARED_DIR", args.shared)

    torch, utils, Module = torch_stand_ins()
    pickles, state, module = pickle_seeds(torch, utils, Module)
    pngs = png_seeds()
    bmps = bmp_seeds()
    seeds = {
        "exif": exif_seeds(),
        "png": dict(pngs, **copy_shared_images(shared, ["checker_bilevel.png",
                                                        "chelsea_sliver.png", "chelsea_small.png"])),
        "gif": gif_seeds(),
        "bmp": bmps,
        "webp": webp_seeds(),
        "jpeg": jpeg_seeds(),
        "pickle": pickles,
        "zip": zip_seeds(),
        "torch_zip": torch_zip_seeds(pickles["state_dict_p2"], pickles["torchscript_module"]),
        "safetensors": safetensors_seeds(),
        "tokenizer": tokenizer_seeds(shared),
        "sentencepiece": sentencepiece_seeds(tokenizer_seeds(shared)),
        "wordpiece": wordpiece_seeds(tokenizer_seeds(shared)),
        "http": http_seeds(pngs["rgb"], bmps["rgb24"]),
        "cluster": cluster_seeds(),
    }
    assert sorted(seeds) == sorted(TARGETS)
    total = 0
    for target, files in seeds.items():
        folder = os.path.join(args.out, target)
        os.makedirs(folder, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
            total += 1
    write_dict(os.path.join(args.out, "http.dict"), HTTP_DICT)
    write_dict(os.path.join(args.out, "safetensors.dict"), [e.replace('"', '\\"') for e in SAFETENSORS_DICT])
    print("make_seeds: %d seeds for %d targets in %s" % (total, len(seeds), args.out))


if __name__ == "__main__":
    main()
