"""The local Chroma index of stories, framework cards and topic cards.

The index is derived data: the story files and the knowledge pack are the source of truth, and
`copilot index rebuild` can always recreate it. Each document's metadata holds a hash of its text,
so a sync re-embeds only what changed. One process owns the folder at a time: a second Chroma
client on the same folder can hang (DESIGN.md), so we take a file lock and say so clearly.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import logging
import re
import shutil
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from copilot.adapters.embedding import Embedder
from copilot.atomic import free_space_text, write_text_atomic
from copilot.errors import IndexBusyError, UserError

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
COLLECTIONS = ("stories", "topics", "frameworks")
@dataclass(frozen=True)
class Doc:
    id: str
    text: str
    meta: dict[str, Any]


@dataclass(frozen=True)
class SyncReport:
    added: int
    updated: int
    removed: int
    unchanged: int


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


class IndexDamagedError(UserError):
    """The index failed while in use; it is marked for a rebuild, which the caller may run now."""


class DiskFullError(UserError):
    """The disk holding the index is full; the message says how much room it needs."""


class ChromaIndex:
    """Owns one Chroma folder. Use as a context manager, or call close().

    Opening heals: an index that is unreadable, garbled, of another version or format, left half
    written by a killed sync, or replaced by a file is rebuilt empty (with a `progress` message) and
    the next sync fills it again. A full disk is reported as such, and nothing is deleted then.
    """

    def __init__(self, folder: Path, embedder: Embedder, progress: Progress | None = None) -> None:
        self.folder = folder
        self._embedder = embedder
        self._progress = progress or log.info
        _make_folder(folder, self._progress)
        self._lock = _acquire_lock(folder)
        self._client: Any = None
        try:
            reason = _stale_reason(folder)
            if reason:
                self._rebuild(reason)
            else:
                self._open_or_rebuild()
        except BaseException:
            self._drop_client()
            self._lock.release()
            raise

    def __enter__(self) -> ChromaIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._drop_client()
        self._lock.release()

    def rebuild(self, reason: str = "was asked to be rebuilt") -> None:
        """Empty every collection (the next sync fills them again): after an IndexDamagedError."""
        self._rebuild(reason)

    def _open_or_rebuild(self) -> None:
        try:
            self._open()
        except Exception as exc:  # Chroma raises many types for a damaged folder
            _raise_if_disk_full(exc, self.folder, 0)
            self._rebuild(f"could not be read ({_short(exc)})")

    def _rebuild(self, reason: str) -> None:
        self._progress(f"the story index at {self.folder} {reason}; rebuilding it")
        self._drop_client()
        _wipe(self.folder)
        try:
            self._open()
        except Exception as exc:
            _raise_if_disk_full(exc, self.folder, 0)
            raise UserError(f"{self.folder}: the story index could not be created ({_short(exc)})") from exc

    def _open(self) -> None:
        self._client = _open_client(self.folder)
        embedding_function = _chroma_embedding_function(self._embedder)
        self._collections = {
            name: self._client.get_or_create_collection(
                name, embedding_function=embedding_function, configuration={"hnsw": {"space": "cosine"}}
            )
            for name in COLLECTIONS
        }
        for collection in self._collections.values():  # read each once: a garbled table fails here, not mid-question
            collection.count()
            collection.get(limit=1, include=["metadatas"])
        if _read_marker(self.folder) != _marker("clean"):
            _write_marker(self.folder, "clean")  # only when it changes: a full disk still opens a sound index

    def _drop_client(self) -> None:
        # Chroma caches one system per path for the whole process; drop it so a later client on this
        # folder (after a rebuild, or in tests) reads the files afresh.
        if self._client is not None:
            self._client.clear_system_cache()
            self._client = None

    def _failed(self, exc: Exception, docs: int = 0) -> UserError:
        """The error to raise for a Chroma failure in use; a damaged index is marked for rebuilding."""
        _raise_if_disk_full(exc, self.folder, docs)
        _write_marker(self.folder, "damaged")
        return IndexDamagedError(
            f"{self.folder}: the story index failed ({_short(exc)}); it is rebuilt on the next start"
        )

    def plan(self, collection: str, docs: Sequence[Doc]) -> tuple[list[Doc], list[str], set[str]]:
        """What a sync would do: (docs to embed, ids to delete, ids already indexed)."""
        existing = self._collections[collection].get(include=["metadatas"])
        old = {i: (m or {}).get("hash") for i, m in zip(existing["ids"], existing["metadatas"] or [], strict=False)}
        wanted = {d.id for d in docs}
        changed = [d for d in docs if old.get(d.id) != _hash(d.text)]
        return changed, [i for i in old if i not in wanted], set(old)

    def sync(self, collection: str, docs: Sequence[Doc]) -> SyncReport:
        try:
            changed, removed, old = self.plan(collection, docs)
            if changed or removed:
                # Marked while writing: a sync killed half-way leaves "writing", and the next open rebuilds.
                _write_marker(self.folder, "writing")
                self._apply(self._collections[collection], changed, removed)
                _write_marker(self.folder, "clean")
        except UserError:
            raise
        except Exception as exc:
            raise self._failed(exc, len(docs)) from exc
        added = sum(1 for d in changed if d.id not in old)
        return SyncReport(added, len(changed) - added, len(removed), len(docs) - len(changed))

    def vectors(self, collection: str, ids: Sequence[str]) -> np.ndarray:
        """The stored embeddings of `ids`, in that order (for scoring in memory, without re-embedding)."""
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        found = self._collections[collection].get(ids=list(ids), include=["embeddings"])
        by_id = dict(zip(found["ids"], found["embeddings"], strict=True))
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise UserError(f"{self.folder}: the index lacks {len(missing)} documents; run `copilot index rebuild`")
        return np.asarray([by_id[i] for i in ids], dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The index's own embedder (the same model its documents were embedded with)."""
        return self._embedder.embed(texts)

    def _apply(self, col: Any, changed: list[Doc], removed: list[str]) -> None:
        if removed:
            col.delete(ids=removed)
        for start in range(0, len(changed), 256):  # bounded batches keep memory flat on big libraries
            batch = changed[start : start + 256]
            col.upsert(
                ids=[d.id for d in batch],
                documents=[d.text for d in batch],
                metadatas=[{**d.meta, "hash": _hash(d.text)} for d in batch],
                embeddings=self._embedder.embed([d.text for d in batch]),
            )

    def count(self, collection: str) -> int:
        return int(self._collections[collection].count())

    def query(
        self, collection: str, vector: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float, dict]]:
        """Nearest documents as (id, cosine similarity, metadata), best first."""
        col = self._collections[collection]
        try:
            total = col.count()
            if total == 0 or n <= 0:
                return []
            result = col.query(
                query_embeddings=[vector.tolist()],
                n_results=min(n, total),
                where=where,
                include=["metadatas", "distances"],
            )
        except Exception as exc:
            raise self._failed(exc) from exc
        ids, dists, metas = result["ids"][0], result["distances"][0], result["metadatas"][0]
        return [(i, 1.0 - float(d), dict(m or {})) for i, d, m in zip(ids, dists, metas, strict=True)]


