"""clipkit.Index: add images, search by text / image / vector, the model check."""

import pathlib
import shutil

import numpy as np
import pytest

import clipkit
from conftest import IMAGES, MODEL, VOCAB

PHOTOS = ["CLIP.png", "astronaut.png", "coffee.png", "rocket.jpg", "chelsea.png"]
EMOJI = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "emoji-eval" / "images"


@pytest.fixture()
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in PHOTOS:
        shutil.copy(IMAGES / name, folder / name)
    return folder


def test_add_and_search(model, photos, tmp_path):
    idx = clipkit.Index(tmp_path / "photos.clipkit", model)
    report = idx.add(photos)
    assert (report["scanned"], report["embedded"], report["errors"]) == (5, 5, 0), report
    assert len(idx) == 5
    assert idx.add([str(photos)])["unchanged"] == 5  # incremental

    # an image finds itself first, with cosine 1
    hits = idx.search(photos / "coffee.png", k=3)
    assert len(hits) == 3 and hits[0][0] == str(photos / "coffee.png")
    assert hits[0][1] == pytest.approx(1.0, abs=1e-5) and hits[0][1] >= hits[1][1] >= hits[2][1]
    # a vector: the stored one of another image
    vector = model.embed_images(str(photos / "rocket.jpg"))[0].astype(np.float64) * 3  # any scale
    assert idx.search(vector, k=1)[0][0] == str(photos / "rocket.jpg")
    # a text: hits in the order of the cosines computed here
    scores = model.embed_images([str(photos / n) for n in PHOTOS]) @ model.embed_texts("a cup of coffee")[0]
    text_hits = idx.search("a cup of coffee", k=5)
    assert [h[0] for h in text_hits] == [str(photos / PHOTOS[i]) for i in np.argsort(-scores)]
    np.testing.assert_allclose([h[1] for h in text_hits], np.sort(scores)[::-1], atol=1e-5)
    assert len(idx.search("a cup of coffee", k=5, threshold=float(np.sort(scores)[-2]) - 1e-6)) == 2


def test_reopen_uses_the_recorded_model(model, photos, tmp_path):
    db = tmp_path / "photos.clipkit"
    clipkit.Index(db, model).add(photos)
    idx = clipkit.Index(str(db))  # no model: the one recorded in the database
    assert idx.search(photos / "astronaut.png", k=1)[0][0] == str(photos / "astronaut.png")
    assert idx.model.path == str(MODEL)
    assert idx.stats()["model"]["dim"] == 32


def test_another_model_is_refused(model, photos, tmp_path):
    db = tmp_path / "photos.clipkit"
    clipkit.Index(db, model).add(photos)
    other = clipkit.load(MODEL.parent.parent / "tiny_gelu" / "open_clip", vocab=VOCAB)
    with pytest.raises(clipkit.InvalidArgumentError):
        clipkit.Index(db, other).search("a dog")
    with pytest.raises(clipkit.NotFoundError):
        clipkit.Index(tmp_path / "missing" / "x.clipkit")


def test_text_search_with_the_default_model(tmp_path):
    names = ["1f49c.png", "1f32d.png", "1f303.png", "1f004.png", "1f31f.png"]
    folder = tmp_path / "emoji"
    folder.mkdir()
    for name in names:
        shutil.copy(EMOJI / name, folder / name)
    idx = clipkit.Index(tmp_path / "emoji.clipkit")  # the default model
    assert idx.add(folder)["embedded"] == 5
    assert idx.search("紫色的心", k=1)[0][0] == str(folder / "1f49c.png")  # "purple heart"
    assert idx.search("a purple heart", k=1)[0][0] == str(folder / "1f49c.png")
