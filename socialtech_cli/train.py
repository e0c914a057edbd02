"""Training: grouped cross-validation, choice of the decision parameters, export, atomic save.

The model is a scikit-learn Pipeline (TfidfVectorizer on text.features + LogisticRegression).
Out-of-fold predictions (StratifiedGroupKFold, one organisation per fold) choose the
regularisation C, the rule weight alpha and the abstention threshold; the final pipeline is
fitted on all examples and exported to plain arrays (model.py) with its metadata.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, text
from .classify import combine
from .errors import SocialtechError
from .examples import LANGS, Example, Problem, data_hash, dataset_problems, load, raise_on_failures
from .model import (
    FORMAT,
    FORMAT_VERSION,
    META_FILE,
    MODEL_FILES,
    RULES_FILE,
    TERMS_FILE,
    WEIGHTS_FILE,
    LinearModel,
    sha256_file,
    weights_bytes,
)
from .rules import RuleSet, load_rules
from .taxonomy import OUT_OF_SCOPE, Taxonomy

C_GRID = (2.0, 5.0, 10.0, 20.0, 50.0)
ALPHA_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
DEFAULT_TARGET_PRECISION = 0.9
DEFAULT_FOLDS = 5
DEFAULT_REPEATS = 3
SEED = 0


def make_pipeline(C: float) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [
            ("tfidf", TfidfVectorizer(analyzer=text.features, sublinear_tf=True, dtype=np.float64)),
            ("clf", LogisticRegression(C=C, solver="newton-cg", max_iter=2000)),
        ]
    )


def export(pipeline: Any) -> tuple[list[str], list[str], bytes]:
    """The fitted pipeline as plain data: classes, terms (column order) and the weights file."""
    vec, clf = pipeline.named_steps["tfidf"], pipeline.named_steps["clf"]
    terms = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
    classes = [str(c) for c in clf.classes_]
    return classes, terms, weights_bytes(vec.idf_, clf.intercept_, np.asarray(clf.coef_).T)


def linear_from_pipeline(pipeline: Any) -> LinearModel:
    classes, terms, weights = export(pipeline)
    return LinearModel(classes, terms, weights, sublinear_tf=True)


# -- metrics ----------------------------------------------------------------------------------------


def metrics(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 and per-class precision/recall/F1, in plain Python numbers."""
    per: dict[str, dict[str, float]] = {}
    f1s = []
    for c in labels:
        tp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == c and p == c)
        fp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t != c and p == c)
        fn = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == c and p != c)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        support = tp + fn
        per[c] = {
            "precision": round(prec, 4),
            "recall": round(rec, 4),
            "f1": round(f1, 4),
            "support": support,
        }
        if support:
            f1s.append(f1)
    n = len(y_true)
    acc = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == p) / n if n else 0.0
    return {
        "n": n,
        "accuracy": round(acc, 4),
        "macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
        "per_class": per,
    }


