"""clipkit.clip, OpenAI's package names: the same numbers as OpenAI's encode_image / encode_text."""

import numpy as np
import pytest

import clipkit
from clipkit import clip
from conftest import IMAGES, MODEL, VOCAB, assert_rows_close


@pytest.fixture(scope="module")
def loaded():
    return clip.load(str(MODEL), device="cpu", vocab=VOCAB)


def test_encode_image_and_text(loaded, expected):
    model, preprocess = loaded
    assert model.input_resolution == 64 and model.context_length == 77
    # EXIF is off, as OpenAI's preprocess (the expected features include chelsea_exif*.jpg)
    images = np.stack([preprocess(str(IMAGES / n)) for n in expected["images"]])
    assert images.shape == (len(expected["images"]), 3, 64, 64)
    assert_rows_close(model.encode_image(images), expected["image_features"], "encode_image")
    text = clip.tokenize(expected["texts"], truncate=True)
    np.testing.assert_array_equal(text, expected["tokens"])
    assert_rows_close(model.encode_text(text), expected["text_features"], "encode_text")
    logits_per_image, logits_per_text = model(images, text)
    np.testing.assert_allclose(logits_per_image, expected["logits_per_image"], rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(logits_per_text, np.array(expected["logits_per_image"]).T, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(np.exp(model.logit_scale), expected["logit_scale"], rtol=1e-6)


def test_preprocess_takes_arrays(loaded):
    model, preprocess = loaded
    rgb = np.random.default_rng(3).integers(0, 256, size=(80, 64, 3), dtype=np.uint8)
    pixels = preprocess(rgb)
    assert pixels.shape == (3, 64, 64) and pixels.dtype == np.float32
    np.testing.assert_allclose(model.encode_image(pixels[None]), model.model.embed_images(rgb, raw=True), atol=1e-6)


def test_tokenize_refuses_long_text_unless_truncated(loaded):
    long_text = "x " * 100
    with pytest.raises(clipkit.InvalidArgumentError, match="too long|context"):
        clip.tokenize(long_text)
    row = clip.tokenize(long_text, truncate=True)
    assert row.shape == (1, 77) and row[0, -1] == 49407
    assert clip.tokenize("", context_length=10).tolist() == [[49406, 49407] + [0] * 8]  # as OpenAI's


def test_available_models_and_names():
    assert "ViT-B/32" in clip.available_models()
    with pytest.raises(clipkit.NotFoundError, match="clipkit pull ViT-B/32"):
        clip.load("ViT-B/32")
