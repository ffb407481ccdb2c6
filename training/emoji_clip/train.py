"""Train the emoji CLIP from scratch: data -> BPE -> contrastive training -> export.

    nice -n 10 /usr/bin/python3 training/emoji_clip/train.py --out models/emoji-clip

Seeded and deterministic on one machine (same torch build and thread count).
"""
import argparse
import math
import os
import random
import sys
import time

# Under CPU contention, OpenMP worker threads that spin-wait slow training ~5x.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import augment  # noqa: E402
import bpe  # noqa: E402
import clipart  # noqa: E402
import data  # noqa: E402
from model import CLIP  # noqa: E402

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def model_config(a, vocab_size):
    return {
        "embed_dim": a.embed_dim,
        "quick_gelu": False,
        "vision_cfg": {"image_size": a.image_size, "layers": a.vision_layers,
                       "width": a.vision_width, "patch_size": a.patch_size,
                       "heads": a.vision_width // 64},
        "text_cfg": {"context_length": a.context_length, "vocab_size": vocab_size,
                     "width": a.text_width, "heads": a.text_width // 64,
                     "layers": a.text_layers},
    }


def to_tensor(images_u8):
    x = torch.from_numpy(images_u8).float().div_(255.0)
    x = (x - torch.from_numpy(MEAN)) / torch.from_numpy(STD)
    return x.permute(0, 3, 1, 2).contiguous()


class Captions:
    """Every training caption string, its token ids, and which item it describes. Items
    are emoji (ids 0..len(emoji)-1) and clip art (ids len(emoji) + clip-art index)."""

    def __init__(self, emoji, train_idx, held_kw, tok, context_length, clip_items=(), clip_train=(),
                 lang_weights=None, bare_p=0.0):
        self.tok, self.ctx = tok, context_length
        self.lang_weights = lang_weights or {}
        self.bare_p = bare_p
        self.bare = {}       # emoji index -> lang -> [name and keywords, no template]
        self.per_emoji = {}  # emoji index -> lang -> (name_texts, keyword_texts)
        self.group_texts = {}
        self.owners = {}     # caption text -> set of emoji indices
        for i in train_idx:
            e = emoji[i]
            d = {}
            for lang, (name, kws) in data.training_phrases(e, held_kw).items():
                tpl = data.TEMPLATES[lang]
                names = [t.format(name) for t in tpl] if name else []
                kwt = [t.format(k) for k in kws for t in tpl]
                d[lang] = (names, kwt)
                self.bare.setdefault(i, {})[lang] = ([name] if name else []) + list(kws)
                for s in names + kwt:
                    self.owners.setdefault(s, set()).add(i)
            self.per_emoji[i] = d
            g = data.group_caption(e.group)
            gt = [t.format(g) for t in data.TEMPLATES["en"]]
            self.group_texts[i] = gt
            for s in gt:
                self.owners.setdefault(s, set()).add(i)
        self.clip = {}  # item id -> (titles, keyword texts, category texts)
        base = len(emoji)
        for c in clip_train:
            title, kws, cats = clipart.phrases(clip_items[c])
            tpl = clipart.TEMPLATES
            d = ([t.format(title) for t in tpl] if title else [],
                 [t.format(k) for k in kws for t in tpl],
                 [t.format(k) for k in cats for t in tpl])
            self.clip[base + c] = d
            for s in d[0] + d[1] + d[2]:
                self.owners.setdefault(s, set()).add(base + c)
        self.ids = {}

    def all_texts(self):
        return sorted(self.owners)

    def tokenize_all(self):
        for s in self.all_texts():
            self.ids[s] = self.tok.tokenize(s, self.ctx)

    def sample(self, i, rng):
        r = rng.random()
        if i in self.clip:
            titles, kws, cats = self.clip[i]
            if (r < 0.25 and cats) or not (titles or kws):
                return rng.choice(cats)
            if (r < 0.65 and titles) or not kws:
                return rng.choice(titles)
            return rng.choice(kws)
        if r < 0.06:
            return rng.choice(self.group_texts[i])
        d = self.per_emoji[i]
        langs = sorted(d)
        if self.lang_weights:
            lang = rng.choices(langs, [self.lang_weights.get(l, 1.0) for l in langs])[0]
        else:
            lang = rng.choice(langs)
        if self.bare_p and rng.random() < self.bare_p:
            return rng.choice(self.bare[i][lang])
        names, kws = d[lang]
        if (r < 0.55 and names) or not kws:
            return rng.choice(names)
        return rng.choice(kws)


def render_views(glyphs, indices, views, size, seed, canonical=None, robust=True):
    """views[n, 0] is the canonical rendering (white, centred), the rest augmented:
    robust: augment.place (solid/gradient/noise/photo backgrounds, scale, position,
    rotation, JPEG); else data.augmented_view (issue 4: solid colours only)."""
    canonical = canonical or data.canonical_view
    train_photos = augment.photos(augment.TRAIN_PHOTOS)
    place = (lambda g, rng: augment.place(g, size, rng, train_photos)) if robust else \
        (lambda g, rng: data.augmented_view(g, size, rng))
    out = np.empty((len(indices), views, size, size, 3), dtype=np.uint8)
    for n, i in enumerate(indices):
        rng = random.Random(seed * 100003 + i)
        out[n, 0] = np.asarray(canonical(glyphs[i], size))
        for v in range(1, views):
            out[n, v] = np.asarray(place(glyphs[i], rng))
    return out


def _load_clip_images(args):
    items, idx = args
    return [clipart.load_image(items[i]) for i in idx]


def load_clip_images(items, idx, cache):
    """RGBA drawings (cropped, <= 128 px), decoded once and cached as a pickle."""
    import pickle
    if not idx:
        return []
    path = os.path.join(cache, "clipart-images.pkl")
    if os.path.exists(path):
        with open(path, "rb") as f:
            got = pickle.load(f)
        if got["idx"] == list(idx):
            return got["images"]
    import multiprocessing
    chunks = [list(idx[k::8]) for k in range(8)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        res = pool.map(_load_clip_images, [(items, c) for c in chunks])
    out = {}
    for c, r in zip(chunks, res):
        for i, im in zip(c, r):
            out[i] = im
    images = [out[i] for i in idx]
    with open(path, "wb") as f:
        pickle.dump({"idx": list(idx), "images": images}, f)
    return images


def batch_text(tok_rows):
    ids = torch.tensor(tok_rows, dtype=torch.long)
    n = int((ids != 0).sum(1).max())
    return ids[:, :n]


def encode_text_bucketed(model, rows, buckets=4):
    """encode_text on length-sorted chunks, each cut to its own longest caption: the
    causal mask makes positions after EOT irrelevant, so this is exact and cheaper."""
    order = sorted(range(len(rows)), key=lambda r: sum(1 for x in rows[r] if x))
    step = (len(rows) + buckets - 1) // buckets
    feats = []
    for b in range(0, len(rows), step):
        idx = order[b:b + step]
        feats.append((idx, model.encode_text(batch_text([rows[r] for r in idx]))))
    full = torch.empty(len(rows), feats[0][1].shape[1], dtype=feats[0][1].dtype)
    for idx, f in feats:
        full = full.index_copy(0, torch.tensor(idx), f)
    return full


@torch.no_grad()
def quick_eval(model, tok, emoji, eval_idx, canon, ctx, langs=data.EVAL_LANGS):
    model.eval()
    img = F.normalize(model.encode_image(to_tensor(canon)), dim=-1)
    res = {}
    for lang in langs:
        rows = [tok.tokenize(emoji[i].names[lang], ctx) for i in eval_idx]
        txt = F.normalize(model.encode_text(batch_text(rows)), dim=-1)
        sim = txt @ img.t()
        gold = torch.arange(len(eval_idx))
        t2i = (sim.argsort(1, descending=True)[:, :5] == gold[:, None]).any(1).float().mean()
        t2i1 = (sim.argmax(1) == gold).float().mean()
        res[lang] = (round(t2i1.item(), 3), round(t2i.item(), 3))
    groups = sorted({e.group for e in emoji})
    rows = [tok.tokenize("a picture of " + data.group_caption(g), ctx) for g in groups]
    gt = F.normalize(model.encode_text(batch_text(rows)), dim=-1)
    pred = (img @ gt.t()).argmax(1)
    gold = torch.tensor([groups.index(emoji[i].group) for i in eval_idx])
    res["group_acc"] = round((pred == gold).float().mean().item(), 3)
    model.train()
    return res


class RobustEval:
    """Training-time look at the issue-16 sets (PyTorch, for watching the run only; the
    reported figures come from the C++ engine)."""

    def __init__(self, emoji, glyphs, eval_idx, items, clip_eval, common, a):
        import tempfile
        import eval_sets
        import export
        self.ctx = a.context_length
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "eval.json"), "w") as f:
                f.write("{}")
            eval_sets.set_heldout(emoji, eval_idx)
            self.common, self.clip = eval_sets.write(d, a.seed, emoji, glyphs, items, clip_eval, common)
            n = a.image_size
            self.common_x = torch.stack([export.clip_preprocess(os.path.join(d, it["file"]), n)
                                         for it in self.common["images"]])
            self.clip_x = torch.stack([export.clip_preprocess(os.path.join(d, it["file"]), n)
                                       for it in self.clip["images"]])

    @torch.no_grad()
    def __call__(self, model, tok):
        model.eval()
        res = {}
        img = F.normalize(model.encode_image(self.common_x), dim=-1)
        objs = self.common["objects"]
        gold = torch.tensor([objs.index(it["object"]) for it in self.common["images"]])
        emo = torch.tensor([it["kind"] == "emoji" for it in self.common["images"]])
        for lang, labels in self.common["labels"].items():
            t = F.normalize(model.encode_text(batch_text([tok.tokenize(x, self.ctx) for x in labels])), dim=-1)
            ok = ((img @ t.t()).argmax(1) == gold)
            res["obj_" + lang] = round(ok[emo].float().mean().item(), 3)
            if lang == "en" and (~emo).any():
                res["obj_clipart_en"] = round(ok[~emo].float().mean().item(), 3)
        cats = self.clip["categories"]
        t = F.normalize(model.encode_text(batch_text([tok.tokenize(self.clip["prompt"].format(self.clip["labels"][c]), self.ctx)
                                                       for c in cats])), dim=-1)
        img = F.normalize(model.encode_image(self.clip_x), dim=-1)
        gold = torch.tensor([cats.index(it["category"]) for it in self.clip["images"]])
        res["clip_cat"] = round(((img @ t.t()).argmax(1) == gold).float().mean().item(), 3)
        model.train()
        return res


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="models/emoji-clip")
    p.add_argument("--eval-out", default="tests/data/emoji-eval")
    p.add_argument("--cache", default="build-default-train")
    p.add_argument("--seed", type=int, default=20240501)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--merges", type=int, default=5630)
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--patch-size", type=int, default=16)
    p.add_argument("--vision-width", type=int, default=256)
    p.add_argument("--vision-layers", type=int, default=4)
    p.add_argument("--text-width", type=int, default=256)
    p.add_argument("--text-layers", type=int, default=3)
    p.add_argument("--embed-dim", type=int, default=256)
    p.add_argument("--context-length", type=int, default=32)
    # Defaults: issue 16's recipe (the shipped model). Issue 4's emoji-only model was
    # --views 12 --clipart-batch 0 --augment emoji --steps 2200 --eval-every 250
    # --lang-weights "" --bare-p 0 --no-train-common --no-bf16.
    p.add_argument("--views", type=int, default=24)
    p.add_argument("--clipart-views", type=int, default=6)
    p.add_argument("--clipart-batch", type=int, default=24,
                   help="clip-art drawings per batch (0: emoji only, issue 4's model)")
    p.add_argument("--augment", choices=["emoji", "robust"], default="robust",
                   help="emoji: issue 4's solid-colour renders; robust: augment.py (the shipped model)")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=6000)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--wd", type=float, default=0.1)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--eval-every", type=int, default=400)
    p.add_argument("--lang-weights", default="en:3,zh:2,ja:3",
                   help="caption language weights (others 1; \"\": uniform)")
    p.add_argument("--bare-p", type=float, default=0.3,
                   help="probability that an emoji caption is a bare name or keyword, no template")
    p.add_argument("--train-common", action=argparse.BooleanOptionalAction, default=True,
                   help="never hold out the emoji of the ten common objects (issue 16)")
    p.add_argument("--init", default="", help="start from these weights (safetensors; needs --reuse-merges)")
    p.add_argument("--no-export", action="store_true", help="train and evaluate only")
    p.add_argument("--reuse-merges", action="store_true", help="keep an existing merges.txt in --out")
    p.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True,
                   help="bf16 autocast for the towers' forward pass (fp32 weights, loss and optimiser); "
                        "--no-bf16: all fp32, as issue 4's model and the first issue-16 model were trained")
    p.add_argument("--time-only", action="store_true", help="time 30 steps and stop")
    return p


