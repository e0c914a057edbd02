"""The curated examples meet the data brief: size, balance, languages, short texts, no duplicates."""

from collections import Counter

import pytest

from socialtech_cli import paths, text
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


def test_held_out_test_descriptions_are_not_in_the_curated_data():
    # The hard-negative descriptions of test_classify.py test generalisation: none may be a
    # curated example (nor differ from one only by case or accents).
    from test_classify import BARE_TECH_ACTORS, PLAIN_TECH_COMPANIES

    held_out = {" ".join(text.tokens(d)) for d in PLAIN_TECH_COMPANIES + BARE_TECH_ACTORS}
    curated = {" ".join(text.tokens(e.text)) for e in load([paths.examples_path()], load_taxonomy())[0]}
    assert not held_out & curated
