#!/usr/bin/python3
"""Makes clipkit's ResNet CLIP model fixtures (OpenAI's ModifiedResNet + AttentionPool2d
image tower) with OpenAI's own code (clip/model.py CLIP, build_model; clip/clip.py load,
_transform, tokenize) on Debian's python3-torch 1.13, and checks them against open_clip
v2.24.0 (modified_resnet.py: the same network under the same parameter names).

Usage:
  /usr/bin/python3 tests/reference/resnet_models.py OPENAI_CLIP_DIR OPEN_CLIP_SRC FTFY_SRC SHARED_DIR OUT_DIR
    OPENAI_CLIP_DIR  holds clip/ (github.com/openai/CLIP, commit d05afc4):
                     git --git-dir=<CLIP> archive HEAD clip | tar -x
    OPEN_CLIP_SRC    git --git-dir=<open_clip> archive v2.24.0 src | tar -x  → …/src
    FTFY_SRC         git --git-dir=<python-ftfy> archive v6.3.1 ftfy | tar -x → parent of ftfy/
    SHARED_DIR       ../shared (images are read from SHARED_DIR/data/images)
    OUT_DIR          tests/data/resnet/models
clip.py imports `packaging`, which Debian's python3 lacks here; when it is missing the
copy vendored in pkg_resources (pkg_resources.extern.packaging) is registered under that
name. Nothing upstream is changed or copied into the repository.

Two random-weight models with small, odd dimensions, built with clip.model.CLIP (a tuple
vision_layers makes the image tower a ModifiedResNet with width·32/64 attention-pool
heads; build_model infers heads = width/64 for the text, the attention-pool grid from
visual.attnpool.positional_embedding and the resolution as grid·32):

  a  vision_layers (1, 2, 1, 1), vision_width 8 (stem 4 → 4 → 8 channels; layer outputs
     32, 64, 128, 256 channels), image 96 px (3×3 grid at the attention pool: dim 256,
     4 heads of 64, 10 positions), embed 48; text: OpenAI's vocabulary (49408 ids, so
     real texts tokenize), context 77, width 64 (1 head), 1 layer; QuickGELU.
     File: a/RN-test.pt, a TorchScript archive, the container OpenAI releases (RN50.pt):
     a zip whose RN-test/data.pkl pickles the module tree, tensors in RN-test/data/N.
     Made by torch.jit.trace_module of the fp32 model (methods forward(image, text),
     encode_image, encode_text, as in the released archives; torch 1.13 has no fp16
     convolution on the CPU, so the graph is traced in fp32: its dtype constants say
     float32 where OpenAI's CUDA-traced graphs say float16), then .half() on the traced
     module, then torch.jit.save; then the archive's code/*.py.debug_pkl records (traced
     source ranges, which name the local paths of clip/model.py and of this script) are
     dropped by rewriting it record by record with torch's PyTorchFileReader / Writer
     (same root folder, record order and version; OpenAI's files have those records, a
     reader must not need them), so the bytes do not depend on where things lie.
     CHOICE: EVERY floating tensor is fp16 (convolutions,
     BatchNorm weight/bias/running_mean/running_var, linears, attention, positional
     embeddings, token_embedding, ln_*, text_projection, logit_scale), as in the shared
     ViT fixture's model.jit.pt. Mirroring convert_weights instead would keep
     token_embedding (49408×64) in fp32 and make the file about 13.6 MB. The integer buffers
     are int64: every BatchNorm's num_batches_tracked (0-d, value 0) and the 0-d
     top-level buffers input_resolution (96), context_length (77) and vocab_size (49408),
     which OpenAI's archives hold (build_model deletes those keys; clip.load(jit=True)
     reads input_resolution); their int64 dtype is this script's choice. clip.load(path, device="cpu",
     jit=False) (torch.jit.load(...).state_dict() → build_model → model.float()) and
     clip.load(path, device="cpu", jit=True) both reproduce expected.json (asserted).
  b  vision_layers (2, 1, 1, 2), vision_width 10 (stem 5 → 5 → 10: odd stem channels;
     layer outputs 40, 80, 160, 320), image 64 px (2×2 grid: attention pool dim 320, 5 heads of 64,
     5 positions), embed 40; text: vocab 1000 (texts cannot be tokenized for it: its
     "tokens" are generated rows [998, ids in 1..997, …, 999, 0, …], so that
     encode_text's argmax finds the EOT 999; lengths 2, 5, 17, 40 and a full 77),
     context 77, width 64 (1 head), 2 layers; QuickGELU. Two files, the same numbers:
       b/state_dict.pt  torch.save(model.state_dict()), all fp32 (num_batches_tracked
                        int64), zip format (the torch 1.13 default);
       b/open_clip/     open_clip_config.json ({"model_cfg", "preprocess_cfg"}, indent 2,
                        as open_clip's push_to_hf_hub writes it) + open_clip_pytorch_model.bin
                        (torch.save of the same state dict, as the hub's files are).
     Both .pt/.bin are the SAME bytes (torch.save to a buffer, so the zip's root folder is
     "archive/" rather than the file's stem): git stores them once.
     Asserted: torch.load(state_dict.pt) → build_model reproduces expected.json, and
     open_clip.create_model_and_transforms("hf-hub:…") reading that folder (its hub
     download function is pointed at the folder) gives the same features, and its
     preprocessing the same pixels.

Random weights (seeded, deterministic): every matrix / convolution kernel is drawn with
std 1/sqrt(fan_in) (fan_in = in_channels·kh·kw for kernels, in_features for linears and
in_proj_weight, rows for text_projection), token_embedding with std 1 and the two
positional embeddings with std 0.5; every BatchNorm (OpenAI's initialize_parameters
zero-inits each bn3.weight) gets weight ~ U(0.5, 1.5), bias ~ N(0, 0.1), running_mean ~
N(0, 0.2), running_var ~ U(0.5, 2.0) (num_batches_tracked stays 0); every other 1-D
parameter (biases, LayerNorms) is perturbed by N(0, 0.2) away from its init;
logit_scale = log(1/0.07) + 0.21 (stored 2.875, exp 17.73). Every floating value is
exactly representable in bf16 AND fp16 (rounded to bf16; a nonzero value under 2^-14 in
magnitude is moved to ±2^-14 so it stays an fp16 normal), so the fp16 archive, the fp32
files and any bf16/fp16 conversion carry the same numbers.

expected.json per model, computed in fp32 with OpenAI's code (CLIP in eval mode, on the
stored numbers): generator, images, texts (a only), tokens (a: clip.tokenize(texts,
truncate=True) rows, 77 ids, SOT 49406, EOT 49407, 0 pad; b: the generated rows),
context_length, image_size, config (the CLIP constructor arguments; plus
vision_heads, the attention-pool heads), files, image_features, text_features
(encode_image / encode_text outputs, not normalized), logit_scale (exp of the stored
value), logits_per_image (logit_scale·cos, images × texts), probs (softmax over the texts
per image), and stages: the image tower's intermediate outputs for the FIRST image only,
{"stem", "layer1", "layer2", "layer3", "layer4", "attnpool"}, each {"shape": [C, H, W]
or [D], "sum", "sum_sq", "values": flattened CHW} (stem = after its avgpool; attnpool =
encode_image's output; values rounded to 8 significant digits; a stage over
STAGE_FULL_LIMIT values would keep only its first 256 values, with "truncated": true —
none does here). pixels/<image>.f32 are the preprocessed images (clip.clip._transform(R):
shorter side to R bicubic, centre crop, RGB, CLIP mean/std; raw little-endian float32,
3×R×R).

Sizes: a/RN-test.pt 7.3 MB (token_embedding 49408×64 fp16 is 6.3 MB of it: a needs
OpenAI's vocabulary for real texts); b's two weight files are the same bytes (one git
blob) of fp32 weights; expected.json + pixels ~1.5 MB.
"""
import copy
import io
import json
import math
import os
import sys
import zipfile

