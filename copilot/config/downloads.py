"""Downloading one file: resume with HTTP Range, free-space check, sha256, atomic install.

The bytes go to `<target>.part` beside the target; only a complete file whose sha256 matches is
renamed onto the target (`os.replace`, atomic), so the app never sees a partial or corrupt model.
A cancelled or interrupted download keeps its `.part` and the next call resumes from its end. A
wrong checksum deletes it: resuming a corrupt file would only reproduce the corruption.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from copilot.atomic import fsync_folder
from copilot.errors import UserError

CHUNK = 256 * 1024
# Kept free beyond the file itself: a disk filled to the last byte breaks every other program.
SPARE_BYTES = 50 * 1024 * 1024


class DownloadCancelled(UserError):
    """The user cancelled; the partial file is kept for a resume."""


@dataclass(frozen=True)
class Progress:
    done: int
    total: int | None
    rate_bps: float
    eta_s: float | None


ProgressFn = Callable[[Progress], None]


def part_path(target: Path) -> Path:
    return target.with_name(target.name + ".part")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def check_free_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed + SPARE_BYTES:
        raise UserError(
            f"not enough disk space in {folder}: {_mb(needed)} needed (plus {_mb(SPARE_BYTES)} spare), "
            f"{_mb(free)} free; free some space and run the command again"
        )


def download(
    url: str,
    target: Path,
    *,
    sha256: str | None,
    size: int | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    timeout_s: float = 30.0,
) -> Path:
    """Fetch `url` to `target`; returns `target`. `sha256` None skips the check (the caller decided)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(target)
    have = part.stat().st_size if part.exists() else 0
    if size is None or have < size:
        _fetch(url, part, have, size, progress, cancel or threading.Event(), timeout_s)
    _verify(part, target, sha256, size)
    os.replace(part, target)
    fsync_folder(target.parent)
    return target


def _fetch(
    url: str,
    part: Path,
    have: int,
    size: int | None,
    progress: ProgressFn | None,
    cancel: threading.Event,
    timeout_s: float,
) -> None:
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)  # noqa: S310 (http(s) from our catalogue)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the part is already complete
            return
        raise UserError(f"download of {url} failed: HTTP {exc.code} {exc.reason}; try again later") from None
    except (urllib.error.URLError, OSError) as exc:
        raise UserError(f"cannot reach {url} ({getattr(exc, 'reason', exc)}); check the network and retry") from None
    with response:
        if have and response.status != 206:
            have = 0  # the server ignored the Range header: start over
        total = _total_size(response, have) or size
        if total is not None:
            check_free_space(part.parent, total - have)
        with open(part, "ab" if have else "wb") as out:
            _copy(response, out, have, total, progress, cancel, url, part)


def _total_size(response: Any, have: int) -> int | None:
    content_range = response.headers.get("Content-Range", "")
    if "/" in content_range and not content_range.endswith("/*"):
        return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("Content-Length")
    return have + int(length) if length is not None else None


def _copy(
    response: Any,
    out: BinaryIO,
    have: int,
    total: int | None,
    progress: ProgressFn | None,
    cancel: threading.Event,
    url: str,
    part: Path,
) -> None:
    started, start_bytes, done = time.monotonic(), have, have
    while True:
        if cancel.is_set():
            raise DownloadCancelled(f"download cancelled; {_mb(done)} kept in {part}, run the command again to resume")
        try:
            block = response.read(CHUNK)
        except (OSError, http.client.HTTPException) as exc:
            raise UserError(
                f"the download of {url} broke off at {_mb(done)} ({exc}); run the command again to resume"
            ) from None
        if not block:
            break
        _write_chunk(out, block, part)
        done += len(block)
        if progress is not None:
            progress(_progress(done, total, start_bytes, started))
    if total is not None and done < total:
        raise UserError(
            f"the download of {url} broke off at {_mb(done)} of {_mb(total)}; run the command again to resume"
        )


def _write_chunk(out: BinaryIO, block: bytes, part: Path) -> None:
    try:
        out.write(block)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise UserError(
                f"the disk holding {part.parent} is full; free some space and run the command again to resume"
            ) from None
        raise UserError(f"cannot write {part} ({exc.strerror}); check the folder and retry") from None


def _progress(done: int, total: int | None, start_bytes: int, started: float) -> Progress:
    elapsed = max(time.monotonic() - started, 1e-6)
    rate = (done - start_bytes) / elapsed
    eta = (total - done) / rate if total is not None and rate > 0 else None
    return Progress(done, total, rate, eta)


def _verify(part: Path, target: Path, sha256: str | None, size: int | None) -> None:
    actual_size = part.stat().st_size
    if size is not None and actual_size != size:
        part.unlink()
        raise UserError(f"{target.name}: got {actual_size} bytes, expected {size}; the file was deleted, run again")
    if sha256 is not None:
        actual = sha256_of(part)
        if actual != sha256.lower():
            part.unlink()
            raise UserError(
                f"{target.name}: sha256 {actual} does not match the catalogue's {sha256}; "
                "the file was deleted and not installed"
            )


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def format_progress(p: Progress) -> str:
    """'512.0 of 1024.0 MB, 10.2 MB/s, 50 s left' for the terminal and the dialog."""
    done = f"{p.done / 1_000_000:.1f}"
    size = f" of {p.total / 1_000_000:.1f} MB" if p.total else " MB"
    left = f", {p.eta_s:.0f} s left" if p.eta_s is not None else ""
    return f"{done}{size}, {p.rate_bps / 1_000_000:.1f} MB/s{left}"
