"""Clip art from Debian's openclipart-png / openclipart-svg (0.18): 8,121 drawings
dedicated to the public domain (CC0-style "Public Domain Dedication", see
/usr/share/doc/openclipart-png/copyright), in category folders. Each PNG is paired with
its SVG, whose RDF metadata gives a title (dc:title) and keywords (dc:subject).

Left out: logos/ (trademarks: not ours to redistribute even if the drawing is
dedicated), special/ (patterns, gradients, page examples) and unsorted/ (no category,
mostly series titles such as "various cliparts").
English captions only: the category path, the keywords and the title.
"""
import html
import os
import random
import re
from dataclasses import dataclass, field

from PIL import Image

PNG_ROOT = "/usr/share/openclipart/png"
SVG_ROOT = "/usr/share/openclipart/svg"
EXCLUDE_TOP = {"logos", "special", "unsorted"}
EXCLUDE_DIRS = {"unsorted/duplicates"}
MAX_SIDE = 128
MAX_PIXELS = 16_000_000  # a few PNGs are rendered at 10-600 Mpixel: left out
Image.MAX_IMAGE_PIXELS = None  # sizes are checked from the header in load_index

# The ten common objects of issue 16; drawings that show them are held out first.
COMMON_OBJECTS = {
    # name: (emoji, zh, ja, words that mark a drawing of it in its title or file name)
    "dog": ("\U0001F436", "狗", "犬", ["dog", "puppy"], ["animals"]),
    "cat": ("\U0001F431", "猫", "猫", ["cat", "kitten"], ["animals"]),
    "pizza": ("\U0001F355", "披萨", "ピザ", ["pizza"], ["food"]),
    "car": ("\U0001F697", "汽车", "車", ["car", "automobile"], ["transportation"]),
    "rocket": ("\U0001F680", "火箭", "ロケット", ["rocket"], ["transportation", "science"]),
    "tree": ("\U0001F333", "树", "木", ["tree"], ["plants"]),
    "heart": ("\u2764\ufe0f", "心", "ハート", ["heart"], ["signs_and_symbols", "recreation", "shapes"]),
    "sun": ("\u2600\ufe0f", "太阳", "太陽", ["sun"], ["signs_and_symbols", "geography", "science"]),
    "banana": ("\U0001F34C", "香蕉", "バナナ", ["banana"], ["food"]),
    "guitar": ("\U0001F3B8", "吉他", "ギター", ["guitar"], ["recreation"]),
}


def common_emoji():
    """The emoji sequences of the ten common objects."""
    return {v[0] for v in COMMON_OBJECTS.values()}


GENERIC_KEYWORDS = {
    "clip art", "clipart", "image", "media", "public domain", "svg", "png", "externalsource",
    "openclipart", "open clip art", "drawing", "illustration", "picture", "cartoon",
    "colour", "color", "how-to", "remix", "icon", "icons", "symbol", "art", "line art",
    "black and white", "bw", "png", "graphic", "graphics", "vector", "simple",
}


@dataclass
class ClipArt:
    path: str          # relative to PNG_ROOT, without extension
    category: list     # folder names, e.g. ["animals", "mammals"]
    title: str
    keywords: list = field(default_factory=list)

    @property
    def top(self):
        return self.category[0] if self.category else ""


def readable(name):
    return re.sub(r"\s+", " ", name.replace("_", " ").replace("-", " ")).strip().lower()


def _clean(text):
    text = html.unescape(text)
    text = re.sub(r"\s+", " ", text).strip()
    return text


def parse_svg(path):
    """(title, [keywords]) from the SVG's RDF metadata (the work's dc:title, dc:subject)."""
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as f:
            s = f.read(200000)
    except OSError:
        return "", []
    m = re.search(r"<cc:Work\b.*?</cc:Work>", s, re.S)
    block = m.group(0) if m else s
    t = re.search(r"<dc:title[^>]*>(.*?)</dc:title>", block, re.S)
    title = _clean(t.group(1)) if t else ""
    subj = re.search(r"<dc:subject>(.*?)</dc:subject>", block, re.S)
    kws = []
    if subj:
        kws = [_clean(k) for k in re.findall(r"<rdf:li>(.*?)</rdf:li>", subj.group(1), re.S)]
    return title, kws


