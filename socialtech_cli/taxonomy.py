"""The categories (labels) of the tool, loaded from data/taxonomy.toml and validated."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import paths
from .errors import DataError

FAMILIES = ("Tech for Good", "Social Good Tech", "bridge", "public & advocacy", "none")
OUT_OF_SCOPE = "out_of_scope"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_TEXT_FIELDS = ("name_fr", "name_en", "description_fr", "description_en")


@dataclass(frozen=True)
class Category:
    id: str
    family: str
    name_fr: str
    name_en: str
    description_fr: str
    description_en: str
    examples: tuple[str, ...]

    def name(self, lang: str) -> str:
        return self.name_fr if lang == "fr" else self.name_en

    def description(self, lang: str) -> str:
        return self.description_fr if lang == "fr" else self.description_en


@dataclass(frozen=True)
class Taxonomy:
    categories: tuple[Category, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.categories)

    def get(self, category_id: str) -> Category:
        for c in self.categories:
            if c.id == category_id:
                return c
        raise KeyError(category_id)


def read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise DataError("file not found", path=str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"not valid TOML: {e}", path=str(path)) from None
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror or e}", path=str(path)) from None


def tables(doc: dict, key: str, path: str, problems: list[str]) -> Iterator[tuple[str, dict]]:
    """The [[key]] tables of a TOML document, each with a label naming it in error messages
    ("rule 'embedded-giving'", or "rule #3" when it has no usable id)."""
    raw = doc.get(key)
    if not isinstance(raw, list) or not raw:
        raise DataError(f"expected one or more [[{key}]] tables", path=path)
    for i, entry in enumerate(raw, 1):
        eid = entry.get("id") if isinstance(entry, dict) else None
        label = f"{key} {eid!r}" if isinstance(eid, str) else f"{key} #{i}"
        if isinstance(entry, dict):
            yield label, entry
        else:
            problems.append(f"{label}: not a table")


def parse_taxonomy(doc: dict, path: str = "taxonomy.toml") -> Taxonomy:
    problems: list[str] = []
    cats: list[Category] = []
    seen: set[str] = set()
    for label, entry in tables(doc, "category", path, problems):
        cid = entry.get("id")
        if not isinstance(cid, str) or not _ID.match(cid):
            problems.append(f"{label}: 'id' must be lower_snake_case text")
            continue
        if cid in seen:
            problems.append(f"{label}: duplicate id")
        seen.add(cid)
        if entry.get("family") not in FAMILIES:
            problems.append(f"{label}: 'family' must be one of {', '.join(FAMILIES)}")
        missing = [k for k in _TEXT_FIELDS if not isinstance(entry.get(k), str) or not entry[k].strip()]
        if missing:
            problems.append(f"{label}: missing or empty {', '.join(missing)}")
        examples = entry.get("examples", [])
        if not isinstance(examples, list) or not all(isinstance(x, str) for x in examples):
            problems.append(f"{label}: 'examples' must be a list of strings")
            examples = []
        unknown = set(entry) - {"id", "family", "examples", *_TEXT_FIELDS}
        if unknown:
            problems.append(f"{label}: unknown keys {', '.join(sorted(unknown))}")
        if not problems:
            cats.append(
                Category(
                    id=cid,
                    family=entry["family"],
                    examples=tuple(examples),
                    **{k: " ".join(entry[k].split()) for k in _TEXT_FIELDS},
                )
            )
    if OUT_OF_SCOPE not in seen:
        problems.append(f"the category {OUT_OF_SCOPE!r} is required")
    if problems:
        raise DataError("; ".join(problems), path=path)
    return Taxonomy(tuple(cats))


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    return _load_cached(path or paths.taxonomy_path())


@lru_cache(maxsize=8)
def _load_cached(path: Path) -> Taxonomy:
    return parse_taxonomy(read_toml(path), str(path))
