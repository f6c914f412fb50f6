"""One writer at a time for a story folder, across processes (the CLI, the app, a second app).

Checking for a free name and then writing is two steps; between them another writer could take the
same name or id. Writers hold this lock around both (filelock: an OS lock released when the process
dies, even by kill -9, so a crash never leaves the library locked). Readers take no lock: every
write is an atomic rename, so a reader sees a whole old file or a whole new one.

The lock file lives in our data folder, named after the story folder's real path, not in the story
folder: that folder is the user's (often a git checkout), and a lock file there would show up in it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from copilot.config import paths
from copilot.errors import UserError

WAIT_S = 30.0  # an import of a big archive holds it for seconds; anything longer is a stuck process


class LibraryBusyError(UserError):
    """Another process kept the library locked for longer than we wait."""


@contextmanager
def library_lock(folder: Path, wait_s: float = WAIT_S) -> Iterator[None]:
    from filelock import FileLock, Timeout  # lazy: `import copilot` stays light

    try:
        where = lock_path(folder)
        lock = FileLock(str(where))
        lock.acquire(timeout=wait_s)
    except OSError as exc:
        raise UserError(
            f"{exc.filename or paths.data_dir()}: the story library's lock file cannot be created "
            f"({exc.strerror or exc}); check that the data folder is writable"
        ) from None
    except Timeout:
        raise LibraryBusyError(
            f"{folder}: another Interview Copilot process has been changing this story library for "
            f"{wait_s:.0f} s; wait for it to finish (or close it) and try again"
        ) from None
    try:
        yield
    finally:
        lock.release()


def lock_path(folder: Path) -> Path:
    real = os.path.realpath(folder)  # one lock however the folder is named (symlink, relative path)
    digest = hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    locks = paths.data_dir() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    return locks / f"library-{digest}.lock"
