"""Shared fixtures: tests never touch the user's files or models."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from socialtech_cli import paths
from socialtech_cli.classify import Classifier

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the user model directory at a temporary folder and ignore the caller's overrides."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv(paths.ENV_HOME, str(home))
    monkeypatch.delenv(paths.ENV_MODEL, raising=False)
    monkeypatch.delenv(paths.ENV_DATA, raising=False)
    return home


@pytest.fixture(scope="session")
def clf() -> Classifier:
    return Classifier.load(paths.shipped_model_dir())


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped model, for tampering tests."""
    dst = tmp_path / "model"
    shutil.copytree(paths.shipped_model_dir(), dst)
    return dst


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of data/, for validation tests."""
    dst = tmp_path / "data"
    shutil.copytree(paths.data_dir(), dst, ignore=shutil.ignore_patterns("parts*"))
    return dst
