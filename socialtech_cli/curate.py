"""Curation: validation report, evaluation of a model on labelled data, learning curve, rule audit,
and the ranked review of doubtful rows with the corrections file it feeds."""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import text
from .classify import Classifier, Prediction
from .errors import DataError, InputError
from .examples import Example, Problem, dataset_problems, load, near_duplicates, raise_on_failures
from .rules import RuleSet, load_rules
from .taxonomy import Taxonomy

# -- validate -----------------------------------------------------------------------------------------


@dataclass
class ValidationReport:
    files: list[str]
    examples: int
    problems: list[Problem]

    @property
    def status(self) -> str:
        levels = {p.level for p in self.problems}
        return "fail" if "fail" in levels else "warn" if "warn" in levels else "pass"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "files": self.files,
            "examples": self.examples,
            "problems": [
                {"level": p.level, "file": p.file, "row": p.row, "message": p.message} for p in self.problems
            ],
        }


def validate(files: Sequence[Path], rules_path: Path, taxonomy: Taxonomy) -> ValidationReport:
    """Every problem of the curated data at once (files, rows, coverage, rules)."""
    problems: list[Problem] = []
    examples: list[Example] = []
    try:
        examples, problems = load(files, taxonomy)
        problems += dataset_problems(examples, taxonomy)
    except DataError as e:
        problems.append(Problem("fail", e.message, e.path or ""))
    try:
        load_rules(rules_path, taxonomy)
    except DataError as e:
        problems += [Problem("fail", part.strip(), str(rules_path)) for part in e.message.split("; ")]
    return ValidationReport([str(f) for f in files] + [str(rules_path)], len(examples), problems)


# -- evaluate -----------------------------------------------------------------------------------------


@dataclass
class ErrorCase:
    id: str
    text: str
    label: str
    predicted: str
    confidence: float
    summary: str
    words: list[str]
    rules: list[str]


@dataclass
class Evaluation:
    data: list[str]
    model: str
    metrics: dict[str, Any]
    worst: list[ErrorCase] = field(default_factory=list)
    learning_curve: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {"data": self.data, "model": self.model, **self.metrics}
        d["worst_errors"] = [vars(e) for e in self.worst]
        if self.learning_curve is not None:
            d["learning_curve"] = self.learning_curve
        return d


def evaluate(clf: Classifier, files: Sequence[Path], n_worst: int = 10) -> Evaluation:
    """Score a model on labelled examples: model alone, rules alone, combined, per language."""
    from .train import evaluate_arrays

    examples, problems = load(files, clf.taxonomy)
    raise_on_failures(problems)
    examples = [e for e in examples if e.label in clf.classes]
    if not examples:
        raise DataError("no labelled example with a category of this model", path=str(files[0]))
    scored = clf.score([e.text for e in examples])
    metrics = evaluate_arrays(
        examples, list(clf.classes), scored.model_proba, scored.rule_scores, clf.alpha, clf.threshold
    )
    preds = clf.classify_many([e.text for e in examples], lang="en")
    wrong = [
        (e, p)
        for e, p in zip(examples, preds, strict=True)
        if isinstance(p, Prediction) and p.category != e.label
    ]
    wrong.sort(key=lambda ep: -ep[1].confidence)
    worst = [
        ErrorCase(
            e.id,
            e.text,
            e.label,
            p.category,
            p.confidence,
            p.explanation.summary,
            [t.term for t in p.explanation.terms if t.weight > 0][:5],
            [h.id for h in p.explanation.rules],
        )
        for e, p in wrong[:n_worst]
    ]
    return Evaluation([str(f) for f in files], str(clf.bundle.path), metrics, worst)


def learning_curve(
    files: Sequence[Path],
    clf: Classifier,
    fractions: Sequence[float] = (0.25, 0.5, 0.75, 1.0),
    n_folds: int = 5,
) -> dict[str, Any]:
    """Per-category out-of-fold F1 when training on a fraction of each training fold: a curator sees
    which categories still gain from more examples. Uses the model's own regularisation C."""
    import numpy as np

    from .train import folds_for, metrics, oof_proba

    taxonomy = clf.taxonomy
    examples, _ = load(files, taxonomy)
    classes = [c for c in taxonomy.ids if any(e.label == c for e in examples)]
    folds = folds_for(examples, n_folds)
    rng = np.random.default_rng(0)
    y = [e.label for e in examples]
    out: dict[str, Any] = {
        "fractions": list(fractions),
        "per_class_f1": {c: [] for c in classes},
        "macro_f1": [],
    }
    for frac in fractions:
        sub = [(rng.permutation(tr)[: max(len(classes), int(len(tr) * frac))], te) for tr, te in folds]
        p = oof_proba(examples, classes, clf.bundle.C, sub)
        m = metrics(y, [classes[i] for i in p.argmax(axis=1)], classes)
        out["macro_f1"].append(m["macro_f1"])
        for c in classes:
            out["per_class_f1"][c].append(m["per_class"][c]["f1"])
    return out


