#!/usr/bin/python3
"""Checks clipkit against PyTorch on a random-weight model with ViT-B/32's real
dimensions (12 heads, 50 tokens, 512-dim embeddings) — beyond the tiny fixtures.

Saves the weights as a torch.save state dict under OpenAI's names, runs
`clipkit embed --raw` on it, and compares with the PyTorch model on the same
preprocessed images (the fixture tensors, which clipkit reproduces exactly) and the
same token rows. Usage: /usr/bin/python3 bench/vit_b32_parity.py [build-dir]
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import pytorch_clip  # noqa: E402

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build")
shared = os.environ.get("CLIPKIT_SHARED_DIR", os.path.join(root, "..", "shared"))
images = ["CLIP.png", "astronaut.png", "chelsea.png", "rocket.jpg", "logo.png"]
texts = ["a diagram", "a dog", "a photo of a cat", "an astronaut in a white suit riding a horse on the moon"]

torch.manual_seed(1)
model = pytorch_clip.Clip().eval()
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "vit_b32_random.pt")
    torch.save(pytorch_clip.openai_state_dict(model), path)
    cmd = [os.path.join(build, "clipkit"), "embed", "--json", "--raw", "--no-exif", "--model", path,
           "--vocab", os.path.join(shared, "data/clip/bpe_simple_vocab_16e6.txt.gz")]
    for name in images:
        cmd += ["--image", os.path.join(shared, "data/images", name)]
    for t in texts:
        cmd += ["--text", t]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)

print("model:", out["model"]["architecture"], out["model"]["parameters"], "parameters")
worst_cos, worst_rel = 1.0, 0.0
with torch.no_grad():
    for i, name in enumerate(images):
        x = torch.from_numpy(np.load(os.path.join(shared, "fixtures/preprocess", name + ".224.npy")))[None]
        ref = model.encode_image(x)[0].double()
        got = torch.tensor(out["images"][i]["embedding"]).double()
        worst_cos = min(worst_cos, torch.nn.functional.cosine_similarity(ref, got, dim=0).item())
        worst_rel = max(worst_rel, ((ref - got).abs().max() / ref.abs().max()).item())
    for i, t in enumerate(texts):
        tokens = torch.tensor([out["texts"][i]["tokens"]])
        ref = model.encode_text(tokens)[0].double()
        got = torch.tensor(out["texts"][i]["embedding"]).double()
        worst_cos = min(worst_cos, torch.nn.functional.cosine_similarity(ref, got, dim=0).item())
        worst_rel = max(worst_rel, ((ref - got).abs().max() / ref.abs().max()).item())
print(f"worst cosine {worst_cos:.9f}, worst |d|/max|ref| {worst_rel:.3g}")
sys.exit(0 if worst_cos >= 0.99999 and worst_rel <= 1e-4 else 1)
