"""Reading the user's files safely: existence, binary detection and encodings, with clear errors."""

from __future__ import annotations

import codecs
from pathlib import Path

from .errors import InputError

FALLBACK_ENCODING = "cp1252"  # what Excel on Windows writes for French text


def looks_binary(sample: bytes) -> bool:
    """NUL bytes do not occur in text files (UTF-16 aside, which we do not read)."""
    return b"\x00" in sample


def detect_encoding(sample: bytes) -> str:
    """utf-8-sig when the sample decodes as UTF-8 (BOM or not), else the Windows Latin code page."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as e:
        # A multi-byte character cut by the end of the sample is still UTF-8.
        if e.start < len(sample) - 3:
            return FALLBACK_ENCODING
    return "utf-8-sig"


def open_check(path: Path) -> None:
    """Fail with one clear line when a path cannot be read as a file."""
    if not path.exists():
        raise InputError("no such file", path=str(path))
    if path.is_dir():
        raise InputError("is a directory, not a file", path=str(path))


def read_text_file(
    path: Path | None, *, data: bytes | None = None, limit: int, encoding: str | None = None
) -> str:
    """A whole (small) text file or stdin payload, decoded; binary or oversized input refused."""
    name = str(path) if path else "<stdin>"
    if data is None:
        assert path is not None
        open_check(path)
        try:
            with open(path, "rb") as f:
                data = f.read(limit + 1)
        except OSError as e:
            raise InputError(f"cannot read: {e.strerror or e}", path=name) from None
    if len(data) > limit:
        raise InputError(
            f"input is larger than {limit:,} bytes: give a description, not a document", path=name
        )
    if looks_binary(data[:65536]):
        raise InputError("looks like a binary file, not text", path=name)
    enc = encoding or detect_encoding(data[:65536])
    try:
        return data.decode(enc)
    except (UnicodeDecodeError, LookupError) as e:
        raise InputError(f"cannot decode as {enc}: {e}; try --encoding", path=name) from None