def delete_index(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        folder.unlink()  # derived data replaced by a file: nothing of the user's is lost
        return
    lock = _acquire_lock(folder)
    try:
        _wipe(folder)
    finally:
        lock.release()


LOCK_NAME = "owner.lock"
MARKER_NAME = "copilot-index.json"
# Bump when what we store changes (document ids, metadata, the embedding model): older indexes are rebuilt.
INDEX_FORMAT = 1
# What Chroma and we keep in an index folder; a wipe removes these and nothing else.
_INDEX_ENTRY = re.compile(
    r"^(chroma\.sqlite3.*|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|" + re.escape(MARKER_NAME) + r")$"
)
# Room a sync needs: measured here, 1.6 MB for 120 documents (about 13 kB each over a 1 MB base); doubled.
_BASE_BYTES, _BYTES_PER_DOC = 4_000_000, 30_000


def needed_bytes(docs: int) -> int:
    return _BASE_BYTES + _BYTES_PER_DOC * docs


def check_room(folder: Path, docs: int) -> None:
    """Refuse before deleting anything when the disk cannot hold a rebuilt index."""
    existing = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0
    probe = folder if folder.exists() else folder.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        return
    if free + existing < needed_bytes(docs):
        raise DiskFullError(_disk_full_message(folder, docs))


def _disk_full_message(folder: Path, docs: int) -> str:
    free = free_space_text(folder)
    return (
        f"{folder}: the disk is full ({free or 'no room left'}); the story index needs about "
        f"{needed_bytes(docs) / 1e6:.0f} MB: free some space and run again (your stories are not affected)"
    )


def _raise_if_disk_full(exc: BaseException, folder: Path, docs: int) -> None:
    seen: BaseException | None = exc
    while seen is not None:
        text = str(seen).lower()
        if (isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT)) or any(
            phrase in text for phrase in ("disk is full", "no space left", "(code: 13)", "quota exceeded")
        ):
            raise DiskFullError(_disk_full_message(folder, docs)) from exc
        seen = seen.__cause__ or seen.__context__


