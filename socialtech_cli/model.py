"""The trained text model as plain arrays: loading, integrity checks, and scoring without scikit-learn.

Training (train.py) fits a scikit-learn TfidfVectorizer + LogisticRegression and exports its
vocabulary (`terms.txt`) and idf, intercepts and coefficients (`weights.f64`, raw float64) with
`model.json` (metadata and file hashes). Nothing here unpickles or imports scikit-learn: a model
is data, never code. One text is scored in pure Python (no numpy import, for a fast CLI); many
texts are scored with numpy views of the same bytes. Both reproduce the pipeline's predict_proba
exactly and give exact per-word contributions.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelError

if TYPE_CHECKING:
    import numpy as np

FORMAT = "socialtech-linear"
# Version 2 added the opening-word features (text.HEAD_MARK). A version-1 model is still read
# exactly: the new features are not in its vocabulary, so they are dropped before scoring. An
# older socialtech refuses version 2 instead of silently scoring without those features.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
TERMS_FILE = "terms.txt"  # one feature per line, UTF-8, in column order
WEIGHTS_FILE = "weights.f64"  # little-endian float64: idf[V], intercept[C], coef[V x C]
META_FILE = "model.json"
RULES_FILE = "rules.toml"
MODEL_FILES = (TERMS_FILE, WEIGHTS_FILE, RULES_FILE)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class SparseRows:
    """Tf-idf rows in CSR form (what scikit-learn's vectoriser produces), for a batch of texts."""

    indptr: np.ndarray  # row i spans [indptr[i], indptr[i+1])
    cols: np.ndarray
    vals: np.ndarray  # l2-normalised tf-idf values
    rows: np.ndarray  # row index of each stored value

    @property
    def n(self) -> int:
        return len(self.indptr) - 1


class LinearModel:
    """Tf-idf (sublinear tf, l2 norm) + multinomial logistic regression, as flat float arrays."""

    def __init__(
        self, classes: Sequence[str], terms: list[str], weights: bytes | array, sublinear_tf: bool = True
    ) -> None:
        self.classes = tuple(classes)
        self.terms = terms
        self.vocab = {t: i for i, t in enumerate(terms)}
        self.sublinear_tf = sublinear_tf
        w = weights if isinstance(weights, array) else _doubles(weights)
        v, c = len(terms), len(self.classes)
        if len(w) != v + c + v * c:
            raise ValueError(f"expected {v + c + v * c} weights for {v} terms and {c} classes, got {len(w)}")
        self.weights = w
        self.idf = w[:v]
        self.intercept = w[v : v + c]
        self._coef_start = v + c

    # -- one text, pure Python ------------------------------------------------------------------

    def tfidf_one(self, feats: Sequence[str]) -> dict[int, float]:
        counts: dict[int, int] = {}
        for f in feats:
            j = self.vocab.get(f)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        x = {j: ((math.log(n) + 1.0) if self.sublinear_tf else n) * self.idf[j] for j, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in x.values()))
        return {j: v / norm for j, v in x.items()} if norm else x

    def coef_row(self, j: int) -> Sequence[float]:
        """The coefficients of term j for every class."""
        c = len(self.classes)
        start = self._coef_start + j * c
        return self.weights[start : start + c]

    def proba_one(self, x: dict[int, float]) -> list[float]:
        z = list(self.intercept)
        for j, v in x.items():
            for k, w in enumerate(self.coef_row(j)):
                z[k] += v * w
        return softmax_row(z)

    # -- many texts, numpy ----------------------------------------------------------------------

    @cached_property
    def np_idf(self) -> np.ndarray:
        import numpy as np

        return np.frombuffer(self.weights, dtype=np.float64, count=len(self.terms))

    @cached_property
    def np_coef(self) -> np.ndarray:
        """(n_terms, n_classes) view of the coefficients."""
        import numpy as np

        v, c = len(self.terms), len(self.classes)
        flat = np.frombuffer(self.weights, dtype=np.float64, offset=8 * self._coef_start, count=v * c)
        return flat.reshape(v, c)

    def vectorize(self, feature_lists: Sequence[Sequence[str]]) -> SparseRows:
        import numpy as np

        get = self.vocab.get
        flat: list[int] = []
        lens: list[int] = []
        for feats in feature_lists:
            ids = [j for j in map(get, feats) if j is not None]
            flat.extend(ids)
            lens.append(len(ids))
        n, v = len(feature_lists), len(self.terms)
        # Count (row, term) pairs in C: keys sort by row, then by term id within a row.
        keys = np.repeat(np.arange(n, dtype=np.int64), lens) * v + np.asarray(flat, dtype=np.int64)
        uniq, counts = np.unique(keys, return_counts=True)
        rows, col = np.divmod(uniq, v)
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=ptr[1:])
        tf = counts.astype(np.float64)
        if self.sublinear_tf:
            tf = np.log(tf) + 1.0
        vals = tf * self.np_idf[col]
        norms = np.sqrt(np.bincount(rows, weights=vals * vals, minlength=n))
        if len(vals):
            vals = vals / norms[rows]
        return SparseRows(ptr, col, vals, rows)

    def decision(self, x: SparseRows) -> np.ndarray:
        """Logits, shape (n_texts, n_classes)."""
        import numpy as np

        coef = self.np_coef
        out = np.empty((x.n, len(self.classes)))
        for c in range(len(self.classes)):
            out[:, c] = np.bincount(x.rows, weights=x.vals * coef[x.cols, c], minlength=x.n)
        return out + np.asarray(self.intercept)

    def predict_proba(self, x: SparseRows) -> np.ndarray:
        return softmax(self.decision(x))