# -- rules audit --------------------------------------------------------------------------------------


def audit_rules(rules: RuleSet, files: Sequence[Path], taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """For each rule: examples it fires on, precision against their labels, and conflicts."""
    examples, _ = load(files, taxonomy)
    fired: list[set[int]] = [set() for _ in rules.rules]
    for k, e in enumerate(examples):
        for ri, _, _ in rules.match_tokens(text.tokens(e.text)):
            fired[ri].add(k)
    out = []
    for ri, rule in enumerate(rules.rules):
        hits = fired[ri]
        correct = sum(1 for k in hits if examples[k].label == rule.category)
        wrong = Counter(examples[k].label for k in hits if examples[k].label != rule.category)
        overlaps: Counter[str] = Counter()
        for rj, other in enumerate(rules.rules):
            if other.category != rule.category and hits & fired[rj]:
                overlaps[other.id] = len(hits & fired[rj])
        out.append(
            {
                "id": rule.id,
                "category": rule.category,
                "weight": rule.weight,
                "fires": len(hits),
                "precision": round(correct / len(hits), 3) if hits else None,
                "wrong_labels": dict(wrong.most_common()),
                "conflicting_rules": dict(overlaps.most_common()),
            }
        )
    return out


# -- review -------------------------------------------------------------------------------------------

CORRECTION_COLUMNS = ("id", "text", "label", "lang", "source", "previous_label", "reviewed", "date")


@dataclass
class ReviewItem:
    id: str
    text: str
    label: str  # current label (curated) or predicted category (batch output)
    suggestion: str  # what the model suggests
    confidence: float
    lang: str
    source: str
    reasons: list[str]
    score: float

    def to_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "label": self.label,
            "suggestion": self.suggestion,
            "confidence": f"{self.confidence:.4f}",
            "doubt": round(self.score, 3),
            "reasons": "; ".join(self.reasons),
            "lang": self.lang,
            "source": self.source,
        }


# Each doubt reason is a small function of one row's evidence returning (weight, message) or None.


def doubt_disagrees(label: str, pred: str, conf: float, **_: Any) -> tuple[float, str] | None:
    if pred != label:
        return 1.0 + conf, f"out-of-fold prediction is {pred} ({conf:.0%})"
    return None


def doubt_low_margin(margin: float, **_: Any) -> tuple[float, str] | None:
    return (0.5, f"low margin between the top two ({margin:.0%})") if margin < 0.15 else None


def doubt_rule_contradicts(label: str, rule_cats: set[str], **_: Any) -> tuple[float, str] | None:
    if rule_cats and label not in rule_cats:
        return 0.7, f"a keyword rule points to {', '.join(sorted(rule_cats))}"
    return None


def doubt_near_duplicate(other_labels: set[str], **_: Any) -> tuple[float, str] | None:
    return (
        (0.8, f"a near-duplicate text is labelled {', '.join(sorted(other_labels))}")
        if other_labels
        else None
    )


DOUBT_REASONS = (doubt_disagrees, doubt_low_margin, doubt_rule_contradicts, doubt_near_duplicate)


