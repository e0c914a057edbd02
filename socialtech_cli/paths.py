"""Where the shipped data and models live, and which model to use: resolved in this one place."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent

ENV_MODEL = "SOCIALTECH_MODEL"  # a model directory to use instead of the default
ENV_HOME = "SOCIALTECH_HOME"  # where `train` writes user models (default: XDG data dir)
ENV_DATA = "SOCIALTECH_DATA"  # a data directory (taxonomy, rules, examples) to use instead of data/


def _bundled(name: str) -> Path:
    # In an installed wheel data/ and models/ sit inside the package; in a checkout, beside it.
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


def data_dir() -> Path:
    env = os.environ.get(ENV_DATA)
    return Path(env).expanduser() if env else _bundled("data")


def taxonomy_path() -> Path:
    return data_dir() / "taxonomy.toml"


def rules_path() -> Path:
    return data_dir() / "rules.toml"


def examples_path() -> Path:
    return data_dir() / "examples.csv"


def shipped_model_dir() -> Path:
    return _bundled("models") / "default"


def user_home() -> Path:
    home = os.environ.get(ENV_HOME)
    if home:
        return Path(home).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "socialtech"


def user_model_dir() -> Path:
    return user_home() / "model"


def resolve_model_dir(option: str | Path | None = None) -> tuple[Path, str]:
    """The model directory to load and why: --model, then $SOCIALTECH_MODEL, then a model the
    user trained, then the shipped one."""
    if option:
        return Path(option).expanduser(), "--model option"
    env = os.environ.get(ENV_MODEL)
    if env:
        return Path(env).expanduser(), f"${ENV_MODEL}"
    user = user_model_dir()
    if (user / "model.json").is_file():
        return user, "user-trained model"
    return shipped_model_dir(), "shipped model"
