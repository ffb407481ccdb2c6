"""Emoji data from Debian packages: the emoji list (unicode-data), names and keywords in
many languages (unicode-cldr-core), glyph bitmaps (fonts-noto-color-emoji), the seeded
held-out split, caption templates and augmented renderings.

Everything is deterministic given the seed.
"""
import html
import random
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFont

EMOJI_TEST = "/usr/share/unicode/emoji/emoji-test.txt"
CLDR = "/usr/share/unicode/cldr/common"
FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"

# Languages trained on (CLDR locale names); the first six are the ones quality is
# reported for. Fewer languages train better in the CPU budget than many.
LANGS = ["en", "zh", "ja", "es", "ru", "ar", "fr", "de"]
EVAL_LANGS = ["en", "zh", "ja", "es", "ru", "ar"]

# Caption templates per language: "{}" alone (the bare name or keyword) and a few
# "a picture of {}" forms, written by hand for each language.
TEMPLATES = {
    "en": ["{}", "{}", "a picture of {}", "an emoji of {}", "{} emoji", "an icon of {}"],
    "zh": ["{}", "{}", "{}的图片", "{}表情", "一个{}的表情符号"],
    "ja": ["{}", "{}", "{}の絵", "{}の絵文字", "{}のアイコン"],
    "es": ["{}", "{}", "una imagen de {}", "emoji de {}", "un icono de {}"],
    "ru": ["{}", "{}", "картинка: {}", "эмодзи {}", "значок: {}"],
    "ar": ["{}", "{}", "صورة {}", "رمز تعبيري {}", "أيقونة {}"],
    "fr": ["{}", "{}", "une image de {}", "émoji {}", "une icône de {}"],
    "de": ["{}", "{}", "ein Bild von {}", "Emoji {}", "ein Symbol für {}"],
}

SKIN_TONES = set(chr(c) for c in range(0x1F3FB, 0x1F400))


def key_of(seq):
    """Annotation key: the sequence without variation selectors."""
    return seq.replace("\ufe0f", "").replace("\ufe0e", "")


@dataclass
class Emoji:
    seq: str
    group: str
    subgroup: str
    name_en: str  # emoji-test.txt name
    names: dict = field(default_factory=dict)     # lang -> tts name
    keywords: dict = field(default_factory=dict)  # lang -> [keyword]


