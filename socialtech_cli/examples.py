"""Curated examples: loading and merging CSV files, and validating them with every problem reported."""

from __future__ import annotations

import csv
import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import text
from .errors import DataError
from .io import looks_binary
from .taxonomy import Taxonomy

COLUMNS = ("id", "text", "label", "lang", "source")
LANGS = ("fr", "en")
MIN_PER_CATEGORY = 20  # below this training is refused
WANT_PER_CATEGORY = 80  # below this a warning
MIN_LANG_SHARE = 0.4  # per category, each language
NEAR_DUPLICATE = 0.8  # Jaccard similarity of token sets


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    label: str
    lang: str
    source: str
    file: str
    row: int  # 1-based line number of the record in its file (header = 1)

    @property
    def group(self) -> str:
        """Cross-validation group: all descriptions of one organisation stay in one fold."""
        return self.id if self.source in ("", "typical") else self.source.casefold()


@dataclass(frozen=True)
class Problem:
    level: str  # "fail" or "warn"
    message: str
    file: str = ""
    row: int | None = None

    def where(self) -> str:
        if self.file and self.row is not None:
            return f"{self.file}:{self.row}"
        return self.file


def read_rows(path: Path) -> tuple[list[dict[str, str]], list[Problem], list[str]]:
    """Rows of one curated CSV (with their line numbers), problems, and its columns."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError("file not found", path=name) from None
    except IsADirectoryError:
        raise DataError("is a directory, not a CSV file", path=name) from None
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror or e}", path=name) from None
    if looks_binary(raw[:8192]):
        raise DataError("looks like a binary file, not a CSV", path=name)
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(f"not UTF-8 (byte {e.start}): save the curated file as UTF-8", path=name) from None
    reader = csv.DictReader(content.splitlines(keepends=True), strict=False)
    columns = [c.strip() for c in reader.fieldnames or []]
    problems: list[Problem] = []
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        problems.append(
            Problem("fail", f"missing columns: {', '.join(missing)} (need {', '.join(COLUMNS)})", name)
        )
        return [], problems, columns
    rows = []
    try:
        for rec in reader:
            rec = {(k or "").strip(): (v if isinstance(v, str) else "") for k, v in rec.items()}
            rec["_row"] = str(reader.line_num)
            rows.append(rec)
    except csv.Error as e:
        problems.append(Problem("fail", f"malformed CSV: {e}", name, reader.line_num))
    return rows, problems, columns


def load(paths: Sequence[Path], taxonomy: Taxonomy) -> tuple[list[Example], list[Problem]]:
    """Merge curated files in order; a later file wins where the same id or text appears again."""
    problems: list[Problem] = []
    by_key: dict[str, Example] = {}
    text_key: dict[str, str] = {}
    for path in paths:
        rows, file_problems, _ = read_rows(path)
        problems += file_problems
        seen_text: dict[str, Example] = {}
        for rec in rows:
            ex = Example(
                id=rec.get("id", "").strip(),
                text=" ".join(rec.get("text", "").split()),
                label=rec.get("label", "").strip(),
                lang=rec.get("lang", "").strip().lower(),
                source=rec.get("source", "").strip(),
                file=str(path),
                row=int(rec["_row"]),
            )
            problems += _row_problems(ex, taxonomy)
            norm = ex.text.casefold()
            if norm in seen_text:
                first = seen_text[norm]
                if first.label != ex.label:
                    problems.append(
                        Problem(
                            "fail",
                            f"the same text has two labels: {first.label} (row {first.row}) and {ex.label}",
                            ex.file,
                            ex.row,
                        )
                    )
                else:
                    problems.append(
                        Problem("fail", f"duplicate text (same as row {first.row})", ex.file, ex.row)
                    )
                continue
            if ex.text:
                seen_text[norm] = ex
            # Merge: the later file replaces an earlier example with the same id or text.
            for key in (f"id:{ex.id}", text_key.get(norm, "")):
                by_key.pop(key, None)
            key = f"id:{ex.id}" if ex.id else f"row:{ex.file}:{ex.row}"
            by_key[key] = ex
            text_key[norm] = key
    return list(by_key.values()), problems


def raise_on_failures(problems: Sequence[Problem]) -> None:
    """Stop with the first failing problem (and how many there are) before any training."""
    fails = [p for p in problems if p.level == "fail"]
    if fails:
        first = fails[0]
        raise DataError(
            f"{len(fails)} problem(s) in the curated data, first: {first.message} "
            "(run `socialtech validate` for the full list)",
            path=first.file or None,
            row=first.row,
        )


def _row_problems(ex: Example, taxonomy: Taxonomy) -> list[Problem]:
    out = []
    if not ex.id:
        out.append(Problem("fail", "empty id", ex.file, ex.row))
    if not ex.text:
        out.append(Problem("fail", "empty text", ex.file, ex.row))
    elif not text.has_letters(ex.text):
        out.append(Problem("fail", "text has no letters", ex.file, ex.row))
    if ex.label not in taxonomy.ids:
        out.append(
            Problem(
                "fail",
                f"unknown label {ex.label!r} (expected one of {', '.join(taxonomy.ids)})",
                ex.file,
                ex.row,
            )
        )
    if ex.lang not in LANGS:
        out.append(Problem("fail", f"lang must be fr or en, not {ex.lang!r}", ex.file, ex.row))
    elif ex.text:
        toks = text.tokens(ex.text)
        fr = sum(t in text.FRENCH_WORDS for t in toks)
        en = sum(t in text.ENGLISH_WORDS for t in toks)
        other = sum(t in text.OTHER_WORDS for t in toks)
        if len(toks) >= 8 and (fr == en == 0 or other > fr + en):
            out.append(Problem("warn", "text looks like neither French nor English", ex.file, ex.row))
        elif len(toks) >= 8 and (
            (ex.lang == "fr" and en > 2 * fr + 2) or (ex.lang == "en" and fr > 2 * en + 2)
        ):
            out.append(
                Problem(
                    "warn", f"lang is {ex.lang} but the text reads as the other language", ex.file, ex.row
                )
            )
    if not ex.source:
        out.append(
            Problem("warn", "empty source (name the organisation, or write 'typical')", ex.file, ex.row)
        )
    return out


def dataset_problems(examples: Sequence[Example], taxonomy: Taxonomy) -> list[Problem]:
    """Problems of the merged set: coverage per category and language, near-duplicates."""
    out: list[Problem] = []
    counts = Counter(e.label for e in examples)
    langs: dict[str, Counter[str]] = defaultdict(Counter)
    for e in examples:
        langs[e.label][e.lang] += 1
    for cid in taxonomy.ids:
        n = counts.get(cid, 0)
        if n < MIN_PER_CATEGORY:
            out.append(
                Problem("fail", f"category {cid}: {n} examples, at least {MIN_PER_CATEGORY} needed to train")
            )
        elif n < WANT_PER_CATEGORY:
            out.append(
                Problem("warn", f"category {cid}: only {n} examples ({WANT_PER_CATEGORY}+ recommended)")
            )
        for lang in LANGS:
            if n and langs[cid][lang] / n < MIN_LANG_SHARE:
                out.append(
                    Problem(
                        "warn",
                        f"category {cid}: {langs[cid][lang]} of {n} examples in {lang} "
                        f"(under {MIN_LANG_SHARE:.0%})",
                    )
                )
    for a, b, sim in near_duplicates(examples):
        if a.label != b.label:
            out.append(
                Problem(
                    "warn",
                    f"near-duplicate ({sim:.0%} same words) of {b.file}:{b.row} with another label "
                    f"({a.label} vs {b.label})",
                    a.file,
                    a.row,
                )
            )
    return out


def near_duplicates(
    examples: Sequence[Example], min_sim: float = NEAR_DUPLICATE
) -> list[tuple[Example, Example, float]]:
    """Pairs of examples whose content-word sets overlap at least `min_sim` (Jaccard).

    Prefix filtering, so that common words ("association") do not make it quadratic: with each
    set's words ordered rarest first, two sets at Jaccard >= t share at least ceil(t * |S|) words
    of each set S, hence one of the |S| - ceil(t * |S|) + 1 rarest words of both. Only those
    prefixes are indexed; candidates are then checked exactly."""
    sets = [frozenset(t for t in text.tokens(e.text) if t not in text.STOP_WORDS) for e in examples]
    df = Counter(t for s in sets for t in s)
    index: dict[str, list[int]] = defaultdict(list)
    found = []
    for i, s in enumerate(sets):
        if not s:
            continue
        words = sorted(s, key=lambda t: (df[t], t))
        prefix = words[: len(s) - math.ceil(min_sim * len(s) - 1e-9) + 1]
        candidates = {j for t in prefix for j in index[t]}
        for j in candidates:
            sim = len(s & sets[j]) / len(s | sets[j])
            if sim >= min_sim:
                found.append((j, i, sim))
        for t in prefix:
            index[t].append(i)
    found.sort()
    return [(examples[j], examples[i], sim) for j, i, sim in found]


def data_hash(files: Sequence[Path]) -> str:
    """One hash over the training inputs, so a shipped model can be checked against data/."""
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes().replace(b"\r\n", b"\n"))
    return h.hexdigest()
