#!/usr/bin/python3
"""Makes clipkit's Hugging Face ChineseCLIPModel fixture: fixture a's cn_clip checkpoint
converted as transformers' own conversion script does it, into a folder laid out as the
OFA-Sys/chinese-clip-* repositories are.

Usage:
  /usr/bin/python3 tests/reference/chinese_clip_hf.py SHARED_DIR
    SHARED_DIR  ../shared (images are read from SHARED_DIR/data/images)
  Reads  tests/data/chinese_clip/models/a/clip_cn_test.pt (tests/reference/chinese_clip_models.py)
         tests/data/chinese_clip/vocab.txt
  Writes tests/data/chinese_clip/models/a_hf/{config.json, model.safetensors, vocab.txt,
         preprocessor_config.json, pixels/*.f32}

The renaming mirrors transformers' models/chinese_clip/convert_chinese_clip_original_pytorch_to_hf.py
(convert_chinese_clip_checkpoint) step by step, on the state dict rather than on a
ChineseCLIPModel (transformers is not a Debian package; its module tree gives the names):
  - torch.load(...)["state_dict"], "module." stripped;
  - copy_text_model_and_projection: text_projection.weight = text_projection.T, and every
    parameter of ChineseCLIPModel.text_model (a ChineseCLIPTextModel built with
    add_pooling_layer=False: embeddings.*, encoder.layer.N.*) from bert.<same name>;
  - copy_vision_model_and_projection: visual_projection.weight = visual.proj.T,
    pre_layrnorm / post_layernorm from ln_pre / ln_post, embeddings.patch_embedding from
    conv1, class_embedding, position_embedding from positional_embedding, and per layer
    (copy_layer) layer_norm1/2 from ln_1/2, mlp.fc1/fc2 from mlp.c_fc/c_proj,
    self_attn.{q,k,v}_proj from in_proj_{weight,bias}.chunk(3, dim=0), out_proj as is;
  - logit_scale as is.
The script assigns `.data`, so each tensor keeps the dtype it had in the .pt (fp16
matrices, fp32 vision LayerNorms and embeddings) and save_pretrained writes it so;
model.safetensors is written here in safetensors' format (sorted names, "__metadata__":
{"format": "pt"}), without the non-persistent position_ids / token_type_ids buffers.

config.json is a ChineseCLIPConfig as the OFA-Sys repositories carry it, with fixture a's
dimensions. preprocessor_config.json is the OFA-Sys one (ChineseCLIPFeatureExtractor:
size {"height", "width"}, no center crop, bicubic, OpenAI mean/std) at 48 px.

The weights are fixture a's, so the expected features are a/expected.json (cn_clip's).
pixels/*.f32 are what transformers' ChineseCLIPImageProcessor (image_processing_chinese_clip.py,
image_transforms.py) makes of the fixture images, mirrored with Pillow + numpy:
convert_to_rgb, to_numpy_array (uint8 HWC), resize (get_resize_output_image_size with
(height, width) returns it as is: the image is squashed; PIL resize with resample 3,
reducing_gap None, on the uint8 image), no crop, rescale (float64 multiply by 1/255 then
float32), normalize ((x - mean) / std in float32), HWC -> CHW. The 8-bit pixels are
cn_clip's (the same Pillow squash); the floats may differ from a/pixels in the last bit.
"""
import json
import os
import shutil
import struct
import sys

import numpy as np
import torch
from PIL import Image

SHARED = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "chinese_clip")
SOURCE = os.path.join(DATA, "models", "a")
OUT = os.path.join(DATA, "models", "a_hf")

OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def text_model_parameter_names(layers):
    """ChineseCLIPTextModel(add_pooling_layer=False).named_parameters(), in order."""
    names = ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
             "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"]
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for sub in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                    "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"]:
            names += [p + sub + ".weight", p + sub + ".bias"]
    return names


