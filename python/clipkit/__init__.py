"""clipkit — CLIP image/text embeddings, zero-shot labels and image search, without PyTorch.

    import clipkit
    m = clipkit.load("ViT-B-32.pt", vocab="bpe_simple_vocab_16e6.txt.gz")  # no path: the default model
    img = m.embed_images(["CLIP.png", rgb_uint8_array])   # (n, d) float32, unit rows; raw=True: projections
    txt = m.embed_texts(["a diagram", "a dog", "a cat"])  # (n, d)
    m.label_probs(img, txt)                                # (n_images, n_texts)
    m.tokenize(["a dog"])                                  # (n, context) int32
    idx = clipkit.Index("photos.clipkit"); idx.add(["~/Pictures"]); idx.search("two dogs", k=5)

Arrays are NumPy, row-major. A Model is immutable: its methods may be called from many
threads at once, and they release the GIL while they compute. Failures raise
clipkit.Error subclasses (InvalidArgumentError and CorruptDataError are ValueErrors,
NotFoundError a FileNotFoundError) with clipkit's message and `.code`.

`clipkit.clip` has the names of OpenAI's `clip` package (load, tokenize, encode_image,
encode_text) for code moving off PyTorch.
"""

import os
import threading

import numpy as np

from ._clipkit import (
    CorruptDataError,
    Error,
    InternalError,
    InvalidArgumentError,
    Model,
    NotFoundError,
    ResourceExhaustedError,
    UnsupportedError,
    __version__,
    compute_backend,
    default_model_path,
    load,
)
from . import _clipkit

__all__ = [
    "load", "Model", "Index", "compute_backend", "default_model_path", "__version__",
    "Error", "InvalidArgumentError", "NotFoundError", "CorruptDataError", "UnsupportedError",
    "ResourceExhaustedError", "InternalError",
]


class Index:
    """A searchable collection of image embeddings in one SQLite file (as `clipkit index`).

        idx = clipkit.Index("photos.clipkit")          # opened or created
        idx.add(["~/Pictures"])                         # incremental: new and changed files
        idx.search("two dogs", k=5)                     # [(path, score), ...], best first

    The model: `model=` here or per call, else the one recorded in the database (its path,
    vocabulary and text model), else $CLIPKIT_MODEL or the default model. Queries with
    another model than the one that made the vectors are refused (InvalidArgumentError).
    Searches may run from many threads at once; add() waits for them and they for it.
    """

    def __init__(self, path, model=None, *, create=True):
        self._index = _clipkit.ImageIndex(os.path.expanduser(path) if isinstance(path, str) else path, create)
        self._model = model
        self._lock = threading.Lock()

    @property
    def path(self):
        return self._index.path

    def _resolve(self, model):
        if model is not None:
            return model
        with self._lock:
            if self._model is None:
                recorded = self._index.stats()["model"]
                if recorded and recorded["model_path"] and not os.environ.get("CLIPKIT_MODEL"):
                    self._model = load(recorded["model_path"], vocab=recorded["vocab_path"] or None,
                                       text_model=recorded["text_model_path"] or None)
                else:
                    self._model = load()
            return self._model

    @property
    def model(self):
        """The model searches embed queries with (loaded on first use)."""
        return self._resolve(None)

    def add(self, paths, model=None):
        """Indexes files and folders (recursively): new and changed images are embedded,
        moved ones recognised by content, files gone from under these paths dropped,
        unreadable ones recorded. Returns counts and error_files [(path, reason)]."""
        if isinstance(paths, (str, bytes, os.PathLike)):
            paths = [paths]
        paths = [os.path.expanduser(p) if isinstance(p, str) else p for p in paths]
        return self._index.add(self._resolve(model), paths)

    def search(self, query, k=10, *, threshold=None, exclude=None, model=None):
        """The k indexed images closest to `query`: a text (str), an image (a path as
        os.PathLike or bytes, encoded bytes, a uint8 array) or an embedding (a float
        array of the index's dimension). Returns [(path, cosine score)], best first;
        threshold drops lower scores, exclude leaves out a row id."""
        if isinstance(query, np.ndarray) and query.dtype.kind == "f":
            vector = query
        else:
            m = self._resolve(model)
            self._index.check_model(m)
            vector = m.embed_texts(query)[0] if isinstance(query, str) else m.embed_images(query)[0]
        return self._index.search(vector, k, threshold, exclude)

    def stats(self):
        """files, vectors, errors, dim, vector_type, hnsw_fresh and the recorded model."""
        return self._index.stats()

    def __len__(self):
        return self._index.stats()["vectors"]

    def __repr__(self):
        return f"<clipkit.Index {self.path!r}: {len(self)} images>"
