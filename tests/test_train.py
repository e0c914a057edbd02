"""Training internals that must give exactly what the slow, obvious version gives."""

from itertools import combinations

import numpy as np
import pytest
from sklearn.model_selection import StratifiedGroupKFold

from socialtech_cli import paths, text, train
from socialtech_cli.examples import load, near_duplicates
from socialtech_cli.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def examples():
    return load([paths.examples_path()], load_taxonomy())[0]


@pytest.mark.parametrize("seed", [0, 3])
def test_grouped_folds_are_scikit_learns(examples, seed):
    sample = examples[::4]
    y, groups = [e.label for e in sample], [e.group for e in sample]
    stock = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed).split(
        np.zeros(len(y)), y, groups
    )
    ours = train.folds_for(sample, 5, seed)
    for (_, a), (_, b) in zip(ours, stock, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("min_sim", [0.8, 0.5, 0.2])
def test_near_duplicates_finds_every_pair_brute_force_finds(examples, min_sim):
    sample = examples[::12]
    sets = [frozenset(t for t in text.tokens(e.text) if t not in text.STOP_WORDS) for e in sample]
    brute = {
        (sample[i].id, sample[j].id)
        for i, j in combinations(range(len(sample)), 2)
        if sets[i] and sets[j] and len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= min_sim
    }
    found = {(a.id, b.id) for a, b, _ in near_duplicates(sample, min_sim)}
    assert found == brute
    if min_sim <= 0.2:
        assert brute  # the comparison is not vacuous
