"""Keyword rules: loaded from data/rules.toml, validated, and matched on the shared tokens.

A rule is a set of French and English phrases that point to one category with a weight. Phrases
are matched on whole folded tokens (case, accents and apostrophe styles do not matter, and "don"
never matches inside "données"), by one dictionary lookup per token rather than a regex scan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import paths
from .errors import DataError
from .taxonomy import Taxonomy, load_taxonomy, read_toml, tables
from .text import _WORD, _prepare, tokens

# Letters, digits, spaces, hyphens, apostrophes and dots: anything else (*, |, parentheses...)
# suggests the curator expected a regex, which phrases are not, so it is refused on load.
_PHRASE_OK = re.compile(r"^[\w\s\-'’ʼ.&%]+$")
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
MAX_WEIGHT = 5.0


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    weight: float
    rationale: str
    phrases_fr: tuple[str, ...]
    phrases_en: tuple[str, ...]


@dataclass(frozen=True)
class RuleHit:
    id: str
    category: str
    weight: float
    match: str  # the exact span of the user's text that fired the rule

    def to_dict(self) -> dict:
        return {"id": self.id, "category": self.category, "match": self.match, "weight": self.weight}


class RuleSet:
    """Compiled rules: first token -> candidate phrases, so matching is one lookup per token."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        self._index: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for i, rule in enumerate(self.rules):
            for phrase in (*rule.phrases_fr, *rule.phrases_en):
                toks = tuple(tokens(phrase))
                self._index.setdefault(toks[0], []).append((toks, i))
        # Longest phrase first, so the quoted match is the most specific one.
        for cands in self._index.values():
            cands.sort(key=lambda c: -len(c[0]))

    def match_tokens(self, toks: Sequence[str]) -> list[tuple[int, int, int]]:
        """(rule index, first token, end token) for the first match of each rule that fires."""
        index = self._index
        fired: dict[int, tuple[int, int, int]] = {}
        n = len(toks)
        for pos, tok in enumerate(toks):
            cands = index.get(tok)
            if cands is None:
                continue
            for phrase, ri in cands:
                if ri in fired:
                    continue
                end = pos + len(phrase)
                if end <= n and (len(phrase) == 1 or tuple(toks[pos:end]) == phrase):
                    fired[ri] = (ri, pos, end)
        return list(fired.values())

    def hits(
        self, text: str, toks: Sequence[str] | None = None, found: list[tuple[int, int, int]] | None = None
    ) -> list[RuleHit]:
        """The rules that fire on a text, each with the exact phrase of the text it matched."""
        if found is None:
            found = self.match_tokens(tokens(text) if toks is None else toks)
        if not found:
            return []
        prepared = _prepare(text)
        spans = [m.span() for m in _WORD.finditer(prepared)]
        out = []
        for ri, start, end in sorted(found, key=lambda f: f[1]):
            rule = self.rules[ri]
            quote = prepared[spans[start][0] : spans[end - 1][1]]
            out.append(RuleHit(rule.id, rule.category, rule.weight, quote))
        return out

    def scores(
        self, toks: Sequence[str], categories: Sequence[str], found: list[tuple[int, int, int]] | None = None
    ) -> list[float]:
        """Summed weight of the rules that fire, per category (in the order given)."""
        pos = {c: i for i, c in enumerate(categories)}
        out = [0.0] * len(categories)
        for ri, _, _ in self.match_tokens(toks) if found is None else found:
            rule = self.rules[ri]
            out[pos[rule.category]] += rule.weight
        return out


def parse_rules(doc: dict, taxonomy: Taxonomy, path: str = "rules.toml") -> RuleSet:
    problems: list[str] = []
    rules: list[Rule] = []
    seen: set[str] = set()
    for label, entry in tables(doc, "rule", path, problems):
        rid = entry.get("id")
        before = len(problems)
        if not isinstance(rid, str) or not _RULE_ID.match(rid):
            problems.append(f"{label}: 'id' must be lower-case letters, digits, '-' or '_'")
        elif rid in seen:
            problems.append(f"{label}: duplicate id")
        seen.add(str(rid))
        if entry.get("category") not in taxonomy.ids:
            problems.append(
                f"{label}: unknown category {entry.get('category')!r} "
                f"(expected one of {', '.join(taxonomy.ids)})"
            )
        weight = entry.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            problems.append(f"{label}: 'weight' must be a number")
        elif not 0 < weight <= MAX_WEIGHT:
            problems.append(f"{label}: 'weight' must be above 0 and at most {MAX_WEIGHT}")
        rationale = entry.get("rationale")
        if not isinstance(rationale, str) or not rationale.strip():
            problems.append(f"{label}: a one-line 'rationale' is required")
        phrases: dict[str, list[str]] = {}
        for key in ("phrases_fr", "phrases_en"):
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
                problems.append(f"{label}: '{key}' must be a list of strings")
                value = []
            for p in value:
                if not _PHRASE_OK.match(p) or not tokens(p):
                    problems.append(
                        f"{label}: bad phrase {p!r} (phrases are plain words, not patterns: "
                        "use letters, digits, spaces, hyphens and apostrophes)"
                    )
            phrases[key] = value
        if not phrases["phrases_fr"] and not phrases["phrases_en"]:
            problems.append(f"{label}: needs at least one phrase in phrases_fr or phrases_en")
        unknown = set(entry) - {"id", "category", "weight", "rationale", "phrases_fr", "phrases_en"}
        if unknown:
            problems.append(f"{label}: unknown keys {', '.join(sorted(unknown))}")
        if len(problems) == before:
            assert isinstance(rid, str) and isinstance(rationale, str) and isinstance(weight, int | float)
            rules.append(
                Rule(
                    rid,
                    entry["category"],
                    float(weight),
                    rationale.strip(),
                    tuple(phrases["phrases_fr"]),
                    tuple(phrases["phrases_en"]),
                )
            )
    if problems:
        raise DataError("; ".join(problems), path=path)
    return RuleSet(rules)


def load_rules(path: Path | None = None, taxonomy: Taxonomy | None = None) -> RuleSet:
    return _load_cached(path or paths.rules_path(), taxonomy or load_taxonomy())


@lru_cache(maxsize=8)
def _load_cached(path: Path, taxonomy: Taxonomy) -> RuleSet:
    return parse_rules(read_toml(path), taxonomy, str(path))