def review_curated(
    files: Sequence[Path], rules_path: Path, clf: Classifier, n_folds: int = 5
) -> list[ReviewItem]:
    """Curated examples ranked by doubt: likely mislabels first (out-of-fold predictions made with
    the model's own C and rule weight, and the rules of `rules_path`)."""
    from .classify import combine
    from .train import folds_for, oof_proba, rule_matrix

    taxonomy = clf.taxonomy
    examples, problems = load(files, taxonomy)
    raise_on_failures(problems)
    rules = load_rules(rules_path, taxonomy)
    classes = [c for c in taxonomy.ids if any(e.label == c for e in examples)]
    model_p = oof_proba(examples, classes, clf.bundle.C, folds_for(examples, n_folds))
    rule_s = rule_matrix(rules, examples, classes)
    proba = combine(model_p, rule_s, clf.alpha)
    dup_labels: dict[int, set[str]] = {}
    index = {id(e): k for k, e in enumerate(examples)}
    for a, b, _ in near_duplicates(examples):
        if a.label != b.label:
            dup_labels.setdefault(index[id(a)], set()).add(b.label)
            dup_labels.setdefault(index[id(b)], set()).add(a.label)
    items = []
    for k, e in enumerate(examples):
        order = proba[k].argsort()[::-1]
        evidence = {
            "label": e.label,
            "pred": classes[order[0]],
            "conf": float(proba[k, order[0]]),
            "margin": float(proba[k, order[0]] - proba[k, order[1]]),
            "rule_cats": {classes[c] for c in range(len(classes)) if rule_s[k, c] > 0},
            "other_labels": dup_labels.get(k, set()),
        }
        found = [r for r in (f(**evidence) for f in DOUBT_REASONS) if r]
        if found:
            items.append(ReviewItem(
                e.id, e.text, e.label, evidence["pred"], evidence["conf"], e.lang, e.source,
                [m for _, m in found], sum(w for w, _ in found),
            ))  # fmt: skip
    items.sort(key=lambda it: -it.score)
    return items


def review_batch_output(
    path: Path, clf: Classifier, text_columns: list[str] | None, id_column: str | None
) -> list[ReviewItem]:
    """Rows of a `socialtech batch` output to check: uncertain or in error, least confident first."""
    from .batch import open_source, pick_text_columns, record_texts

    src = open_source(str(path))
    if src.fmt == "jsonl":
        raise InputError("review reads CSV/TSV batch outputs; write the batch as .csv", path=str(path))
    cols = src.columns
    need = ("category", "confidence", "uncertain", "error")
    if not all(c in cols for c in need):
        raise InputError(
            f"not a `socialtech batch` output: expected the columns {', '.join(need)}", path=str(path)
        )
    label_cols = {
        "category",
        "name",
        "confidence",
        "runner_up",
        "uncertain",
        "decided_by",
        "rules",
        "explanation",
        "error",
    }
    text_cols, _ = pick_text_columns([c for c in cols if c not in label_cols], text_columns)
    idx = {c: i for i, c in enumerate(cols)}
    items = []
    try:
        for n, row in enumerate(src.records, 1):
            uncertain, error = row[idx["uncertain"]] == "true", row[idx["error"]]
            if not (uncertain or error):
                continue
            body = record_texts([row], "csv", cols, [idx[c] for c in text_cols], text_cols)[0]
            conf = float(row[idx["confidence"]] or 0)
            reasons = [f"error: {error}"] if error else [f"uncertain ({conf:.0%})"]
            rid = row[idx[id_column]] if id_column and id_column in idx else f"{path.stem}-{n}"
            lang = text.guess_lang(text.tokens(body))
            items.append(ReviewItem(
                rid, body, row[idx["category"]], row[idx["category"]], conf, lang, f"batch:{path.name}", reasons, 1 - conf,
            ))  # fmt: skip
    finally:
        src.counter.raw.close()
    items.sort(key=lambda it: -it.score)
    return items


def export_review(items: Sequence[ReviewItem], out: Path, force: bool = False) -> None:
    """The ranked list as CSV, written like a batch output: refused if it exists without force,
    written to a temporary file and renamed at the end."""
    from .batch import Sink, encode_csv

    rows = [it.to_row() for it in items]
    header = (
        list(rows[0]) if rows else ["id", "text", "label", "suggestion", "confidence", "doubt", "reasons"]
    )
    sink = Sink(str(out), force, "-")
    try:
        sink.write(encode_csv([header, *([str(r[k]) for k in header] for r in rows)], "csv"))
        sink.commit()
    except BaseException:
        sink.abort()
        raise


def append_correction(path: Path, item: ReviewItem, label: str, state: str) -> None:
    """Append one decision to the corrections CSV (created with its header), flushed at once so
    the loop can be stopped at any moment without losing earlier decisions."""
    new = not path.exists() or path.stat().st_size == 0
    with open(path, "a", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        if new:
            w.writerow(CORRECTION_COLUMNS)
        w.writerow([
            item.id, item.text, label, item.lang, item.source, item.label, state,
            datetime.now(UTC).strftime("%Y-%m-%d"),
        ])  # fmt: skip
        f.flush()
        os.fsync(f.fileno())
