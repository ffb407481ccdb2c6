"""Robustness augmentation for emoji and clip art: random backgrounds (solid, gradient,
noise, crops of scikit-image's sample photos), scale, position, rotation, padding and
JPEG re-encoding. Deterministic given the caller's random.Random.

Photos: the CC0 / public-domain sample images that Debian's python3-skimage ships in
skimage/data/ (licences in their docstrings, skimage/data/_fetchers.py). Training uses
TRAIN_PHOTOS; the held-out evaluation renders use EVAL_PHOTOS only, so no photo
background of the evaluation set was ever seen in training. Photos that show objects
we caption (chelsea: a cat; rocket: a rocket) are left out.
"""
import io

import numpy as np
from PIL import Image, ImageFilter

SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data"
# name -> licence (skimage/data/_fetchers.py docstrings)
TRAIN_PHOTOS = {
    "astronaut.png": "public domain (NASA)",
    "brick.png": "CC0 (CC0Textures)",
    "camera.png": "CC0 (Lav Varshney)",
    "grass.png": "CC0 (CC0Textures)",
    "hubble_deep_field.jpg": "public domain (NASA)",
    "clock_motion.png": "public domain (Stefan van der Walt)",
}
EVAL_PHOTOS = {
    "coffee.png": "CC0 (Rachel Michetti)",
    "gravel.png": "CC0 (CC0Textures)",
}

_photos = {}


def photos(names):
    out = []
    for n in sorted(names):
        if n not in _photos:
            im = Image.open(f"{SKIMAGE_DATA}/{n}").convert("RGB")
            im.thumbnail((320, 320), Image.LANCZOS)
            _photos[n] = im
        out.append(_photos[n])
    return out


def _rand_color(rng):
    return tuple(rng.randint(0, 255) for _ in range(3))


def background(kind, size, rng, photo_list):
    if kind == "white":
        return Image.new("RGB", (size, size), (255, 255, 255))
    if kind == "solid":
        r = rng.random()
        if r < 0.2:
            c = (rng.randint(0, 40),) * 3  # dark
        elif r < 0.4:
            v = rng.randint(0, 255)
            c = (v, v, v)
        elif r < 0.6:  # light tints (light blue, cream, pink, ...)
            c = tuple(rng.randint(170, 255) for _ in range(3))
        else:
            c = _rand_color(rng)
        return Image.new("RGB", (size, size), c)
    if kind == "gradient":
        c0 = np.array(_rand_color(rng), np.float32)
        c1 = np.array(_rand_color(rng), np.float32)
        a = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / max(1, size - 1)
        t = (np.cos(a) * xx + np.sin(a) * yy)
        t = (t - t.min()) / max(1e-6, t.max() - t.min())
        img = c0 + (c1 - c0) * t[..., None]
        return Image.fromarray(img.clip(0, 255).astype(np.uint8))
    if kind == "noise":
        nrng = np.random.default_rng(rng.getrandbits(32))
        cells = rng.choice([2, 4, 8, 16, size])
        base = nrng.integers(0, 256, (cells, cells, 3), dtype=np.uint8)
        img = Image.fromarray(base).resize((size, size), Image.BICUBIC)
        arr = np.asarray(img, np.float32)
        arr = arr + nrng.normal(0, rng.uniform(0, 30), arr.shape)
        return Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    if kind == "photo":
        p = photo_list[rng.randrange(len(photo_list))]
        side = min(p.width, p.height)
        s = int(side * rng.uniform(0.25, 1.0))
        x = rng.randint(0, p.width - s)
        y = rng.randint(0, p.height - s)
        img = p.crop((x, y, x + s, y + s)).resize((size, size), Image.BICUBIC)
        if rng.random() < 0.3:
            img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.0)))
        return img
    raise ValueError(kind)


BG_KINDS = ["white", "solid", "gradient", "noise", "photo"]
BG_WEIGHTS = [0.25, 0.25, 0.17, 0.1, 0.23]


def jpeg(img, rng):
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=rng.randint(25, 90))
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def place(obj, size, rng, photo_list, bg_kind=None, frac=None, out_size=None, jpeg_p=0.25,
          rotate_p=0.5, max_angle=20):
    """obj: RGBA image. Renders at `render` px (sometimes larger, then bicubic-downscaled
    to out_size as the engine's preprocessing does) on a random background."""
    out_size = out_size or size
    if bg_kind is None:
        bg_kind = rng.choices(BG_KINDS, BG_WEIGHTS)[0]
    render = out_size if rng.random() < 0.6 else rng.choice([out_size + out_size // 2, 2 * out_size, 3 * out_size])
    g = obj
    if rng.random() < rotate_p:
        g = g.rotate(rng.uniform(-max_angle, max_angle), resample=Image.BICUBIC, expand=True)
    if frac is None:
        frac = rng.uniform(0.35, 1.0)
    target = max(8, int(round(render * frac)))
    scale = target / max(g.width, g.height)
    g = g.resize((max(1, int(round(g.width * scale))), max(1, int(round(g.height * scale)))),
                 Image.LANCZOS)
    slack_x, slack_y = render - g.width, render - g.height
    mx, my = int(0.12 * g.width), int(0.12 * g.height)
    x = rng.randint(min(0, slack_x) - mx, max(0, slack_x) + mx)
    y = rng.randint(min(0, slack_y) - my, max(0, slack_y) + my)
    bg = background(bg_kind, render, rng, photo_list)
    bg.paste(g, (x, y), g)
    if render != out_size:
        bg = bg.resize((out_size, out_size), Image.BICUBIC)
    if rng.random() < jpeg_p:
        bg = jpeg(bg, rng)
    return bg


def canonical(obj, size, frac=0.8):
    bg = Image.new("RGB", (size, size), (255, 255, 255))
    g = obj.copy()
    s = int(round(size * frac))
    g.thumbnail((s, s), Image.LANCZOS)
    bg.paste(g, ((size - g.width) // 2, (size - g.height) // 2), g)
    return bg
