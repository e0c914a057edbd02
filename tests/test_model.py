"""The shipped model: exact agreement with scikit-learn, freshness against data/, integrity checks."""

import json
from pathlib import Path

import numpy as np
import pytest

from socialtech_cli import paths, text
from socialtech_cli.classify import Classifier
from socialtech_cli.errors import ModelError
from socialtech_cli.examples import data_hash, load
from socialtech_cli.model import META_FILE, WEIGHTS_FILE, load_bundle
from socialtech_cli.taxonomy import load_taxonomy
from socialtech_cli.train import linear_from_pipeline, make_pipeline


@pytest.fixture(scope="module")
def examples():
    ex, _ = load([paths.examples_path()], load_taxonomy())
    return ex


@pytest.fixture(scope="module")
def fitted(examples):
    meta = load_bundle(paths.shipped_model_dir()).meta
    pipe = make_pipeline(meta["classifier"]["C"])
    pipe.fit([e.text for e in examples], [e.label for e in examples])
    return pipe


REPO = Path(__file__).resolve().parents[1]


def test_shipped_model_matches_data_dir():
    """Fails when data/examples.csv or data/rules.toml changed without retraining models/default."""
    for data, model in (
        (REPO / "data", REPO / "models" / "default"),
        (paths.data_dir(), paths.shipped_model_dir()),
    ):
        meta = load_bundle(model).meta
        assert meta["data"]["sha256"] == data_hash([data / "examples.csv", data / "rules.toml"]), (
            "models/default is stale: run `socialtech train --data data/examples.csv "
            "--rules data/rules.toml --out models/default`"
        )
        assert (model / "rules.toml").read_bytes() == (data / "rules.toml").read_bytes()


def test_export_gives_the_pipeline_probabilities_on_every_example(fitted, examples):
    texts = [e.text for e in examples]
    expected = fitted.predict_proba(texts)
    linear = linear_from_pipeline(fitted)
    got_many = linear.predict_proba(linear.vectorize([text.features(t) for t in texts]))
    np.testing.assert_allclose(got_many, expected, rtol=0, atol=1e-12)
    got_one = np.array([linear.proba_one(linear.tfidf_one(text.features(t))) for t in texts])
    np.testing.assert_allclose(got_one, expected, rtol=0, atol=1e-12)


def test_shipped_weights_are_the_refitted_ones(fitted):
    shipped = load_bundle(paths.shipped_model_dir()).linear
    fresh = linear_from_pipeline(fitted)
    assert shipped.terms == fresh.terms
    np.testing.assert_allclose(shipped.np_coef, fresh.np_coef, atol=1e-6)


def test_single_and_vectorised_paths_agree(clf, examples):
    texts = [e.text for e in examples[::7]]
    many = clf.classify_many(texts)
    for t, m in zip(texts, many, strict=True):
        one = clf.classify(t)
        assert one.category == m.category
        assert one.scores == pytest.approx(m.scores, abs=1e-4)
        assert [r.id for r in one.explanation.rules] == [r.id for r in m.explanation.rules]
        assert [w.term for w in one.explanation.terms] == [w.term for w in m.explanation.terms]
        assert (one.uncertain, one.explanation.decided_by) == (m.uncertain, m.explanation.decided_by)


def test_corrupted_weights_are_refused(model_copy: Path):
    data = bytearray((model_copy / WEIGHTS_FILE).read_bytes())
    data[100] ^= 0xFF
    (model_copy / WEIGHTS_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match the hash"):
        Classifier.load(model_copy)


def test_unknown_format_version_is_refused(model_copy: Path):
    meta = json.loads((model_copy / META_FILE).read_text())
    meta["format_version"] = 99
    (model_copy / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="unknown model format version 99"):
        Classifier.load(model_copy)


def test_version_1_models_are_still_read(model_copy: Path):
    # Version 1 had no opening-word features; they are simply absent from its vocabulary.
    meta = json.loads((model_copy / META_FILE).read_text())
    meta["format_version"] = 1
    (model_copy / META_FILE).write_text(json.dumps(meta))
    assert Classifier.load(model_copy).classify("Plateforme de dons pour les associations").category


def test_missing_and_non_model_directories_are_refused(tmp_path: Path):
    with pytest.raises(ModelError, match="model directory not found"):
        Classifier.load(tmp_path / "nope")
    with pytest.raises(ModelError, match="not a socialtech model directory"):
        Classifier.load(tmp_path)
    (tmp_path / META_FILE).write_text("{not json")
    with pytest.raises(ModelError, match="unreadable or corrupted"):
        Classifier.load(tmp_path)