def copy_attn_layer(hf, pt, hf_prefix, prefix):
    q, k, v = pt[f"{prefix}.in_proj_weight"].chunk(3, dim=0)
    qb, kb, vb = pt[f"{prefix}.in_proj_bias"].chunk(3, dim=0)
    for name, w, b in (("q_proj", q, qb), ("k_proj", k, kb), ("v_proj", v, vb)):
        hf[f"{hf_prefix}.{name}.weight"], hf[f"{hf_prefix}.{name}.bias"] = w, b
    hf[f"{hf_prefix}.out_proj.weight"] = pt[f"{prefix}.out_proj.weight"]
    hf[f"{hf_prefix}.out_proj.bias"] = pt[f"{prefix}.out_proj.bias"]


def copy_linear(hf, pt, hf_prefix, prefix):
    hf[f"{hf_prefix}.weight"] = pt[f"{prefix}.weight"]
    hf[f"{hf_prefix}.bias"] = pt[f"{prefix}.bias"]


def copy_layer(hf, pt, hf_prefix, prefix):
    copy_linear(hf, pt, f"{hf_prefix}.layer_norm1", f"{prefix}.ln_1")
    copy_linear(hf, pt, f"{hf_prefix}.layer_norm2", f"{prefix}.ln_2")
    copy_linear(hf, pt, f"{hf_prefix}.mlp.fc1", f"{prefix}.mlp.c_fc")
    copy_linear(hf, pt, f"{hf_prefix}.mlp.fc2", f"{prefix}.mlp.c_proj")
    copy_attn_layer(hf, pt, f"{hf_prefix}.self_attn", f"{prefix}.attn")


def convert(pt, text_layers, vision_layers):
    hf = {}
    # copy_text_model_and_projection
    hf["text_projection.weight"] = pt["text_projection"].T
    for name in text_model_parameter_names(text_layers):
        hf["text_model." + name] = pt["bert." + name]
    # copy_vision_model_and_projection
    hf["visual_projection.weight"] = pt["visual.proj"].T
    copy_linear(hf, pt, "vision_model.pre_layrnorm", "visual.ln_pre")
    copy_linear(hf, pt, "vision_model.post_layernorm", "visual.ln_post")
    hf["vision_model.embeddings.patch_embedding.weight"] = pt["visual.conv1.weight"]
    hf["vision_model.embeddings.class_embedding"] = pt["visual.class_embedding"]
    hf["vision_model.embeddings.position_embedding.weight"] = pt["visual.positional_embedding"]
    for i in range(vision_layers):
        copy_layer(hf, pt, f"vision_model.encoder.layers.{i}", f"visual.transformer.resblocks.{i}")
    hf["logit_scale"] = pt["logit_scale"]
    return hf


def save_safetensors(tensors, path):
    dtypes = {torch.float16: "F16", torch.float32: "F32"}
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def hf_pixels(path, size):
    """ChineseCLIPImageProcessor.preprocess for one image, as its slow (Pillow) path runs."""
    image = Image.open(path)
    if image.mode != "RGB":  # convert_to_rgb
        image = image.convert("RGB")
    x = np.array(image)  # to_numpy_array: uint8, HWC
    # resize: to_pil_image (uint8 stays uint8), PIL resize to (width, height), back to numpy.
    x = np.array(Image.fromarray(x).resize((size, size), resample=3, reducing_gap=None))
    x = (x.astype(np.float64) * (1 / 255)).astype(np.float32)  # rescale
    mean = np.array(OPENAI_CLIP_MEAN, dtype=x.dtype)
    std = np.array(OPENAI_CLIP_STD, dtype=x.dtype)
    x = (x - mean) / std  # normalize (channels last)
    return np.ascontiguousarray(x.transpose(2, 0, 1)).astype("<f4")


