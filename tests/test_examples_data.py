"""The curated examples meet the data brief: size, balance, languages, short texts, no duplicates."""

from collections import Counter

import pytest

from socialtech_cli import paths
from socialtech_cli.examples import load
from socialtech_cli.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def loaded():
    return load([paths.examples_path()], load_taxonomy())


def test_curated_examples_have_no_failing_problem(loaded):
    _examples, problems = loaded
    assert [p for p in problems if p.level == "fail"] == []


def test_size_balance_and_languages(loaded):
    examples, _ = loaded
    assert len(examples) >= 600
    by_label = Counter(e.label for e in examples)
    assert set(by_label) == set(load_taxonomy().ids)
    for label, n in by_label.items():
        assert n >= 80, label
        for lang in ("fr", "en"):
            share = sum(1 for e in examples if e.label == label and e.lang == lang) / n
            assert share >= 0.4, (label, lang, share)


def test_short_texts_and_sources(loaded):
    examples, _ = loaded
    short = sum(1 for e in examples if len(e.text.split()) <= 12)
    assert short / len(examples) >= 0.2
    assert all(e.source for e in examples)
    assert len({e.text.casefold() for e in examples}) == len(examples)
    real = {e.source for e in examples if e.source != "typical"}
    assert {
        "HelloAsso",
        "MicroDON",
        "AssoConnect",
        "Emmaüs Connect",
        "WeTechCare",
        "Solidatech",
        "WebAssoc",
    } <= real