CLIP_DIR, OPEN_CLIP, FTFY, SHARED, OUT = sys.argv[1:6]
sys.path[:0] = [CLIP_DIR, OPEN_CLIP, FTFY]
try:
    import packaging.version  # noqa: F401  (clip.py: from packaging import version)
except ImportError:
    from pkg_resources.extern import packaging
    sys.modules["packaging"] = packaging
    sys.modules["packaging.version"] = packaging.version

import torch  # noqa: E402
from PIL import Image  # noqa: E402

import clip  # noqa: E402
from clip.clip import _transform  # noqa: E402
from clip.model import CLIP, build_model  # noqa: E402
import open_clip  # noqa: E402
import open_clip.factory  # noqa: E402
from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD  # noqa: E402

IMAGES = ["CLIP.png", "chelsea.png", "astronaut.png", "rocket.jpg", "chelsea_palette_trns.png"]
TEXTS = [
    "a diagram",
    "a dog",
    "a cat",
    "a photo of an astronaut",
    "a rocket on a launch pad",
    "",
    "🐱 a cat 😺 with a hat 🎩!",
    "a very long caption that keeps going and going, describing a cat on a red blanket, a lamp, "
    "a window, a sofa, the blue sky outside with white clouds, the cat's eyes, ears and whiskers, and "
    "still more words until it is far past the seventy-seven tokens that fit in the context window: a "
    "chair, a table, a cup of coffee, a camera, a rocket, an astronaut, a dog and another cat",
]
B_ROW_LENGTHS = [2, 5, 17, 40, 77]  # SOT + ids + EOT
STAGES = ["stem", "layer1", "layer2", "layer3", "layer4", "attnpool"]
STAGE_FULL_LIMIT = 32768
MIN_F16_NORMAL = 2.0 ** -14