def main():
    expected = json.load(open(os.path.join(SOURCE, "expected.json")))
    cfg = expected["config"]
    pt = torch.load(os.path.join(SOURCE, "clip_cn_test.pt"), map_location="cpu")["state_dict"]
    pt = {(name[7:] if name.startswith("module.") else name): value for name, value in pt.items()}
    hf = convert(pt, cfg["text_num_hidden_layers"], cfg["vision_layers"])
    assert sum(v.numel() for v in hf.values()) == sum(v.numel() for v in pt.values()), "every parameter moved"

    width = cfg["vision_width"]
    vocab_size = sum(1 for _ in open(os.path.join(DATA, "vocab.txt"), encoding="utf-8"))
    config = {
        "architectures": ["ChineseCLIPModel"],
        "initializer_factor": 1.0,
        "logit_scale_init_value": 2.6592,
        "model_type": "chinese_clip",
        "projection_dim": cfg["embed_dim"],
        "text_config": {
            "architectures": ["ChineseCLIPTextModel"], "attention_probs_dropout_prob": 0.1, "bos_token_id": 0,
            "directionality": "bidi", "eos_token_id": 2, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
            "hidden_size": cfg["text_hidden_size"], "initializer_range": 0.02,
            "intermediate_size": cfg["text_intermediate_size"], "layer_norm_eps": 1e-12,
            "max_position_embeddings": cfg["text_max_position_embeddings"], "model_type": "chinese_clip_text_model",
            "num_attention_heads": cfg["text_num_attention_heads"], "num_hidden_layers": cfg["text_num_hidden_layers"],
            "output_past": True, "pad_token_id": 0, "pooler_fc_size": cfg["text_hidden_size"],
            "pooler_num_attention_heads": cfg["text_num_attention_heads"], "pooler_num_fc_layers": 3,
            "pooler_size_per_head": 128, "pooler_type": "first_token_transform",
            "position_embedding_type": "absolute", "type_vocab_size": 2, "use_cache": True, "vocab_size": vocab_size,
        },
        "torch_dtype": "float16",
        "transformers_version": None,
        "vision_config": {
            "dropout": 0.0, "hidden_act": "quick_gelu", "hidden_size": width, "image_size": cfg["image_resolution"],
            "initializer_factor": 1.0, "initializer_range": 0.02, "intermediate_size": 4 * width,
            "layer_norm_eps": 1e-05, "model_type": "chinese_clip_vision_model", "num_attention_heads": width // 64,
            "num_channels": 3, "num_hidden_layers": cfg["vision_layers"], "patch_size": cfg["vision_patch_size"],
            "projection_dim": cfg["embed_dim"],
        },
    }
    size = cfg["image_resolution"]
    preprocessor = {
        "crop_size": size, "do_center_crop": False, "do_normalize": True, "do_resize": True,
        "feature_extractor_type": "ChineseCLIPFeatureExtractor", "image_mean": OPENAI_CLIP_MEAN,
        "image_std": OPENAI_CLIP_STD, "resample": 3, "size": {"height": size, "width": size},
    }

    os.makedirs(os.path.join(OUT, "pixels"), exist_ok=True)
    save_safetensors(hf, os.path.join(OUT, "model.safetensors"))
    json.dump(config, open(os.path.join(OUT, "config.json"), "w"), indent=2, sort_keys=True)
    json.dump(preprocessor, open(os.path.join(OUT, "preprocessor_config.json"), "w"), indent=2, sort_keys=True)
    shutil.copyfile(os.path.join(DATA, "vocab.txt"), os.path.join(OUT, "vocab.txt"))
    worst = 0.0
    for image in expected["images"]:
        x = hf_pixels(os.path.join(SHARED, "data", "images", image), size)
        x.tofile(os.path.join(OUT, "pixels", image + ".f32"))
        cn_clip = np.fromfile(os.path.join(SOURCE, "pixels", image + ".f32"), dtype="<f4")
        worst = max(worst, float(np.abs(cn_clip - x.reshape(-1)).max()))
    print(f"{len(hf)} tensors, {os.path.getsize(os.path.join(OUT, 'model.safetensors'))} bytes; "
          f"max |transformers pixels - cn_clip pixels| {worst:.3g}")


if __name__ == "__main__":
    main()
