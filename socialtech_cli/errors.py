"""The exceptions the tool raises for expected failures; the CLI turns them into one line and an exit code."""

from __future__ import annotations


class SocialtechError(Exception):
    """An expected failure: bad input, bad data file, bad model. Never shown with a traceback."""

    exit_code = 1

    def __init__(self, message: str, *, path: str | None = None, row: int | None = None) -> None:
        self.message = message
        self.path = path
        self.row = row
        super().__init__(self.where() + message)

    def where(self) -> str:
        if self.path and self.row is not None:
            return f"{self.path}, row {self.row}: "
        if self.path:
            return f"{self.path}: "
        return ""


class InputError(SocialtechError):
    """The text or file the user gave cannot be used."""


class DataError(SocialtechError):
    """A curated data file (taxonomy, rules, examples) is invalid."""


class ModelError(SocialtechError):
    """A model directory is missing, corrupted, or of an unknown format."""