MODELS = {
    "a": dict(seed=31, cfg=dict(embed_dim=48, image_resolution=96, vision_layers=(1, 2, 1, 1), vision_width=8,
                                vision_patch_size=None, context_length=77, vocab_size=49408,
                                transformer_width=64, transformer_heads=1, transformer_layers=1)),
    "b": dict(seed=32, cfg=dict(embed_dim=40, image_resolution=64, vision_layers=(2, 1, 1, 2), vision_width=10,
                                vision_patch_size=None, context_length=77, vocab_size=1000,
                                transformer_width=64, transformer_heads=1, transformer_layers=2)),
}


def exact(t):
    """Round to bf16 (so fp16 and bf16 both hold it) and keep nonzero |x| ≥ 2^-14."""
    t = t.to(torch.bfloat16).float()
    tiny = (t != 0) & (t.abs() < MIN_F16_NORMAL)
    return torch.where(tiny, torch.sign(t) * MIN_F16_NORMAL, t)


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        bn = {name for name, m in model.named_modules() if isinstance(m, torch.nn.BatchNorm2d)}
        for name, m in model.named_modules():
            if name in bn:
                m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
                m.running_mean.copy_(0.2 * torch.randn(m.running_mean.shape, generator=g))
                m.running_var.copy_(0.5 + 1.5 * torch.rand(m.running_var.shape, generator=g))
        for name, p in model.named_parameters():
            if name.rsplit(".", 1)[0] in bn:
                continue
            if name == "logit_scale":
                p.fill_(math.log(1 / 0.07) + 0.21)
            elif name == "token_embedding.weight":
                p.copy_(torch.randn(p.shape, generator=g))
            elif name.endswith("positional_embedding"):
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            elif name == "text_projection":
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[0]))
            elif p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p[0].numel()))
            else:
                p.add_(0.2 * torch.randn(p.shape, generator=g))
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                t.copy_(exact(t))


def b_tokens(seed, vocab_size):
    g = torch.Generator().manual_seed(seed)
    sot, eot = vocab_size - 2, vocab_size - 1
    rows = []
    for n in B_ROW_LENGTHS:
        ids = torch.randint(1, sot, (n - 2,), generator=g).tolist()
        rows.append([sot] + ids + [eot] + [0] * (77 - n))
    return rows