def load_index():
    items = []
    for dirpath, dirnames, filenames in os.walk(PNG_ROOT):
        dirnames.sort()
        rel = os.path.relpath(dirpath, PNG_ROOT)
        parts = [] if rel == "." else rel.split(os.sep)
        if parts and (parts[0] in EXCLUDE_TOP or "/".join(parts[:2]) in EXCLUDE_DIRS):
            continue
        for fn in sorted(filenames):
            if not fn.endswith(".png"):
                continue
            stem = os.path.join(rel, fn[:-4]) if parts else fn[:-4]
            with Image.open(os.path.join(dirpath, fn)) as im:
                if im.width * im.height > MAX_PIXELS:
                    continue
            title, kws = parse_svg(os.path.join(SVG_ROOT, stem + ".svg"))
            title_c = readable(title) if title else ""
            if title_c.startswith("clipart by nicu buculei"):
                # Nicu Buculei's drawings carry a series title; the file name names them.
                title_c = readable(re.sub(r"[\d_]+$", "", fn[:-4]))
            if title_c in {"", "untitled", "open clip art library"}:
                title_c = ""
            cat = [] if parts == ["unsorted"] else parts
            kw_c, seen = [], set()
            for k in kws:
                kc = readable(k)
                if (not kc or kc in GENERIC_KEYWORDS or len(kc) > 30 or kc in seen
                        or kc.startswith("hash") or re.fullmatch(r"[\d\W_]+", kc)):
                    continue
                seen.add(kc)
                kw_c.append(kc)
            if not (cat or title_c or kw_c):
                continue
            items.append(ClipArt(stem, cat, title_c, kw_c))
    return items


def load_image(item):
    """RGBA, cropped to its visible content, at most MAX_SIDE px on the longer side."""
    im = Image.open(os.path.join(PNG_ROOT, item.path + ".png"))
    im.load()
    if im.mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    elif im.mode == "LA":
        im = im.convert("RGBA")
    im = im.convert("RGBA")
    bbox = im.getchannel("A").getbbox()
    if bbox is None:
        return None
    im = im.crop(bbox)
    if im.width < 4 or im.height < 4:
        return None
    # Keep the aspect ratio sane for tall/wide strips.
    im.thumbnail((MAX_SIDE, MAX_SIDE), Image.LANCZOS)
    return im


def is_common(item, words, tops):
    if item.top not in tops or "flags" in item.category:
        return False
    return any(re.search(r"\b" + w + r"s?\b", item.title) for w in words)


def split(items, seed, holdout_frac=0.03, common_per_object=2):
    """Seeded held-out drawings: up to `common_per_object` drawings of each common
    object, then `holdout_frac` of each top-level category. Returns
    (train_idx, eval_idx, common: object -> [eval idx])."""
    rng = random.Random(seed + 16)
    common = {}
    held = set()
    for name, (_, _, _, words, tops) in COMMON_OBJECTS.items():
        cand = [i for i, it in enumerate(items) if i not in held and is_common(it, words, tops)]
        rng.shuffle(cand)
        common[name] = sorted(cand[:common_per_object])
        held |= set(common[name])
    by_top = {}
    for i, it in enumerate(items):
        if it.category and i not in held:
            by_top.setdefault(it.top, []).append(i)
    for top in sorted(by_top):
        idx = by_top[top][:]
        rng.shuffle(idx)
        held |= set(idx[: max(1, int(round(holdout_frac * len(idx))))])
    train_idx = [i for i in range(len(items)) if i not in held]
    return train_idx, sorted(held), common


TEMPLATES = ["{}", "{}", "a picture of {}", "a drawing of {}", "clip art of {}", "an icon of {}"]


def phrases(item):
    """(title or None, [keywords], [category phrases])."""
    cats = []
    if item.category:
        cats.append(readable(item.category[0]))
        if len(item.category) > 1:
            cats.append(readable(item.category[-1]))
            cats.append(readable(item.category[0]) + " " + readable(item.category[-1]))
    return (item.title or None), item.keywords, cats