def common_keep(a):
    return clipart.common_emoji() if a.train_common else set()


def lang_weights(spec):
    out = {}
    for part in filter(None, spec.split(",")):
        lang, w = part.split(":")
        out[lang] = float(w)
    return out


def parse_args_only():
    return build_parser().parse_args()


def main():
    a = parse_args_only()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    np.random.seed(a.seed)
    os.makedirs(a.cache, exist_ok=True)
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()

    emoji = data.load_all()
    train_idx, eval_idx, held_kw = data.split(emoji, a.seed, keep=common_keep(a))
    glyphs = [data.render_glyph(e.seq) for e in emoji]
    print(f"[data] {len(emoji)} emoji: {len(train_idx)} train, {len(eval_idx)} held out; "
          f"held-out keywords {sum(len(v) for v in held_kw.values())} ({time.time() - t0:.0f}s)", flush=True)
    clip_items = clipart.load_index()
    clip_train, clip_eval, clip_common = clipart.split(clip_items, a.seed)
    if a.clipart_batch == 0:
        clip_train = []
    t1 = time.time()
    imgs = load_clip_images(clip_items, clip_train, a.cache)
    clip_imgs = {c: im for c, im in zip(clip_train, imgs) if im is not None}
    clip_train = [c for c in clip_train if c in clip_imgs]
    print(f"[clipart] {len(clip_items)} drawings: {len(clip_train)} train, {len(clip_eval)} held out "
          f"({time.time() - t1:.0f}s)", flush=True)

    # BPE on the training captions.
    caps = Captions(emoji, train_idx, held_kw, None, a.context_length, clip_items, clip_train,
                    lang_weights(a.lang_weights), a.bare_p)
    merges_path = os.path.join(a.out, "merges.txt")
    t1 = time.time()
    if a.reuse_merges and os.path.exists(merges_path):
        merges = bpe.Tokenizer.load(merges_path).merges
    else:
        merges = bpe.train_merges(caps.all_texts(), a.merges)
        bpe.write_merges(merges, merges_path)
    tok = bpe.Tokenizer.load(merges_path)
    caps.tok = tok
    caps.tokenize_all()
    lengths = [sum(1 for x in r if x) for r in caps.ids.values()]
    print(f"[bpe] {len(merges)} merges, vocab {tok.vocab_size}, {len(caps.ids)} captions, "
          f"max tokens {max(lengths)}, mean {np.mean(lengths):.1f}, "
          f"truncated {sum(1 for r in caps.ids.values() if r[-1] not in (0, tok.eot))} ({time.time() - t1:.0f}s)", flush=True)

    t1 = time.time()
    robust = a.augment == "robust"
    views = render_views(glyphs, train_idx, a.views, a.image_size, a.seed, robust=robust)
    canon_eval = render_views(glyphs, eval_idx, 1, a.image_size, a.seed)[:, 0]
    clip_views = render_views(clip_imgs, clip_train, a.clipart_views, a.image_size, a.seed + 1,
                              canonical=augment.canonical, robust=robust)
    print(f"[render] {views.shape} {clip_views.shape} ({time.time() - t1:.0f}s)", flush=True)
    robust_eval = RobustEval(emoji, glyphs, eval_idx, clip_items, clip_eval, clip_common, a)

    cfg = model_config(a, tok.vocab_size)
    model = CLIP(cfg)
    if a.init:
        import export
        model.load_state_dict({k: v.float() for k, v in export.read_safetensors(a.init).items()})
    nparam = sum(p.numel() for p in model.parameters())
    print(f"[model] {nparam / 1e6:.2f}M parameters = {nparam * 2 / 2**20:.1f} MiB fp16", flush=True)

    decay, no_decay = [], []
    for n, prm in model.named_parameters():
        (decay if prm.ndim >= 2 and "embedding" not in n and n != "logit_scale" else no_decay).append(prm)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.98), eps=1e-6)
    steps = 30 if a.time_only else a.steps

    def lr_at(s):
        if s < a.warmup:
            return a.lr * (s + 1) / a.warmup
        q = (s - a.warmup) / max(1, a.steps - a.warmup)
        return a.lr * 0.5 * (1 + math.cos(math.pi * q))

    rng = random.Random(a.seed)
    base = len(emoji)
    pools = {"emoji": [train_idx, [], 0], "clip": [[base + c for c in clip_train], [], 0]}

    def take(name, n):
        pool = pools[name]
        if pool[2] + n > len(pool[1]):
            pool[1] = pool[0][:]
            rng.shuffle(pool[1])
            pool[2] = 0
        out = pool[1][pool[2]:pool[2] + n]
        pool[2] += n
        return out

    pos_of = {i: n for n, i in enumerate(train_idx)}
    clip_pos = {base + c: n for n, c in enumerate(clip_train)}
    n_clip = a.clipart_batch if clip_train else 0
    t_train = time.time()
    model.train()
    for step in range(steps):
        batch = take("emoji", a.batch - n_clip) + (take("clip", n_clip) if n_clip else [])
        imgs = np.stack([views[pos_of[i], rng.randrange(a.views)] if i < base
                         else clip_views[clip_pos[i], rng.randrange(a.clipart_views)] for i in batch])
        texts = [caps.sample(i, rng) for i in batch]
        # Multi-positive targets: a caption is positive for every emoji in the batch
        # that it describes (shared keywords, groups).
        target = torch.tensor([[1.0 if i in caps.owners[t] else 0.0 for t in texts] for i in batch])
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            img_f = model.encode_image(to_tensor(imgs))
            txt_f = encode_text_bucketed(model, [caps.ids[t] for t in texts])
        img_f = F.normalize(img_f.float(), dim=-1)
        txt_f = F.normalize(txt_f.float(), dim=-1)
        logits = model.logit_scale.exp() * img_f @ txt_f.t()
        loss_i = -(target / target.sum(1, keepdim=True) * F.log_softmax(logits, 1)).sum(1).mean()
        loss_t = -(target.t() / target.t().sum(1, keepdim=True) * F.log_softmax(logits.t(), 1)).sum(1).mean()
        loss = 0.5 * (loss_i + loss_t)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        if step % 25 == 0 or step == steps - 1:
            el = time.time() - t_train
            print(f"step {step} loss {loss.item():.3f} scale {model.logit_scale.exp().item():.1f} "
                  f"lr {lr_at(step):.2e} {el:.0f}s ({el / (step + 1):.2f}s/step)", flush=True)
        if (step + 1) % a.eval_every == 0 or step == steps - 1:
            print(f"[eval] step {step + 1}: {quick_eval(model, tok, emoji, eval_idx, canon_eval, a.context_length)} "
                  f"{robust_eval(model, tok)}", flush=True)
            torch.save(model.state_dict(), os.path.join(a.cache, "checkpoint.pt"))
    train_s = time.time() - t_train
    print(f"[train] {steps} steps in {train_s:.0f}s", flush=True)
    if a.time_only or a.no_export:
        return

    import export
    export.export_all(model, cfg, tok, emoji, eval_idx, held_kw, glyphs, a, train_s, time.time() - t0,
                      clip_items, clip_eval, clip_common)


if __name__ == "__main__":
    main()