def preprocess_images(root, resolution):
    transform = _transform(resolution)
    os.makedirs(os.path.join(root, "pixels"), exist_ok=True)
    pixels = []
    for image in IMAGES:
        x = transform(Image.open(os.path.join(SHARED, "data", "images", image)))
        assert x.shape == (3, resolution, resolution) and x.dtype == torch.float32
        x.numpy().astype("<f4").tofile(os.path.join(root, "pixels", image + ".f32"))
        pixels.append(x)
    return torch.stack(pixels)


def encode(model, pixels, tokens):
    with torch.no_grad():
        img = model.encode_image(pixels).float()
        txt = model.encode_text(tokens).float()
        scale = model.logit_scale.float().exp()
    return img, txt, scale


def round8(values):
    return [float(f"{v:.8g}") for v in values]


def stages(model, first):
    """The image tower's intermediate outputs for one image (forward hooks)."""
    visual, out = model.visual, {}
    modules = {"stem": visual.avgpool, "layer1": visual.layer1, "layer2": visual.layer2,
               "layer3": visual.layer3, "layer4": visual.layer4, "attnpool": visual.attnpool}
    hooks = [m.register_forward_hook(lambda _m, _i, o, k=k: out.__setitem__(k, o.detach().clone()))
             for k, m in modules.items()]
    with torch.no_grad():
        feature = model.encode_image(first[None])
    for h in hooks:
        h.remove()
    assert torch.equal(out["attnpool"], feature)
    result = {}
    for k in STAGES:
        t = out[k][0].double()
        flat = t.flatten().tolist()
        entry = {"shape": list(t.shape), "sum": float(t.sum()), "sum_sq": float((t * t).sum())}
        if len(flat) > STAGE_FULL_LIMIT:
            entry.update(values=round8(flat[:256]), truncated=True)
        else:
            entry["values"] = round8(flat)
        result[k] = entry
    return result


def max_diff(x, y):
    return (x.float() - y.float()).abs().max().item()


def assert_close(name, got, want):
    d, m = max_diff(got, want), want.abs().max().item()
    assert d <= 1e-5 * m, f"{name}: max|Δ| {d} > 1e-5·{m}"
    return d


def trace_archive(model, pixels, tokens, resolution, path):
    """OpenAI's release container: a traced CLIP with forward / encode_image /
    encode_text and 0-d int64 buffers input_resolution, context_length, vocab_size."""
    m = copy.deepcopy(model).eval()
    context_length, vocab_size = m.context_length, m.vocab_size
    del m.context_length, m.vocab_size
    for name, value in [("input_resolution", resolution), ("context_length", context_length),
                        ("vocab_size", vocab_size)]:
        m.register_buffer(name, torch.tensor(value, dtype=torch.int64))
    with torch.no_grad():
        traced = torch.jit.trace_module(m, {"forward": (pixels, tokens), "encode_image": (pixels,),
                                            "encode_text": (tokens,)})
    traced.half()  # floating parameters and buffers; the int64 buffers stay int64
    torch.jit.save(traced, path)
    strip_debug_records(path)


def strip_debug_records(path):
    """Rewrites a TorchScript archive without its code/*.debug_pkl records (the traced
    source ranges: they name the paths of clip/model.py and of this script), record by
    record with torch's own reader / writer: same root folder, same order, same version."""
    root = os.path.splitext(os.path.basename(path))[0] + "/"
    with zipfile.ZipFile(path) as z:
        order = [n[len(root):] for n in z.namelist()]
    reader = torch._C.PyTorchFileReader(path)
    records = {n: reader.get_record(n) for n in order if not n.endswith(".debug_pkl")}
    del reader
    writer = torch._C.PyTorchFileWriter(path)
    writer.set_min_version(int(records.pop("version")))
    for name, data in records.items():
        writer.write_record(name, data, len(data))
    writer.write_end_of_file()
    del writer
    with zipfile.ZipFile(path) as z:
        assert [n[len(root):] for n in z.namelist()] == [n for n in order if not n.endswith(".debug_pkl")]


def summary_dtypes(sd):
    kinds = {}
    for k, v in sd.items():
        kinds.setdefault(str(v.dtype).replace("torch.", ""), []).append(k)
    return {d: len(ks) for d, ks in kinds.items()}