def _make_folder(folder: Path, progress: Progress) -> None:
    """The index folder, made; a file in its place (or in its parent's) is derived junk and removed."""
    for path in (folder.parent, folder):
        if path.exists() and not path.is_dir() and path.name != "":
            progress(f"{path} is a file where the story index belongs; replacing it with a new index")
            path.unlink()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _raise_if_disk_full(exc, folder, 0)
        raise UserError(f"{folder}: the story index folder cannot be created ({exc.strerror or exc})") from exc


def _wipe(folder: Path) -> None:
    for child in folder.iterdir():
        if _INDEX_ENTRY.match(child.name):
            shutil.rmtree(child) if child.is_dir() else child.unlink()


def _marker(state: str) -> dict[str, Any]:
    import chromadb

    return {"format": INDEX_FORMAT, "chromadb": chromadb.__version__, "state": state}


def _write_marker(folder: Path, state: str) -> None:
    try:
        write_text_atomic(folder / MARKER_NAME, json.dumps(_marker(state)) + "\n")
    except UserError as exc:
        _raise_if_disk_full(exc.__cause__ or exc, folder, 0)
        raise


def _read_marker(folder: Path) -> dict[str, Any] | None:
    try:
        marker = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def _stale_reason(folder: Path) -> str | None:
    """Why the index in `folder` must be rebuilt before use, or None (a new or a sound index)."""
    database = folder / "chroma.sqlite3"
    if not database.exists():
        return "has no database" if any(_INDEX_ENTRY.match(p.name) for p in folder.iterdir()) else None
    if database.is_dir():
        return "has a folder in place of its database"
    marker = _read_marker(folder)
    if marker is None:
        return "has no readable version stamp"
    expected = _marker(str(marker.get("state")))
    if marker.get("format") != expected["format"] or marker.get("chromadb") != expected["chromadb"]:
        return f"was made by another version (format {marker.get('format')}, Chroma {marker.get('chromadb')})"
    if marker.get("state") != "clean":
        return (
            "was left half-written (a sync was cut short)" if marker.get("state") == "writing" else "failed last time"
        )
    return _database_problem(database)