def metrics_by_lang(
    y_true: Sequence[str], y_pred: Sequence[str], langs: Sequence[str], labels: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """metrics() on the rows of each language present."""
    out = {}
    for lang in LANGS:
        idx = [i for i, g in enumerate(langs) if g == lang]
        if idx:
            out[lang] = metrics([y_true[i] for i in idx], [y_pred[i] for i in idx], labels)
    return out


def confusion(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> list[list[int]]:
    idx = {c: i for i, c in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for t, p in zip(y_true, y_pred, strict=True):
        m[idx[t]][idx[p]] += 1
    return m


def rules_only(rule_scores: np.ndarray, classes: Sequence[str]) -> list[str]:
    """What the keyword rules alone would say: the highest-scoring category, out_of_scope if none."""
    out = []
    for row in rule_scores:
        out.append(classes[int(row.argmax())] if row.max() > 0 else OUT_OF_SCOPE)
    return out


def pick_threshold(confidence: np.ndarray, correct: np.ndarray, target: float) -> tuple[float, float, float]:
    """The lowest confidence threshold whose auto-labelled rows (confidence >= t) reach the target
    precision; returns (threshold, precision, share of rows auto-labelled)."""
    order = np.argsort(-confidence, kind="stable")
    conf, ok = confidence[order], correct[order].astype(float)
    precision = np.cumsum(ok) / np.arange(1, len(ok) + 1)
    meets = np.nonzero(precision >= target)[0]
    if not len(meets):
        return 1.0, 0.0, 0.0
    k = int(meets.max())
    # Ties: the threshold is conf[k], and every row at that confidence is auto-labelled.
    t = float(conf[k])
    auto = confidence >= t
    return t, float(correct[auto].mean()), float(auto.mean())


# -- cross-validation -------------------------------------------------------------------------------


def _group_kfold(n_folds: int, seed: int) -> Any:
    """scikit-learn's StratifiedGroupKFold, with its per-group fold search done for all folds in
    one numpy pass: the stock loop costs ~2.5 s per split on 9,000 organisations. Same folds (a test
    compares them with the stock class)."""
    from sklearn.model_selection import StratifiedGroupKFold

    class FastStratifiedGroupKFold(StratifiedGroupKFold):
        def _find_best_fold(self, y_counts_per_fold: Any, y_cnt: Any, group_y_counts: Any) -> int:
            k = self.n_splits
            trial = np.repeat(y_counts_per_fold[None], k, axis=0)  # trial[i]: the group put in fold i
            trial[np.arange(k), np.arange(k)] += group_y_counts
            evals = np.mean(np.std(trial / y_cnt.reshape(1, 1, -1), axis=1), axis=1).tolist()
            sizes = y_counts_per_fold.sum(axis=1).tolist()
            best, min_eval, min_size = 0, float("inf"), float("inf")
            for i in range(k):  # the stock tie-break: np.isclose, then the smaller fold
                e = evals[i]
                if e < min_eval or (abs(e - min_eval) <= 1e-8 + 1e-5 * abs(min_eval) and sizes[i] < min_size):
                    best, min_eval, min_size = i, e, sizes[i]
            return best

    return FastStratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)


def folds_for(
    examples: Sequence[Example], n_folds: int, seed: int = SEED
) -> list[tuple[np.ndarray, np.ndarray]]:
    y = [e.label for e in examples]
    groups = [e.group for e in examples]
    return list(_group_kfold(n_folds, seed).split(np.zeros(len(y)), y, groups))


def _fit_fold(
    texts: list[str], y: list[str], train_idx: np.ndarray, test_idx: np.ndarray, C: float, classes: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    pipe = make_pipeline(C)
    pipe.fit([texts[i] for i in train_idx], [y[i] for i in train_idx])
    proba = pipe.predict_proba([texts[i] for i in test_idx])
    # A fold may lack a class entirely; keep the global column order.
    full = np.zeros((len(test_idx), len(classes)))
    for j, c in enumerate(pipe.named_steps["clf"].classes_):
        full[:, classes.index(c)] = proba[:, j]
    return test_idx, full


def oof_proba(
    examples: Sequence[Example], classes: list[str], C: float, folds: list, n_jobs: int = 1
) -> np.ndarray:
    """Out-of-fold model probabilities for every example."""
    from joblib import Parallel, delayed

    texts = [e.text for e in examples]
    y = [e.label for e in examples]
    results = Parallel(n_jobs=n_jobs)(delayed(_fit_fold)(texts, y, tr, te, C, classes) for tr, te in folds)
    out = np.zeros((len(examples), len(classes)))
    for idx, proba in results:
        out[idx] = proba
    return out


def rule_matrix(rules: RuleSet, examples: Sequence[Example], classes: Sequence[str]) -> np.ndarray:
    return np.array([rules.scores(text.tokens(e.text), classes) for e in examples]).reshape(
        len(examples), len(classes)
    )


def repeated_cv(
    examples: Sequence[Example],
    classes: list[str],
    C: float,
    rule_s: np.ndarray,
    alpha: float,
    n_folds: int,
    first: np.ndarray,
    repeats: int,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """Combined macro-F1, overall and per language, over `repeats` different grouped splits (the
    first one is the split that chose C and alpha, whose out-of-fold probabilities are `first`).
    One split's score moves by about half a point with the shuffle; the mean is the number to quote."""
    y = [e.label for e in examples]
    langs = [e.lang for e in examples]
    runs = []
    for r in range(repeats):
        p = (
            first
            if r == 0
            else oof_proba(examples, classes, C, folds_for(examples, n_folds, SEED + r), n_jobs)
        )
        pred = [classes[i] for i in combine(p, rule_s, alpha).argmax(axis=1)]
        run = {"seed": SEED + r, "all": metrics(y, pred, classes)["macro_f1"]}
        run.update({g: m["macro_f1"] for g, m in metrics_by_lang(y, pred, langs, classes).items()})
        runs.append(run)
    keys = [k for k in ("all", "fr", "en") if all(k in r for r in runs)]
    return {
        "repeats": repeats,
        "mean": {k: round(float(np.mean([r[k] for r in runs])), 4) for k in keys},
        "std": {k: round(float(np.std([r[k] for r in runs])), 4) for k in keys},
        "runs": runs,
    }


def evaluate_arrays(
    examples: Sequence[Example],
    classes: list[str],
    model_p: np.ndarray,
    rule_s: np.ndarray,
    alpha: float,
    threshold: float,
) -> dict[str, Any]:
    """Model alone, rules alone and combined, overall and per language, plus abstention."""
    y = [e.label for e in examples]
    comb = combine(model_p, rule_s, alpha)
    preds = {
        "model": [classes[i] for i in model_p.argmax(axis=1)],
        "rules": rules_only(rule_s, classes),
        "combined": [classes[i] for i in comb.argmax(axis=1)],
    }
    langs = [e.lang for e in examples]
    out: dict[str, Any] = {}
    for name, p in preds.items():
        m = metrics(y, p, classes)
        m["by_lang"] = metrics_by_lang(y, p, langs, classes)
        out[name] = m
    conf = comb.max(axis=1)
    correct = np.array([p == t for p, t in zip(preds["combined"], y, strict=True)])
    auto = conf >= threshold
    out["abstention"] = {
        "threshold": round(threshold, 4),
        "auto_labelled_share": round(float(auto.mean()), 4) if len(auto) else 0.0,
        "precision_auto": round(float(correct[auto].mean()), 4) if auto.any() else 0.0,
    }
    out["confusion"] = {"labels": classes, "matrix": confusion(y, preds["combined"], classes)}
    return out


# -- training ----------------------------------------------------------------------------------------


@dataclass
class TrainResult:
    out_dir: Path
    meta: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)


def check_data(files: Sequence[Path], taxonomy: Taxonomy) -> tuple[list[Example], list[Problem]]:
    examples, problems = load(files, taxonomy)
    problems += dataset_problems(examples, taxonomy)
    return examples, problems


def train(
    files: Sequence[Path],
    rules_path: Path,
    taxonomy: Taxonomy,
    out_dir: Path,
    n_folds: int = DEFAULT_FOLDS,
    target_precision: float = DEFAULT_TARGET_PRECISION,
    n_jobs: int = 1,
    force: bool = True,
    repeats: int = DEFAULT_REPEATS,
) -> TrainResult:
    """Validate, cross-validate, fit and save a model directory atomically."""
    rules = load_rules(rules_path, taxonomy)
    examples, problems = check_data(files, taxonomy)
    raise_on_failures(problems)
    classes = [c for c in taxonomy.ids if any(e.label == c for e in examples)]
    y = [e.label for e in examples]
    folds = folds_for(examples, n_folds)
    rule_s = rule_matrix(rules, examples, classes)

    # 1. C for the model alone, by out-of-fold macro-F1.
    by_c = {}
    for C in C_GRID:
        p = oof_proba(examples, classes, C, folds, n_jobs)
        by_c[C] = (metrics(y, [classes[i] for i in p.argmax(axis=1)], classes)["macro_f1"], p)
    best_c = max(C_GRID, key=lambda c: (by_c[c][0], -c))
    model_p = by_c[best_c][1]
    # 2. alpha for the combination, by out-of-fold macro-F1 (ties: the smaller weight).
    scores_alpha = {
        a: metrics(y, [classes[i] for i in combine(model_p, rule_s, a).argmax(axis=1)], classes)["macro_f1"]
        for a in ALPHA_GRID
    }
    alpha = max(ALPHA_GRID, key=lambda a: (scores_alpha[a], -a))
    # 3. threshold for the target precision on auto-labelled rows.
    comb = combine(model_p, rule_s, alpha)
    correct = np.array([classes[i] == t for i, t in zip(comb.argmax(axis=1), y, strict=True)])
    threshold, prec, share = pick_threshold(comb.max(axis=1), correct, target_precision)

    cv = evaluate_arrays(examples, classes, model_p, rule_s, alpha, threshold)
    cv["folds"] = n_folds
    cv["grouped_by"] = "source (one organisation per fold; 'typical' rows are their own group)"
    cv["search"] = {
        "C": {str(c): v[0] for c, v in by_c.items()},
        "alpha": {str(a): v for a, v in scores_alpha.items()},
    }
    cv["repeated"] = repeated_cv(examples, classes, best_c, rule_s, alpha, n_folds, model_p, repeats, n_jobs)

    final = make_pipeline(best_c)
    final.fit([e.text for e in examples], y)
    labels, terms, weights = export(final)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "labels": labels,
        "vectorizer": {
            "type": "TfidfVectorizer",
            "analyzer": "socialtech_cli.text.features (folded content words, 5-letter stems, opening-word stems)",
            "sublinear_tf": True,
            "n_terms": len(terms),
        },
        "classifier": {"type": "LogisticRegression", "C": best_c, "solver": "newton-cg"},
        "decision": {
            "rule": "softmax(log p_model + alpha * rule_score)",
            "alpha": alpha,
            "threshold": round(threshold, 6),
            "target_precision": target_precision,
            "cv_precision_at_threshold": round(prec, 4),
            "cv_auto_labelled_share": round(share, 4),
        },
        "data": {
            "sha256": data_hash([*files, rules_path]),
            "files": [f.name for f in files] + [rules_path.name],
            "examples": len(examples),
            "per_label": {c: y.count(c) for c in classes},
            "per_lang": {lang: sum(1 for e in examples if e.lang == lang) for lang in ("fr", "en")},
        },
        "versions": _versions(),
        "metrics": {"cv": cv},
    }
    write_model(out_dir, terms, weights, meta, rules_path, force=force)
    return TrainResult(out_dir, meta, [p for p in problems if p.level == "warn"])


def _versions() -> dict[str, str]:
    import sklearn

    return {
        "socialtech": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
    }


def write_model(
    out_dir: Path,
    terms: list[str],
    weights: bytes,
    meta: dict[str, Any],
    rules_path: Path,
    force: bool = True,
) -> None:
    """Write into a temporary directory beside out_dir, then swap it in: an interrupted or failed
    run leaves the previous model untouched."""
    out_dir = out_dir.expanduser()
    if out_dir.exists() and not force:
        raise SocialtechError(f"{out_dir} already exists: pass --force to replace it")
    if out_dir.exists() and not (out_dir / META_FILE).is_file() and any(out_dir.iterdir()):
        raise SocialtechError(f"{out_dir} exists and is not a model directory: refusing to replace it")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        (tmp / TERMS_FILE).write_bytes("\n".join(terms).encode("utf-8"))
        (tmp / WEIGHTS_FILE).write_bytes(weights)
        shutil.copyfile(rules_path, tmp / RULES_FILE)
        meta["files"] = {name: sha256_file(tmp / name) for name in MODEL_FILES}
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        old = None
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            os.replace(out_dir, old)
        tmp.chmod(0o755)  # mkdtemp makes it private; a model directory is not a secret
        os.replace(tmp, out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
