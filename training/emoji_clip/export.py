"""Export a trained emoji CLIP as an open_clip-style folder, plus the held-out evaluation
set and the PyTorch export-parity cases that clipkit's C++ tests read.

    /usr/bin/python3 training/emoji_clip/export.py   # re-export from build-default-train/checkpoint.pt
"""
import json
import os
import random
import struct
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clipart  # noqa: E402
import data  # noqa: E402
import eval_sets  # noqa: E402
from model import CLIP  # noqa: E402

MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]


def write_safetensors(tensors, path, metadata):
    """tensors: name -> torch tensor (stored as F16). JSON header + raw little-endian bytes."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        arr = tensors[name].detach().to(torch.float16).contiguous().numpy().astype("<f2")
        b = arr.tobytes()
        header[name] = {"dtype": "F16", "shape": list(arr.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        raw = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F16"
        s, e = info["data_offsets"]
        arr = np.frombuffer(raw[s:e], dtype="<f2").reshape(info["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32))
    return out


def clip_preprocess(path, n):
    """OpenAI's transform: Resize(n, bicubic) on the shorter side, CenterCrop(n), RGB,
    ToTensor, Normalize — with Pillow, as torchvision 0.14 does it."""
    img = Image.open(path)
    w, h = img.size
    if (w <= h and w == n) or (h <= w and h == n):
        pass
    else:
        if w < h:
            size = (n, int(n * h / w))
        else:
            size = (int(n * w / h), n)
        img = img.resize(size, Image.BICUBIC)
    w, h = img.size
    top, left = int(round((h - n) / 2.0)), int(round((w - n) / 2.0))
    img = img.crop((left, top, left + n, top + n)).convert("RGB")
    x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)
    return (x - torch.tensor(MEAN)[:, None, None]) / torch.tensor(STD)[:, None, None]


def hexname(seq):
    return "-".join(f"{ord(c):x}" for c in seq if c != "\ufe0f")


def export_all(model, cfg, tok, emoji, eval_idx, held_kw, glyphs, a, train_s, total_s,
               clip_items, clip_eval, clip_common):
    out, ev = a.out, a.eval_out
    os.makedirs(out, exist_ok=True)
    os.makedirs(os.path.join(ev, "images"), exist_ok=True)
    os.makedirs(os.path.join(ev, "parity"), exist_ok=True)

    # 1. weights + config.
    st_path = os.path.join(out, "open_clip_model.safetensors")
    write_safetensors(model.state_dict(), st_path,
                      {"format": "pt", "model": "emoji-clip", "seed": str(a.seed)})
    conf = {"model_cfg": cfg,
            "preprocess_cfg": {"mean": MEAN, "std": STD, "interpolation": "bicubic",
                               "resize_mode": "shortest"}}
    with open(os.path.join(out, "open_clip_config.json"), "w") as f:
        json.dump(conf, f, indent=2)
        f.write("\n")

    # 2. reload the exported fp16 weights for fp32 reference outputs.
    ref = CLIP(cfg)
    ref.load_state_dict(read_safetensors(st_path))
    ref.eval()
    n = cfg["vision_cfg"]["image_size"]
    ctx = cfg["text_cfg"]["context_length"]

    # 3. held-out evaluation set: the held-out emoji, plus training emoji that carry a
    # few of the held-out keywords (their images were trained on, those words never).
    groups = sorted({emoji[i].group for i in eval_idx})
    eval_set = set(eval_idx)
    krng = random.Random(a.seed + 11)
    keyword_emoji = set()
    for lang in data.EVAL_LANGS:
        owners = {}
        for i, e in enumerate(emoji):
            if i in eval_set:
                continue
            for k in e.keywords.get(lang, []):
                if k.lower() in held_kw[lang]:
                    owners.setdefault(k.lower(), set()).add(i)
        specific = sorted(k for k, o in owners.items() if len(o) <= 3)
        krng.shuffle(specific)
        for k in specific[:12]:
            keyword_emoji |= owners[k]
    items = []
    for i in list(eval_idx) + sorted(keyword_emoji):
        e = emoji[i]
        fname = f"images/{hexname(e.seq)}.png"
        data.canonical_view(glyphs[i], n).save(os.path.join(ev, fname), optimize=True)
        items.append({
            "file": fname, "emoji": e.seq, "group": e.group, "subgroup": e.subgroup,
            "split": "heldout_emoji" if i in eval_set else "train_emoji",
            "names": {l: e.names[l] for l in data.EVAL_LANGS if l in e.names},
            "keywords": {l: e.keywords.get(l, []) for l in data.EVAL_LANGS},
            "heldout_keywords": {l: [k for k in e.keywords.get(l, []) if k.lower() in held_kw[l]]
                                 for l in data.EVAL_LANGS},
        })
    with open(os.path.join(ev, "eval.json"), "w", encoding="utf-8") as f:
        json.dump({
            "about": "split heldout_emoji: emoji never seen in training (by image or text); "
                     "split train_emoji: trained emoji carrying held-out keywords (keywords "
                     "never used as captions). Rendered on white at the model's resolution; "
                     "names and keywords per language from CLDR. Made by "
                     "training/emoji_clip/export.py.",
            "seed": a.seed,
            "languages": data.EVAL_LANGS,
            "groups": groups,
            "group_prompt": "a picture of {}",
            "group_labels": {g: data.group_caption(g) for g in groups},
            "images": items,
        }, f, ensure_ascii=False, indent=1)
        f.write("\n")
    # The issue-16 robustness sets (common objects on varied backgrounds, held-out clip art).
    eval_sets.merge_into(ev, a.seed, emoji, glyphs, eval_idx, clip_items, clip_eval, clip_common)

    # 4. export parity: a few eval images, two odd-sized renders (exercise resize/crop), texts.
    rng = random.Random(a.seed + 7)
    parity_images = [it["file"] for it in items[:: max(1, len(items) // 4)][:4]]
    for k, (w, h) in enumerate([(96, 80), (50, 70)]):
        i = eval_idx[k]
        img = data.augmented_view(glyphs[i], max(w, h), rng).resize((w, h), Image.BICUBIC)
        fname = f"parity/odd_{k}_{w}x{h}.png"
        img.save(os.path.join(ev, fname))
        parity_images.append(fname)
    texts = ["a picture of a cat", "grinning face", "猫", "ねこの絵文字", "una imagen de un perro",
             "флаг: Франция", "وجه مبتسم", "red heart", "a picture of food and drink"]
    with torch.no_grad():
        img_t = torch.stack([clip_preprocess(os.path.join(ev, p), n) for p in parity_images])
        img_f = ref.encode_image(img_t)
        rows = [tok.tokenize(t, ctx) for t in texts]
        txt_f = ref.encode_text(torch.tensor(rows))
    with open(os.path.join(ev, "parity.json"), "w", encoding="utf-8") as f:
        json.dump({
            "about": "PyTorch fp32 outputs (projection, not normalized) of the exported fp16 "
                     "weights; images preprocessed with OpenAI's transform.",
            "images": [{"file": p, "embedding": [round(v, 7) for v in e.tolist()]}
                       for p, e in zip(parity_images, img_f)],
            "texts": [{"text": t, "tokens": r, "embedding": [round(v, 7) for v in e.tolist()]}
                      for t, r, e in zip(texts, rows, txt_f)],
            "logit_scale": ref.logit_scale.exp().item(),
        }, f, ensure_ascii=False)
        f.write("\n")

    with open(os.path.join(a.cache, "timing.json"), "w") as f:
        json.dump({"train_seconds": train_s, "total_seconds": total_s}, f)
    print(f"[export] {out} and {ev} written", flush=True)


def main():
    import argparse
    import bpe
    import train
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--checkpoint", default="build-default-train/checkpoint.pt")
    p.add_argument("--train-seconds", type=float, default=0.0)
    args, rest = p.parse_known_args()
    sys.argv = [sys.argv[0]] + rest
    # Reuse train.py's argument defaults (dims, seed, paths).
    ap = argparse.Namespace(**{k: v for k, v in vars(train.parse_args_only()).items()})
    emoji = data.load_all()
    _, eval_idx, held_kw = data.split(emoji, ap.seed, keep=train.common_keep(ap))
    glyphs = [data.render_glyph(e.seq) for e in emoji]
    tok = bpe.Tokenizer.load(os.path.join(ap.out, "merges.txt"))
    cfg = train.model_config(ap, tok.vocab_size)
    model = CLIP(cfg)
    model.load_state_dict(torch.load(args.checkpoint))
    clip_items = clipart.load_index()
    _, clip_eval, clip_common = clipart.split(clip_items, ap.seed)
    export_all(model, cfg, tok, emoji, eval_idx, held_kw, glyphs, ap, args.train_seconds, 0.0,
               clip_items, clip_eval, clip_common)


if __name__ == "__main__":
    main()
