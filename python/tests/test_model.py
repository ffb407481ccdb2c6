"""clipkit.Model against OpenAI's outputs for the tiny fixture model (expected.json)."""

import pathlib
import struct

import numpy as np

import clipkit
from conftest import IMAGES, MODEL, PROB_TOLERANCE, VOCAB, assert_rows_close

EMOJI = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "emoji-eval" / "images"


def write_bmp(path, rgb):
    """A 24-bit BMP of an (H, W, 3) uint8 array (bottom-up rows, BGR, padded to 4 bytes)."""
    h, w, _ = rgb.shape
    stride = (w * 3 + 3) & ~3
    rows = b"".join(rgb[y, :, ::-1].tobytes().ljust(stride, b"\0") for y in range(h - 1, -1, -1))
    header = struct.pack("<2sIHHI", b"BM", 54 + len(rows), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(rows), 2835, 2835, 0, 0)
    path.write_bytes(header + info + rows)


def test_dimensions(model):
    assert (model.embed_dim, model.image_size, model.context_length) == (32, 64, 77)
    assert model.scoring == "softmax"
    assert model.path.endswith("model.jit.pt")


def test_image_embeddings_match_openai(model, expected):
    paths = [str(IMAGES / name) for name in expected["images"]]
    raw = model.embed_images(paths, raw=True)
    assert raw.dtype == np.float32 and raw.shape == (len(paths), 32)
    assert_rows_close(raw, expected["image_features"], "embed_images(raw=True)")
    unit = model.embed_images(paths)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1, atol=1e-5)
    assert_rows_close(unit, expected["image_features"], "embed_images()", same_scale=False)


def test_text_embeddings_match_openai(model, expected):
    raw = model.embed_texts(expected["texts"], raw=True)
    assert raw.dtype == np.float32 and raw.shape == (len(expected["texts"]), 32)
    assert_rows_close(raw, expected["text_features"], "embed_texts(raw=True)")
    np.testing.assert_allclose(np.linalg.norm(model.embed_texts(expected["texts"]), axis=1), 1, atol=1e-5)
    one = model.embed_texts(expected["texts"][1], raw=True)  # a str is one text
    assert_rows_close(one, expected["text_features"][1:2], "embed_texts(str)")


def test_tokens_match_openai(model, expected):
    tokens = model.tokenize(expected["texts"])
    assert tokens.dtype == np.int32 and tokens.shape == (len(expected["texts"]), 77)
    np.testing.assert_array_equal(tokens, np.array(expected["tokens"], dtype=np.int32))


def test_label_probs_match_openai(model, expected):
    images = model.embed_images([str(IMAGES / n) for n in expected["images"]])
    texts = model.embed_texts(expected["texts"])
    probs = model.label_probs(images, texts)
    assert probs.shape == (len(expected["images"]), len(expected["texts"]))
    np.testing.assert_allclose(probs, expected["probs"], atol=PROB_TOLERANCE)
    # raw projections give the same cosines; one image gives one row
    np.testing.assert_allclose(model.label_probs(model.embed_images(str(IMAGES / expected["images"][0]), raw=True)[0],
                                                 model.embed_texts(expected["texts"], raw=True)),
                               expected["probs"][0], atol=PROB_TOLERANCE)


def test_image_inputs_agree(model, tmp_path):
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, size=(50, 70, 3), dtype=np.uint8)
    write_bmp(tmp_path / "random.bmp", rgb)
    from_file = model.embed_images([str(tmp_path / "random.bmp")], raw=True)
    from_path = model.embed_images(tmp_path / "random.bmp", raw=True)          # os.PathLike, one image
    from_bytes_path = model.embed_images([bytes(tmp_path / "random.bmp")], raw=True)
    from_encoded = model.embed_images([(tmp_path / "random.bmp").read_bytes()], raw=True)
    from_array = model.embed_images([rgb], raw=True)
    from_view = model.embed_images([rgb[::-1][::-1]], raw=True)                 # a non-contiguous view
    for other in (from_path, from_bytes_path, from_encoded, from_array, from_view):
        np.testing.assert_array_equal(other, from_file)
    # gray = the same value in R, G, B; alpha 255 = opaque RGB
    gray = rgb[:, :, 0]
    assert_rows_close(model.embed_images(gray, raw=True), model.embed_images(np.stack([gray] * 3, axis=2), raw=True),
                      "gray")
    rgba = np.concatenate([rgb, np.full((50, 70, 1), 255, np.uint8)], axis=2)
    assert_rows_close(model.embed_images(rgba, raw=True), from_file, "rgba")
    # a mixed list, and an (N, H, W, 3) batch
    mixed = model.embed_images([rgb, str(IMAGES / "CLIP.png"), rgb])
    np.testing.assert_allclose(mixed[0], mixed[2], atol=1e-6)
    np.testing.assert_allclose(mixed[1], model.embed_images(str(IMAGES / "CLIP.png"))[0], atol=1e-6)
    batch = model.embed_images(np.stack([rgb, rgb[::-1].copy()]))
    assert batch.shape == (2, 32)
    np.testing.assert_allclose(batch[0], mixed[0], atol=1e-6)


def test_preprocess_and_encode(model, expected):
    pixels = np.stack([model.preprocess(str(IMAGES / n)) for n in expected["images"][:3]])
    assert pixels.shape == (3, 3, 64, 64) and pixels.dtype == np.float32
    assert_rows_close(model.encode_images(pixels), expected["image_features"][:3], "encode_images")
    tokens = model.tokenize(expected["texts"][:4])
    assert_rows_close(model.encode_tokens(tokens), expected["text_features"][:4], "encode_tokens")
    assert_rows_close(model.encode_tokens(tokens.astype(np.int64)), expected["text_features"][:4], "int64 tokens")


def test_default_model():
    path = clipkit.default_model_path()
    assert path and path.endswith("emoji-clip")
    m = clipkit.load()
    assert m.embed_dim == 256
    hearts = m.embed_texts(["a purple heart", "紫色的心", "pizza"])
    image = m.embed_images(EMOJI / "1f49c.png")
    probs = m.label_probs(image, hearts)[0]
    assert probs[0] > probs[2] and probs[1] > probs[2], probs


def test_version_and_backend():
    assert clipkit.__version__.count(".") == 2
    assert clipkit.compute_backend()
    assert repr(clipkit.load(MODEL, vocab=VOCAB)).startswith("<clipkit.Model clip ")