def load_emoji_list():
    out, group, subgroup = [], None, None
    for line in open(EMOJI_TEST, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("# group:"):
            group = line.split(":", 1)[1].strip()
        elif line.startswith("# subgroup:"):
            subgroup = line.split(":", 1)[1].strip()
        elif line and not line.startswith("#"):
            cps, rest = line.split(";", 1)
            status, comment = rest.split("#", 1)
            if status.strip() != "fully-qualified" or group == "Component":
                continue
            seq = "".join(chr(int(c, 16)) for c in cps.split())
            if any(ch in SKIN_TONES for ch in seq):
                continue
            # comment: " 😀 E1.0 grinning face"
            name = re.sub(r"^\s*\S+\s+E\d+\.\d+\s+", "", comment).strip()
            out.append(Emoji(seq, group, subgroup, name))
    return out


def load_annotations(lang):
    """key -> (tts name, [keywords]) from annotations/ and annotationsDerived/."""
    names, keywords = {}, {}
    for sub in ("annotations", "annotationsDerived"):
        try:
            root = ET.parse(f"{CLDR}/{sub}/{lang}.xml").getroot()
        except FileNotFoundError:
            continue
        for a in root.iter("annotation"):
            text = (a.text or "").strip()
            if not text or text == "↑↑↑":
                continue
            k = key_of(a.get("cp"))
            if a.get("type") == "tts":
                names[k] = text
            else:
                keywords[k] = [w.strip() for w in text.split("|") if w.strip()]
    return names, keywords


def clean_caption(text):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", html.unescape(text))).strip()


def load_all():
    emoji = load_emoji_list()
    for lang in LANGS:
        names, kws = load_annotations(lang)
        for e in emoji:
            k = key_of(e.seq)
            if k in names:
                e.names[lang] = clean_caption(names[k])
            if k in kws:
                e.keywords[lang] = [clean_caption(w) for w in kws[k]]
    for e in emoji:
        e.names.setdefault("en", e.name_en)
    return emoji


# ---------------------------------------------------------------- rendering

_font = None


def render_glyph(seq):
    """RGBA crop of the glyph at the font's native 109 px strike, or None if the font
    has no colour glyph for it (empty or monochrome fallback)."""
    global _font
    if _font is None:
        _font = ImageFont.truetype(FONT, 109)
    canvas = Image.new("RGBA", (160 * max(1, len(seq)), 160), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((0, 0), seq, font=_font, embedded_color=True)
    bbox = canvas.getbbox()
    if bbox is None:
        return None
    crop = canvas.crop(bbox)
    w, h = crop.size
    # A sequence the font cannot join renders as several glyphs side by side.
    if w > 1.3 * 136 or h < 20 or w < 20:
        return None
    return crop


def canonical_view(glyph, size):
    """The evaluation rendering: white background, emoji 80% of the side, centred."""
    bg = Image.new("RGB", (size, size), (255, 255, 255))
    g = glyph.copy()
    s = int(round(size * 0.8))
    g.thumbnail((s, s), Image.LANCZOS)
    bg.paste(g, ((size - g.width) // 2, (size - g.height) // 2), g)
    return bg


def augmented_view(glyph, size, rng):
    """A random rendering: background colour, scale, position (partly cropped at the
    edges), slight rotation, and sometimes a render at a larger size that is
    downscaled with bicubic as the engine does at inference."""
    r = rng.random()
    if r < 0.35:
        bgc = (255, 255, 255)
    elif r < 0.45:
        bgc = (0, 0, 0)
    elif r < 0.6:
        v = rng.randint(0, 255)
        bgc = (v, v, v)
    else:
        bgc = tuple(rng.randint(0, 255) for _ in range(3))
    render = size if rng.random() < 0.7 else rng.choice([size + size // 2, 2 * size, 3 * size])
    g = glyph
    angle = rng.uniform(-15, 15) if rng.random() < 0.6 else 0.0
    if angle:
        g = g.rotate(angle, resample=Image.BICUBIC, expand=True)
    frac = rng.uniform(0.5, 1.0)
    target = max(8, int(round(render * frac)))
    scale = target / max(glyph.width, glyph.height)
    g = g.resize((max(1, int(round(g.width * scale))), max(1, int(round(g.height * scale)))),
                 Image.LANCZOS)
    slack_x, slack_y = render - g.width, render - g.height
    # Positions may push up to 15% of the emoji outside the canvas (a crop).
    mx, my = int(0.15 * g.width), int(0.15 * g.height)
    x = rng.randint(min(0, slack_x) - mx, max(0, slack_x) + mx)
    y = rng.randint(min(0, slack_y) - my, max(0, slack_y) + my)
    bg = Image.new("RGB", (render, render), bgc)
    bg.paste(g, (x, y), g)
    if render != size:
        bg = bg.resize((size, size), Image.BICUBIC)
    return bg


# ---------------------------------------------------------------- split + captions

def split(emoji, seed, holdout_frac=0.08, keyword_frac=0.05, keep=()):
    """Seeded held-out emoji (stratified by group) and held-out keyword strings per
    language. Emoji in `keep` (sequences) are never held out: the next one of their group
    in the seeded order is taken instead, so the rest of the split does not move.
    Returns (train_idx, eval_idx, heldout_keywords: lang -> set)."""
    rng = random.Random(seed)
    by_group = {}
    for i, e in enumerate(emoji):
        # Only emoji named in every reported language can be held out.
        if all(l in e.names for l in EVAL_LANGS):
            by_group.setdefault(e.group, []).append(i)
    eval_idx = []
    for g in sorted(by_group):
        idx = by_group[g][:]
        rng.shuffle(idx)
        idx = [i for i in idx if emoji[i].seq not in keep] + [i for i in idx if emoji[i].seq in keep]
        eval_idx += idx[: max(1, int(round(holdout_frac * len(idx))))]
    eval_set = set(eval_idx)
    train_idx = [i for i in range(len(emoji)) if i not in eval_set]
    held_kw = {}
    for lang in LANGS:
        names = {e.names.get(lang, "").lower() for e in emoji}
        kws = sorted({k.lower() for e in emoji for k in e.keywords.get(lang, [])} - names)
        rng.shuffle(kws)
        held_kw[lang] = set(kws[: int(round(keyword_frac * len(kws)))])
    return train_idx, sorted(eval_idx), held_kw


def group_caption(group):
    return group.lower().replace("&", "and")


def training_phrases(e, held_kw):
    """lang -> (name or None, [keywords usable in training])."""
    out = {}
    for lang in LANGS:
        name = e.names.get(lang)
        kws = [k for k in e.keywords.get(lang, []) if k.lower() not in held_kw[lang]]
        if lang == "en" and e.name_en and e.name_en != name:
            kws = kws + [e.name_en]
        if name or kws:
            out[lang] = (name, kws)
    return out