def _database_problem(database: Path) -> str | None:
    """SQLite's own structure check: a garbled page shows here, before Chroma trips over it."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as db:
            rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.Error as exc:
        return f"is not readable ({exc})"
    if rows != [("ok",)]:
        return f"is damaged ({rows[0][0] if rows else 'no answer from the check'})"
    return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


OWNER_NAME = "copilot-owner.json"  # which story folder an index serves, to find the orphans


def remove_orphan_indexes(root: Path, current: Path, stories_folder: Path, folder_for: Callable[[Path], Path]) -> None:
    """Record that `current` serves `stories_folder`, and delete the other indexes under `root` whose
    story folder is gone or now has another index (it moved to another disk, or was replaced). An
    index in use by another process, or one that cannot be removed, is left for next time."""
    try:
        write_text_atomic(current / OWNER_NAME, json.dumps({"stories_dir": str(stories_folder.resolve())}) + "\n")
        siblings = [p for p in root.iterdir() if p.is_dir() and p != current]
    except (OSError, UserError):
        return  # cleaning up is a courtesy: never a reason to fail a rehearse
    for sibling in siblings:
        if _is_orphan(sibling, folder_for):
            _remove_unused(sibling)


def _is_orphan(folder: Path, folder_for: Callable[[Path], Path]) -> bool:
    try:
        owner = json.loads((folder / OWNER_NAME).read_text(encoding="utf-8"))["stories_dir"]
    except (OSError, ValueError, KeyError, TypeError):
        return True  # an index made before owners were recorded (keyed by path), or a broken one
    stories = Path(str(owner))
    return not stories.is_dir() or folder_for(stories) != folder


def _remove_unused(folder: Path) -> None:
    from filelock import FileLock, Timeout

    lock = FileLock(str(folder / LOCK_NAME))
    try:
        lock.acquire(timeout=0)
    except (Timeout, OSError):
        return
    try:
        shutil.rmtree(folder, ignore_errors=True)
        log.info("removed the story index %s: its story folder is gone or has moved", folder)
    finally:
        lock.release()


def _acquire_lock(folder: Path) -> Any:
    from filelock import FileLock, Timeout

    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / LOCK_NAME))
    try:
        lock.acquire(timeout=0)
    except Timeout as exc:
        raise IndexBusyError(
            f"{folder}: the story index is in use by another Interview Copilot process; close it and try again"
        ) from exc
    return lock


def _open_client(folder: Path) -> Any:
    import chromadb
    from chromadb.config import Settings

    try:
        return chromadb.PersistentClient(
            path=str(folder), settings=Settings(anonymized_telemetry=False, allow_reset=False)
        )
    except Exception as exc:  # Chroma raises several types for a damaged folder: the caller heals it
        _raise_if_disk_full(exc, folder, 0)
        raise


def _chroma_embedding_function(embedder: Embedder) -> Any:
    """Our ONNX MiniLM as a Chroma embedding function, so Chroma never loads its own default model."""
    return _embedding_function_class()(embedder)


@functools.cache
def _embedding_function_class() -> type:
    # Defined on first use: subclassing needs chromadb, which `import copilot` must not load.
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
    from chromadb.utils.embedding_functions import register_embedding_function

    @register_embedding_function
    class CopilotEmbeddingFunction(EmbeddingFunction[Documents]):
        def __init__(self, embedder: Embedder) -> None:
            self._embedder = embedder

        def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - Chroma's protocol names it so
            return list(self._embedder.embed(list(input)))

        @staticmethod
        def name() -> str:
            return "interview-copilot-minilm-int8"

        def default_space(self) -> Any:
            return "cosine"

        def get_config(self) -> dict[str, Any]:
            return {"model": "all-MiniLM-L6-v2-int8"}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> Any:
            # Chroma rebuilds the function from the stored config each time a collection is opened,
            # only to compare it with ours; a shared default embedder keeps that cheap.
            return CopilotEmbeddingFunction(_default_embedder())

    return CopilotEmbeddingFunction


@functools.cache
def _default_embedder() -> Embedder:
    from copilot.adapters.embedding import OnnxEmbedder
    from copilot.config import models

    return OnnxEmbedder(models.embedding_model().path, models.embedding_tokenizer().path)
