#!/usr/bin/python3
"""Writes a random-weight CLIP with ViT-B/32's dimensions as a bare .safetensors file
under OpenAI's names (for load-time and memory measurements; nothing real in it).
Usage: /usr/bin/python3 bench/make_vit_b32.py OUT.safetensors [f32|f16]"""
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import pytorch_clip  # noqa: E402

out, dtype = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "f16")
torch_dtype, st_dtype = {"f16": (torch.float16, "F16"), "f32": (torch.float32, "F32")}[dtype]
torch.manual_seed(0)
tensors = {k: v.to(torch_dtype).contiguous() for k, v in pytorch_clip.openai_state_dict(pytorch_clip.Clip()).items()}
header, offset, blobs = {}, 0, []
for name, t in tensors.items():
    data = t.numpy().tobytes()
    header[name] = {"dtype": st_dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
    offset += len(data)
    blobs.append(data)
raw = json.dumps(header).encode()
raw += b" " * ((8 - len(raw) % 8) % 8)
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(raw)) + raw)
    for b in blobs:
        f.write(b)
print(out, offset, "bytes of weights")