def make_open_clip_folder(folder, cfg, data):
    os.makedirs(folder, exist_ok=True)
    model_cfg = {
        "embed_dim": cfg["embed_dim"],
        "quick_gelu": True,
        "vision_cfg": {"image_size": cfg["image_resolution"], "layers": list(cfg["vision_layers"]),
                       "width": cfg["vision_width"], "patch_size": None},
        "text_cfg": {"context_length": cfg["context_length"], "vocab_size": cfg["vocab_size"],
                     "width": cfg["transformer_width"], "heads": cfg["transformer_heads"],
                     "layers": cfg["transformer_layers"]},
    }
    preprocess_cfg = {"mean": list(OPENAI_DATASET_MEAN), "std": list(OPENAI_DATASET_STD),
                      "interpolation": "bicubic", "resize_mode": "shortest"}
    with open(os.path.join(folder, "open_clip_config.json"), "w") as f:
        json.dump({"model_cfg": model_cfg, "preprocess_cfg": preprocess_cfg}, f, indent=2)
    with open(os.path.join(folder, "open_clip_pytorch_model.bin"), "wb") as f:
        f.write(data)


def open_clip_from_folder(folder):
    """open_clip's hf-hub loading path with its download function pointed at the folder."""
    saved = open_clip.factory.download_pretrained_from_hf

    def local(model_id, filename="open_clip_pytorch_model.bin", revision=None, cache_dir=None):
        return os.path.join(folder, filename)
    open_clip.factory.download_pretrained_from_hf = local
    try:
        model, _, preprocess = open_clip.create_model_and_transforms("hf-hub:clipkit/RN-test-b")
    finally:
        open_clip.factory.download_pretrained_from_hf = saved
    return model.eval(), preprocess