def _doubles(data: bytes) -> array:
    a = array("d")
    a.frombytes(data)
    if sys.byteorder != "little":
        a.byteswap()
    return a


def softmax_row(z: Sequence[float]) -> list[float]:
    m = max(z)
    e = [math.exp(v - m) for v in z]
    s = sum(e)
    return [v / s for v in e]


def softmax(z: np.ndarray) -> np.ndarray:
    import numpy as np

    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def weights_bytes(idf: Sequence[float], intercept: Sequence[float], coef_by_term: Any) -> bytes:
    """Serialise the arrays in the WEIGHTS_FILE layout (coef_by_term: n_terms x n_classes)."""
    a = array("d", list(idf) + list(intercept) + [float(v) for row in coef_by_term for v in row])
    if sys.byteorder != "little":
        a.byteswap()
    return a.tobytes()


@dataclass
class ModelBundle:
    """A loaded model directory: the arrays, its metadata and where it came from."""

    linear: LinearModel
    meta: dict[str, Any]
    path: Path

    @property
    def threshold(self) -> float:
        return float(self.meta["decision"]["threshold"])

    @property
    def alpha(self) -> float:
        return float(self.meta["decision"]["alpha"])

    @property
    def C(self) -> float:
        return float(self.meta["classifier"]["C"])


def read_meta(model_dir: Path) -> dict[str, Any]:
    meta_path = model_dir / META_FILE
    if not model_dir.exists():
        raise ModelError("model directory not found", path=str(model_dir))
    if not model_dir.is_dir():
        raise ModelError("not a model directory (expected a folder)", path=str(model_dir))
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            f"no {META_FILE} here: not a socialtech model directory", path=str(model_dir)
        ) from None
    except (ValueError, UnicodeDecodeError, OSError) as e:
        raise ModelError(f"{META_FILE} is unreadable or corrupted ({e})", path=str(model_dir)) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(f"{META_FILE} does not describe a {FORMAT} model", path=str(model_dir))
    if meta.get("format_version") not in READABLE_VERSIONS:
        raise ModelError(
            f"unknown model format version {meta.get('format_version')!r} "
            f"(this socialtech reads versions {', '.join(map(str, READABLE_VERSIONS))}); "
            "retrain with `socialtech train`",
            path=str(model_dir),
        )
    return meta


def load_bundle(model_dir: Path) -> ModelBundle:
    """Load a model directory, refusing files that do not match the hashes in its metadata."""
    meta = read_meta(model_dir)
    files = meta.get("files")
    if not isinstance(files, dict) or set(MODEL_FILES) - set(files):
        raise ModelError(f"{META_FILE} lists no hash for {', '.join(MODEL_FILES)}", path=str(model_dir))
    blobs: dict[str, bytes] = {}
    for name in MODEL_FILES:
        try:
            blobs[name] = (model_dir / name).read_bytes()
        except OSError:
            raise ModelError(f"{name} is missing or unreadable", path=str(model_dir)) from None
        if hashlib.sha256(blobs[name]).hexdigest() != files[name]:
            raise ModelError(
                f"{name} does not match the hash in {META_FILE}: the model is corrupted or was "
                "modified; retrain it or reinstall the package",
                path=str(model_dir),
            )
    try:
        terms = blobs[TERMS_FILE].decode("utf-8").split("\n")
        linear = LinearModel(
            meta["labels"], terms, blobs[WEIGHTS_FILE], bool(meta["vectorizer"]["sublinear_tf"])
        )
        float(meta["decision"]["threshold"]), float(meta["decision"]["alpha"]), float(meta["classifier"]["C"])
    except (KeyError, ValueError, TypeError, UnicodeDecodeError) as e:
        raise ModelError(f"the model files are inconsistent ({e})", path=str(model_dir)) from None
    return ModelBundle(linear, meta, model_dir)
