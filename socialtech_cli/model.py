"""The trained text model as plain arrays: loading, integrity checks, and scoring without scikit-learn.

Training (train.py) fits a scikit-learn TfidfVectorizer + LogisticRegression and exports its
vocabulary, idf and coefficients to `model.npz` (numpy arrays, loaded with allow_pickle=False:
data, never code) plus `model.json` (metadata). Scoring here reproduces the pipeline's
predict_proba exactly, at a fraction of the start-up cost, and gives exact per-word contributions.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelError

if TYPE_CHECKING:
    import numpy as np

FORMAT = "socialtech-linear"
FORMAT_VERSION = 1
ARRAYS_FILE = "model.npz"
META_FILE = "model.json"
RULES_FILE = "rules.toml"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class SparseRows:
    """Tf-idf rows in CSR form (the shape scikit-learn would produce), for a batch of texts."""

    indptr: np.ndarray  # row i spans [indptr[i], indptr[i+1])
    cols: np.ndarray
    vals: np.ndarray  # l2-normalised tf-idf values
    rows: np.ndarray  # row index of each stored value

    @property
    def n(self) -> int:
        return len(self.indptr) - 1


@dataclass
class LinearModel:
    classes: tuple[str, ...]
    terms: list[str]
    vocab: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray  # (n_classes, n_terms)
    intercept: np.ndarray  # (n_classes,)
    sublinear_tf: bool

    @classmethod
    def from_arrays(cls, arrays: dict[str, Any], classes: Sequence[str], sublinear_tf: bool) -> LinearModel:
        terms = [str(t) for t in arrays["terms"].tolist()]
        return cls(
            classes=tuple(classes),
            terms=terms,
            vocab={t: i for i, t in enumerate(terms)},
            idf=arrays["idf"],
            coef=arrays["coef"],
            intercept=arrays["intercept"],
            sublinear_tf=sublinear_tf,
        )

    def vectorize(self, feature_lists: Sequence[Sequence[str]]) -> SparseRows:
        import numpy as np

        vocab = self.vocab
        indptr = [0]
        cols: list[int] = []
        counts: list[int] = []
        for feats in feature_lists:
            seen: dict[int, int] = {}
            for f in feats:
                j = vocab.get(f)
                if j is not None:
                    seen[j] = seen.get(j, 0) + 1
            cols.extend(seen)
            counts.extend(seen.values())
            indptr.append(len(cols))
        ptr = np.asarray(indptr, dtype=np.int64)
        col = np.asarray(cols, dtype=np.int64)
        tf = np.asarray(counts, dtype=np.float64)
        if self.sublinear_tf:
            tf = np.log(tf) + 1.0
        vals = tf * self.idf[col]
        rows = np.repeat(np.arange(len(feature_lists)), np.diff(ptr))
        norms = np.sqrt(np.bincount(rows, weights=vals * vals, minlength=len(feature_lists)))
        if len(vals):
            vals = vals / norms[rows]
        return SparseRows(ptr, col, vals, rows)

    def decision(self, x: SparseRows) -> np.ndarray:
        """Logits, shape (n_texts, n_classes)."""
        import numpy as np

        out = np.empty((x.n, len(self.classes)))
        for c in range(len(self.classes)):
            out[:, c] = np.bincount(x.rows, weights=x.vals * self.coef[c, x.cols], minlength=x.n)
        return out + self.intercept

    def predict_proba(self, x: SparseRows) -> np.ndarray:
        return softmax(self.decision(x))


def softmax(z: np.ndarray) -> np.ndarray:
    import numpy as np

    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


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


def read_meta(model_dir: Path) -> dict[str, Any]:
    meta_path = model_dir / META_FILE
    if not model_dir.exists():
        raise ModelError("model directory not found", path=str(model_dir))
    if not model_dir.is_dir():
        raise ModelError("not a model directory (expected a folder)", path=str(model_dir))
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"no {META_FILE} here: not a socialtech model directory", path=str(model_dir)) from None
    except (ValueError, UnicodeDecodeError, OSError) as e:
        raise ModelError(f"{META_FILE} is unreadable or corrupted ({e})", path=str(model_dir)) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(f"{META_FILE} does not describe a {FORMAT} model", path=str(model_dir))
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"unknown model format version {meta.get('format_version')!r} "
            f"(this socialtech reads version {FORMAT_VERSION}); retrain with `socialtech train`",
            path=str(model_dir),
        )
    return meta


def verify_files(model_dir: Path, meta: dict[str, Any]) -> None:
    """Refuse a model whose files do not match the hashes recorded when it was written."""
    files = meta.get("files")
    if not isinstance(files, dict) or ARRAYS_FILE not in files or RULES_FILE not in files:
        raise ModelError(f"{META_FILE} lists no file hashes", path=str(model_dir))
    for name, expected in files.items():
        p = model_dir / name
        if not p.is_file():
            raise ModelError(f"{name} is missing", path=str(model_dir))
        if sha256_file(p) != expected:
            raise ModelError(
                f"{name} does not match the hash in {META_FILE}: the model is corrupted or was "
                "modified; retrain it or reinstall the package",
                path=str(model_dir),
            )


def load_bundle(model_dir: Path) -> ModelBundle:
    import numpy as np

    meta = read_meta(model_dir)
    verify_files(model_dir, meta)
    try:
        with np.load(model_dir / ARRAYS_FILE, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in ("terms", "idf", "coef", "intercept")}
        classes = meta["labels"]
        linear = LinearModel.from_arrays(arrays, classes, bool(meta["vectorizer"]["sublinear_tf"]))
        float(meta["decision"]["threshold"]), float(meta["decision"]["alpha"])
    except (KeyError, ValueError, TypeError, OSError) as e:
        raise ModelError(f"the model files are inconsistent ({e!r})", path=str(model_dir)) from None
    n_terms = len(linear.terms)
    if linear.coef.shape != (len(classes), n_terms) or linear.idf.shape != (n_terms,):
        raise ModelError("the model arrays have inconsistent shapes", path=str(model_dir))
    if not all(math.isfinite(v) for v in (linear.coef.sum(), linear.idf.sum(), linear.intercept.sum())):
        raise ModelError("the model arrays hold non-finite numbers", path=str(model_dir))
    return ModelBundle(linear, meta, model_dir)
