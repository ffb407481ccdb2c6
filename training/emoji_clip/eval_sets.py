"""The robustness evaluation sets of issue 16, rendered from data the training never sees:

- common objects: the ten common emoji of COMMON_OBJECTS rendered fresh at 160 px on six
  backgrounds (white, dark, light blue, gradient, noise, a crop of a photo kept out of
  training), plus held-out clip-art drawings of the same objects on varied backgrounds;
  10-way zero-shot with bare labels in English, Chinese and Japanese.
- clip art: held-out drawings (never trained) on white at 64 px, with their top-level
  category, for zero-shot category accuracy.

Deterministic given the seed; independent of the model, so the same files measure the
model before and after retraining.
"""
import os
import random

from PIL import Image

import augment
import clipart

COMMON_BACKGROUNDS = ["white", "dark", "light_blue", "gradient", "noise", "photo"]
COMMON_SIZE = 160
CLIPART_SIZE = 64


def _bg(kind, size, rng, eval_photos):
    if kind == "white":
        return Image.new("RGB", (size, size), (255, 255, 255))
    if kind == "dark":
        return Image.new("RGB", (size, size), (24, 24, 32))
    if kind == "light_blue":
        return Image.new("RGB", (size, size), (173, 216, 230))
    return augment.background(kind, size, rng, eval_photos)


def _place(obj, bg, rng, lo=0.5, hi=0.9):
    size = bg.width
    g = obj.copy()
    if rng.random() < 0.3:
        g = g.rotate(rng.uniform(-12, 12), resample=Image.BICUBIC, expand=True)
    target = int(round(size * rng.uniform(lo, hi)))
    s = target / max(g.width, g.height)
    g = g.resize((max(1, round(g.width * s)), max(1, round(g.height * s))), Image.LANCZOS)
    x = rng.randint(0, max(0, size - g.width))
    y = rng.randint(0, max(0, size - g.height))
    bg.paste(g, (x, y), g)
    return bg


def category_label(top):
    return clipart.readable(top)


def write(ev_dir, seed, emoji, glyphs, items, clip_eval_idx, common):
    """Writes ev_dir/common/*.png and ev_dir/clipart/*.png; returns the JSON sections."""
    os.makedirs(os.path.join(ev_dir, "common"), exist_ok=True)
    os.makedirs(os.path.join(ev_dir, "clipart"), exist_ok=True)
    eval_photos = augment.photos(augment.EVAL_PHOTOS)
    rng = random.Random(seed + 1600)
    glyph_of = {e.seq: g for e, g in zip(emoji, glyphs)}
    objects = list(clipart.COMMON_OBJECTS)
    labels = {"en": objects,
              "zh": [clipart.COMMON_OBJECTS[o][1] for o in objects],
              "ja": [clipart.COMMON_OBJECTS[o][2] for o in objects]}
    images = []
    for o in objects:
        seq = clipart.COMMON_OBJECTS[o][0]
        g = glyph_of[seq]
        for kind in COMMON_BACKGROUNDS:
            img = _place(g, _bg(kind, COMMON_SIZE, rng, eval_photos), rng)
            f = f"common/{o}_{kind}.png"
            img.save(os.path.join(ev_dir, f), optimize=True)
            images.append({"file": f, "object": o, "kind": "emoji", "background": kind,
                           "emoji": seq, "emoji_split": "heldout_emoji" if seq in _heldout_seqs else "train_emoji"})
        for k, i in enumerate(common[o]):
            obj = clipart.load_image(items[i])
            kind = ["white", "photo", "gradient", "light_blue"][k % 4]
            img = _place(obj, _bg(kind, COMMON_SIZE, rng, eval_photos), rng, 0.6, 0.95)
            f = f"common/{o}_clipart{k}.png"
            img.save(os.path.join(ev_dir, f), optimize=True)
            images.append({"file": f, "object": o, "kind": "clipart", "background": kind,
                           "source": "openclipart " + items[i].path + ".svg", "title": items[i].title})
    common_json = {
        "about": "The ten common objects of issue 16: each emoji rendered fresh (never a "
                 "training rendering) at 160 px on six backgrounds, the photo crops from "
                 "photos kept out of training; plus held-out openclipart drawings of the "
                 "same objects. 10-way zero-shot with the bare labels per language.",
        "objects": objects, "labels": labels, "images": images}

    clip_common = {i for v in common.values() for i in v}
    tops = sorted({items[i].top for i in clip_eval_idx if i not in clip_common})
    cimages = []
    for i in clip_eval_idx:
        if i in clip_common:
            continue
        it = items[i]
        obj = clipart.load_image(it)
        if obj is None:
            continue
        f = "clipart/" + it.path.replace("/", "__") + ".png"
        augment.canonical(obj, CLIPART_SIZE).save(os.path.join(ev_dir, f), optimize=True)
        cimages.append({"file": f, "category": it.top, "path": "/".join(it.category),
                        "title": it.title})
    clip_json = {
        "about": "Held-out openclipart drawings (never trained), on white at 64 px, with their "
                 "top-level category; zero-shot against 'a picture of {category}'.",
        "categories": tops, "prompt": "a picture of {}",
        "labels": {t: category_label(t) for t in tops}, "images": cimages}
    return common_json, clip_json


_heldout_seqs = set()


def set_heldout(emoji, eval_idx):
    _heldout_seqs.clear()
    _heldout_seqs.update(emoji[i].seq for i in eval_idx)


def merge_into(ev_dir, seed, emoji, glyphs, eval_idx, items, clip_eval_idx, common):
    """Adds the sections to ev_dir/eval.json (rewriting only them)."""
    import json
    set_heldout(emoji, eval_idx)
    common_json, clip_json = write(ev_dir, seed, emoji, glyphs, items, clip_eval_idx, common)
    path = os.path.join(ev_dir, "eval.json")
    with open(path, encoding="utf-8") as f:
        ev = json.load(f)
    ev["common_objects"] = common_json
    ev["clipart"] = clip_json
    with open(path, "w", encoding="utf-8") as f:
        json.dump(ev, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main():
    import argparse
    import data
    p = argparse.ArgumentParser(description="(Re)write the robustness sets into eval.json")
    p.add_argument("--eval-out", default="tests/data/emoji-eval")
    p.add_argument("--seed", type=int, default=20240501)
    p.add_argument("--train-common", action=argparse.BooleanOptionalAction, default=True, help="as train.py's")
    a = p.parse_args()
    emoji = data.load_all()
    _, eval_idx, _ = data.split(emoji, a.seed, keep=clipart.common_emoji() if a.train_common else ())
    glyphs = [data.render_glyph(e.seq) for e in emoji]
    items = clipart.load_index()
    _, clip_eval_idx, common = clipart.split(items, a.seed)
    merge_into(a.eval_out, a.seed, emoji, glyphs, eval_idx, items, clip_eval_idx, common)


if __name__ == "__main__":
    main()
