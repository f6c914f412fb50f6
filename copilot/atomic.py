"""Atomic file writes: a crash or a full disk never leaves a half-written user file.

We write to a temporary file in the same folder (so the rename cannot cross file systems), flush and
fsync it, then `os.replace` it over the target, which is atomic on POSIX and Windows, and fsync the
folder so the rename itself survives a power cut. `create_bytes_exclusive` publishes with `os.link`
instead, which fails when the name exists: two writers racing for one new name never overwrite each
other (the loser gets FileExistsError and picks another name).

A file that exists keeps its permission bits; a new one gets `new_mode` (less the umask).
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import time
from pathlib import Path

from copilot.errors import InputFileError

PRIVATE = 0o600  # the default for new files: reports and settings may hold private text
SHARED = 0o644  # story files, like any file an editor creates
# `.<name>.<8 random>.tmp`: this writer's temporaries (hex) and, before, mkstemp's ([a-z0-9_]), hidden
# from listings. Exactly that shape, so a user's own hidden file is never taken for one.
_TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
STALE_TEMP_AGE_S = 60.0  # a live writer holds its temporary for milliseconds


def write_bytes_atomic(path: Path, data: bytes, new_mode: int = PRIVATE) -> None:
    """Replace (or create) `path` with `data` in one step."""
    path = Path(path)
    existed = path.exists()
    tmp = _write_temp(path, data, _mode_for(path, new_mode), existed)
    try:
        os.replace(tmp, path)
    except OSError as exc:
        _remove_quietly(tmp)
        raise _save_error(path, exc, existed, len(data)) from exc
    fsync_folder(path.parent)


def write_text_atomic(path: Path, text: str, new_mode: int = PRIVATE) -> None:
    # newline="" semantics: we write exactly the characters given, so a round trip keeps line endings.
    write_bytes_atomic(path, text.encode("utf-8"), new_mode)


def create_bytes_exclusive(path: Path, data: bytes, new_mode: int = SHARED) -> None:
    """Create `path` holding `data`; FileExistsError (nothing written) when the name is taken."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(errno.EEXIST, "File exists", str(path))
    tmp = _write_temp(path, data, new_mode, existed=False)
    try:
        os.link(tmp, path)  # atomic create-if-absent, with the whole content already in place
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise _save_error(path, exc, False, len(data)) from exc
        _create_without_links(path, data, new_mode)  # a file system without hard links (FAT, some FUSE)
    finally:
        _remove_quietly(tmp)
    fsync_folder(path.parent)


def create_text_exclusive(path: Path, text: str, new_mode: int = SHARED) -> None:
    create_bytes_exclusive(path, text.encode("utf-8"), new_mode)


def fsync_folder(folder: Path) -> None:
    """Make a rename or link in `folder` durable; a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def clean_stale_temporaries(folder: Path, older_than_s: float = STALE_TEMP_AGE_S) -> list[Path]:
    """Remove temporaries left by writers that were killed mid-save; returns what was removed."""
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not _TEMP_NAME.match(entry.name):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and now - entry.stat().st_mtime >= older_than_s:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # gone already, or not ours to remove
    return removed


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def free_space_text(folder: Path) -> str:
    """'12.3 MB free on /data', or '' when the folder's disk cannot be asked."""
    probe = Path(folder)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        return ""
    return f"{free / 1e6:.1f} MB free"


def _mode_for(path: Path, new_mode: int) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return new_mode


def _write_temp(path: Path, data: bytes, mode: int, existed: bool) -> str:
    """A fsynced temporary beside `path` holding `data`, with `mode` (the umask applies to new files)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _save_error(path, exc, existed, len(data)) from exc
    tmp = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as exc:
        raise _save_error(path, exc, existed, len(data)) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            if existed:
                os.fchmod(handle.fileno(), mode)  # keep the user's bits exactly, whatever the umask
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        _remove_quietly(tmp)
        raise _save_error(path, exc, existed, len(data)) from exc
    except BaseException:
        _remove_quietly(tmp)
        raise
    return tmp


def _create_without_links(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise
    except OSError as exc:
        raise _save_error(path, exc, False, len(data)) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        _remove_quietly(str(path))  # our own half-written new file, never someone else's
        raise _save_error(path, exc, False, len(data)) from exc


def _save_error(path: Path, exc: OSError, existed: bool, size: int = 0) -> InputFileError:
    kept = "the previous version is unchanged" if existed else "nothing was written"
    if is_disk_full(exc):
        free = free_space_text(path.parent)
        need = f"{free}, {size / 1e6:.2f} MB needed" if free else f"{size / 1e6:.2f} MB needed"
        return InputFileError(path, f"could not be saved: the disk is full ({need}); free some space; {kept}")
    return InputFileError(path, f"could not be saved ({exc.strerror or exc}); {kept}")


def _remove_quietly(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass
