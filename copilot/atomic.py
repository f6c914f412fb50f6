"""Atomic file writes: a crash or a full disk never leaves a half-written user file.

We write to a temporary file in the same folder (so the rename cannot cross file systems), flush and
fsync it, then `os.replace` it over the target, which is atomic on POSIX and Windows.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from copilot.errors import InputFileError


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except OSError as exc:
        _remove_quietly(tmp_name)
        raise InputFileError(
            path, f"could not be saved ({exc.strerror or exc}); the previous version is unchanged"
        ) from exc
    except BaseException:
        _remove_quietly(tmp_name)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    # newline="" semantics: we write exactly the characters given, so a round trip keeps line endings.
    write_bytes_atomic(path, text.encode("utf-8"))


def _remove_quietly(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass
