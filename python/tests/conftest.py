"""Shared fixtures: the tiny random-weight CLIP (../shared/fixtures/models/tiny_quickgelu)
with the expected outputs OpenAI's code gave for it (expected.json), and tolerances
(FIXTURES.md): cosine >= 0.99999 per embedding, probabilities within 1e-4."""

import json
import os
import pathlib

import numpy as np
import pytest

SHARED = pathlib.Path(os.environ.get("CLIPKIT_SHARED_DIR",
                                     pathlib.Path(__file__).resolve().parents[2] / ".." / "shared")).resolve()
MODEL_DIR = SHARED / "fixtures" / "models" / "tiny_quickgelu"
MODEL = MODEL_DIR / "model.jit.pt"
VOCAB = SHARED / "data" / "clip" / "bpe_simple_vocab_16e6.txt.gz"
IMAGES = SHARED / "data" / "images"

MIN_COSINE = 0.99999
PROB_TOLERANCE = 1e-4


@pytest.fixture(scope="session")
def expected():
    return json.loads((MODEL_DIR / "expected.json").read_text())


@pytest.fixture(scope="session")
def model():
    import clipkit
    # The reference transform does not apply EXIF orientation (FIXTURES.md).
    return clipkit.load(MODEL, vocab=VOCAB, exif=False)


def assert_rows_close(actual, expected, what, same_scale=True):
    """Cosine of each row >= MIN_COSINE; with same_scale, also max |diff| <= 1e-4 * max |expected|."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, expected {expected.shape}"
    cos = (actual * expected).sum(1) / (np.linalg.norm(actual, axis=1) * np.linalg.norm(expected, axis=1))
    worst = int(np.argmin(cos))
    assert cos[worst] >= MIN_COSINE, f"{what}: row {worst} cosine {cos[worst]:.7f} < {MIN_COSINE}"
    if not same_scale:
        return
    max_abs = np.abs(actual - expected).max()
    assert max_abs <= 1e-4 * np.abs(expected).max(), f"{what}: max |diff| {max_abs}"
