"""OpenAI's `clip` package names over clipkit, for CPU code that wants to drop PyTorch.

    from clipkit import clip                        # in place of: import clip
    model, preprocess = clip.load("ViT-B-32.pt")    # a checkpoint file or folder
    image = preprocess("CLIP.png")[None]            # (1, 3, 224, 224); a path, uint8 array or PIL image
    text = clip.tokenize(["a diagram", "a dog", "a cat"])
    image_features = model.encode_image(image)      # (1, 512) float32, not normalized
    text_features = model.encode_text(text)
    logits_per_image, logits_per_text = model(image, text)
    probs = model.model.label_probs(image_features, text_features)  # softmax over the texts

Arrays are NumPy, not torch tensors: `preprocess(x)[None]` or `np.stack([...])` where
torch code calls `.unsqueeze(0)` / `torch.stack`; torch CPU tensors passed in are read
through np.asarray. `device`, `jit` and `download_root` are accepted and ignored (CPU
only; named models are fetched with `clipkit pull NAME`, which prints the path to load).
"""

import os

import numpy as np

from . import _clipkit

__all__ = ["available_models", "load", "tokenize", "ClipModel", "Preprocess"]

_OPENAI_MODELS = ["RN50", "RN101", "RN50x4", "RN50x16", "RN50x64", "ViT-B/32", "ViT-B/16", "ViT-L/14",
                  "ViT-L/14@336px"]

# The model clip.tokenize uses: the one clip.load loaded last (OpenAI's tokenize has one
# vocabulary built in; clipkit's comes with each model).
_last_model = None


def available_models():
    """OpenAI's model names (`clipkit pull NAME` fetches one; load takes the path it prints)."""
    return list(_OPENAI_MODELS)


def _as_image(image):
    # A PIL image without importing PIL: its pixels as an array, in a mode clipkit takes.
    if hasattr(image, "mode") and hasattr(image, "convert") and not isinstance(image, np.ndarray):
        if image.mode not in ("L", "RGB", "RGBA"):
            image = image.convert("RGB")
        return np.asarray(image, dtype=np.uint8)
    return image


class Preprocess:
    """The model's image transform: a path, encoded bytes, a uint8 array (H, W[, 3|4]) or
    a PIL image in, a (3, S, S) float32 array out (as OpenAI's preprocess)."""

    def __init__(self, model):
        self._model = model

    def __call__(self, image):
        return self._model.preprocess(_as_image(image))

    def __repr__(self):
        return f"clipkit.clip.Preprocess(size={self._model.image_size})"


class ClipModel:
    """encode_image / encode_text / __call__ as OpenAI's CLIP module, on NumPy arrays.
    The clipkit.Model is `.model` (embed_images, embed_texts, label_probs, ...)."""

    def __init__(self, model):
        self.model = model
        self.input_resolution = model.image_size
        self.context_length = model.context_length
        self.vocab_size = model.vocab_size

    @property
    def logit_scale(self):
        """log of the scale, as OpenAI's parameter (its .exp() is model.logit_scale)."""
        return np.float32(np.log(self.model.logit_scale))

    def encode_image(self, image):
        """(n, d) float32 projections of preprocessed images (n, 3, S, S) or (3, S, S)."""
        return self.model.encode_images(np.asarray(image, dtype=np.float32))

    def encode_text(self, text):
        """(n, d) float32 projections of token rows (n, context_length)."""
        return self.model.encode_tokens(np.asarray(text))

    def __call__(self, image, text):
        """(logits_per_image, logits_per_text): logit_scale · cosine, as OpenAI's forward."""
        image_features = self.encode_image(image)
        text_features = self.encode_text(text)
        image_features /= np.linalg.norm(image_features, axis=1, keepdims=True)
        text_features /= np.linalg.norm(text_features, axis=1, keepdims=True)
        logits_per_image = self.model.logit_scale * image_features @ text_features.T
        return logits_per_image, logits_per_image.T

    # torch.nn.Module calls that code written for OpenAI's model makes: no-ops here.
    def eval(self):
        return self

    def float(self):
        return self

    def to(self, *args, **kwargs):
        return self

    def __repr__(self):
        return f"clipkit.clip.ClipModel({self.model!r})"


def load(name, device="cpu", jit=False, download_root=None, **options):
    """(model, preprocess) for a checkpoint file or folder (OpenAI .pt, Hugging Face,
    open_clip); `options` go to clipkit.load (vocab=, precision=, threads=, ...).
    EXIF orientation is not applied, as OpenAI's preprocess does not."""
    global _last_model
    del device, jit, download_root  # CPU only; see the module's docstring
    if name in _OPENAI_MODELS and not os.path.exists(name):
        raise _clipkit.NotFoundError(f"{name}: clipkit.clip.load takes a checkpoint path; "
                                     f"run `clipkit pull {name}` and pass the path it prints")
    options.setdefault("exif", False)
    model = _clipkit.load(name, **options)
    _last_model = model
    return ClipModel(model), Preprocess(model)


def tokenize(texts, context_length=77, truncate=False):
    """(n, context_length) int32 token rows with the tokenizer of the model clip.load
    loaded last; an over-long text raises InvalidArgumentError unless truncate=True."""
    if _last_model is None:
        raise _clipkit.InvalidArgumentError("clip.tokenize: call clip.load first "
                                            "(clipkit's tokenizer comes with the model)")
    return _last_model.tokenize(texts, context_length=context_length, truncate=truncate)