def main():
    torch.set_num_threads(1)  # one reduction order, run to run
    os.makedirs(OUT, exist_ok=True)
    for key, spec in MODELS.items():
        cfg = spec["cfg"]
        R = cfg["image_resolution"]
        root = os.path.join(OUT, key)
        os.makedirs(root, exist_ok=True)
        torch.manual_seed(spec["seed"])
        model = CLIP(**cfg).eval()
        randomize(model, spec["seed"])
        pixels = preprocess_images(root, R)
        if key == "a":
            tokens = clip.tokenize(TEXTS, truncate=True)
            assert len(clip.clip._tokenizer.encode(TEXTS[-1])) > 75 and int(tokens[-1][-1]) == 49407, \
                "the long text must be truncated"
        else:
            tokens = torch.tensor(b_tokens(spec["seed"], cfg["vocab_size"]), dtype=torch.int32)
        tokens = tokens.long()
        img, txt, scale = encode(model, pixels, tokens)
        cos = torch.nn.functional.normalize(img, dim=-1) @ torch.nn.functional.normalize(txt, dim=-1).T
        logits = scale * cos

        checks = {}
        if key == "a":
            path = os.path.join(root, "RN-test.pt")
            trace_archive(model, pixels, tokens, R, path)
            files = {"jit": "RN-test.pt"}
            sd = torch.jit.load(path, map_location="cpu").state_dict()
            floats = {str(v.dtype) for v in sd.values() if v.is_floating_point()}
            assert floats == {"torch.float16"}, floats
            for k, v in model.state_dict().items():
                assert torch.equal(sd[k].to(v.dtype), v), k
            ref, transform = clip.load(path, device="cpu", jit=False)
            ref_img, ref_txt, ref_scale = encode(ref, pixels, tokens)
            checks["clip.load(jit=False)"] = (assert_close("a image", ref_img, img),
                                              assert_close("a text", ref_txt, txt))
            assert abs(ref_scale - scale) <= 1e-6 * scale
            loaded = (ref.visual.input_resolution, ref.visual.attnpool.num_heads,
                      ref.transformer.resblocks[0].attn.num_heads)
            jit_ref, jit_transform = clip.load(path, device="cpu", jit=True)
            jit_img, jit_txt, _ = encode(jit_ref, pixels, tokens)
            checks["clip.load(jit=True)"] = (assert_close("a jit image", jit_img, img),
                                             assert_close("a jit text", jit_txt, txt))
            dtypes = summary_dtypes(sd)
        else:
            sd_fp32 = model.state_dict()
            assert all(v.dtype in (torch.float32, torch.int64) for v in sd_fp32.values())
            buffer = io.BytesIO()
            torch.save(sd_fp32, buffer)  # to a buffer: root folder "archive/", whatever the file name
            data = buffer.getvalue()
            path = os.path.join(root, "state_dict.pt")
            with open(path, "wb") as f:
                f.write(data)
            oc_folder = os.path.join(root, "open_clip")
            make_open_clip_folder(oc_folder, cfg, data)
            files = {"state_dict": "state_dict.pt", "open_clip": "open_clip/"}
            ref = build_model(torch.load(path, map_location="cpu")).float().eval()
            ref_img, ref_txt, _ = encode(ref, pixels, tokens)
            checks["build_model(state_dict.pt)"] = (assert_close("b image", ref_img, img),
                                                    assert_close("b text", ref_txt, txt))
            loaded = (ref.visual.input_resolution, ref.visual.attnpool.num_heads,
                      ref.transformer.resblocks[0].attn.num_heads)
            oc, oc_preprocess = open_clip_from_folder(oc_folder)
            oc_img, oc_txt, oc_scale = encode(oc, pixels, tokens)
            checks["open_clip v2.24.0"] = (assert_close("b open_clip image", oc_img, img),
                                           assert_close("b open_clip text", oc_txt, txt))
            assert abs(oc_scale - scale) <= 1e-6 * scale
            oc_pixels = torch.stack([oc_preprocess(Image.open(os.path.join(SHARED, "data", "images", i)))
                                     for i in IMAGES])
            checks["open_clip preprocess"] = (max_diff(oc_pixels, pixels),)
            assert checks["open_clip preprocess"][0] == 0.0
            dtypes = summary_dtypes(sd_fp32)
        assert loaded == (R, cfg["vision_width"] * 32 // 64, cfg["transformer_width"] // 64), loaded

        expected = {
            "generator": "tests/reference/resnet_models.py (openai/CLIP d05afc4, open_clip v2.24.0, torch "
                         + torch.__version__ + ")",
            "images": IMAGES,
            **({"texts": TEXTS} if key == "a" else {}),
            "tokens": tokens.tolist(),
            "context_length": cfg["context_length"], "image_size": R,
            "config": {**cfg, "vision_layers": list(cfg["vision_layers"]),
                       "vision_heads": cfg["vision_width"] * 32 // 64},
            "files": files,
            "image_features": img.tolist(), "text_features": txt.tolist(), "logit_scale": scale.item(),
            "logits_per_image": logits.tolist(), "probs": logits.softmax(dim=-1).tolist(),
            "stages": stages(model, pixels[0]),
        }
        with open(os.path.join(root, "expected.json"), "w") as f:
            json.dump(expected, f)
        sizes = {os.path.relpath(os.path.join(d, n), root): os.path.getsize(os.path.join(d, n))
                 for d, _, ns in os.walk(root) for n in ns if not n.endswith(".f32")}
        print(f"{key}: {sum(p.numel() for p in model.parameters())} parameters; build_model inferred "
              f"resolution {loaded[0]}, attnpool heads {loaded[1]}, text heads {loaded[2]}")
        print(f"   files {sizes}")
        print(f"   dtypes {dtypes}")
        print(f"   max|image_features| {img.abs().max().item():.4g}, max|text_features| "
              f"{txt.abs().max().item():.4g}, logit_scale {scale.item():.6g}, "
              f"max prob {logits.softmax(dim=-1).max().item():.4g}")
        print("   stages " + ", ".join(f"{k} {expected['stages'][k]['shape']}" for k in STAGES))
        for name, d in checks.items():
            print(f"   {name}: max|Δ| " + " / ".join(f"{x:.3g}" for x in d))


if __name__ == "__main__":
    main()
