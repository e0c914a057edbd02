"""socialtech-cli: tell which kind of "tech and social good" actor an organisation is, and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["Classifier", "Prediction", "__version__"]

if TYPE_CHECKING:
    from .classify import Classifier, Prediction


def __getattr__(name: str) -> object:
    # Lazy, so `socialtech --help` does not pay for loading the classification code.
    if name in ("Classifier", "Prediction"):
        from . import classify

        return getattr(classify, name)
    raise AttributeError(name)
