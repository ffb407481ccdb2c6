"""Failures are clipkit.Error subclasses carrying clipkit's message and code."""

import numpy as np
import pytest

import clipkit
from conftest import IMAGES, MODEL, VOCAB


def test_missing_model_names_the_path(tmp_path):
    missing = tmp_path / "no-such-model.pt"
    with pytest.raises(clipkit.NotFoundError) as info:
        clipkit.load(missing, vocab=VOCAB)
    assert str(missing) in str(info.value)
    assert info.value.code == "not_found"
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, clipkit.Error)


def test_corrupt_model(tmp_path):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(MODEL.read_bytes()[:5000])  # a truncated zip
    with pytest.raises(clipkit.Error) as info:
        clipkit.load(bad, vocab=VOCAB)
    assert info.value.code == "corrupt_data" and isinstance(info.value, clipkit.CorruptDataError)
    assert str(bad) in str(info.value)


def test_bad_options():
    with pytest.raises(clipkit.InvalidArgumentError, match="fp64"):
        clipkit.load(MODEL, vocab=VOCAB, precision="fp64")


def test_empty_text(model):
    with pytest.raises(clipkit.InvalidArgumentError, match="empty text") as info:
        model.embed_texts(["a dog", "  "])
    assert isinstance(info.value, ValueError) and info.value.code == "invalid_argument"
    with pytest.raises(clipkit.InvalidArgumentError, match="texts is empty"):
        model.embed_texts([])
    with pytest.raises(TypeError, match=r"texts\[1\] is int"):
        model.embed_texts(["a dog", 3])


def test_wrong_array_shape_and_dtype(model):
    with pytest.raises(clipkit.InvalidArgumentError, match=r"images\[1\]: array of shape \(8, 8, 2\)"):
        model.embed_images([np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8, 2), np.uint8)])
    with pytest.raises(clipkit.InvalidArgumentError, match="dtype float32"):
        model.embed_images(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(clipkit.InvalidArgumentError, match=r"shape \(0, 8, 3\) has no pixels"):
        model.embed_images(np.zeros((0, 8, 3), np.uint8))
    with pytest.raises(clipkit.InvalidArgumentError, match=r"shape \(2, 64, 64\)"):
        model.encode_images(np.zeros((2, 64, 64), np.float32))
    with pytest.raises(clipkit.InvalidArgumentError, match=r"texts: array of shape \(2, 31\)"):
        model.label_probs(np.ones(32, np.float32), np.ones((2, 31), np.float32))
    with pytest.raises(clipkit.InvalidArgumentError, match=r"tokens: array of shape \(1, 76\)"):
        model.encode_tokens(np.zeros((1, 76), np.int32))


def test_image_files(model, tmp_path):
    missing = tmp_path / "missing.png"
    with pytest.raises(clipkit.NotFoundError, match=str(missing)):
        model.embed_images([str(IMAGES / "CLIP.png"), missing])
    truncated = IMAGES / "chelsea_truncated.jpg"
    with pytest.raises(clipkit.CorruptDataError, match="chelsea_truncated.jpg"):
        model.embed_images(str(truncated))
    with pytest.raises(clipkit.Error, match=r"images\[0\]"):
        model.embed_images([b"\0not an image"])  # encoded bytes: named by position
    with pytest.raises(TypeError):
        model.embed_images([3.5])
