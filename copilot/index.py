"""The local Chroma index of stories, framework cards and topic cards.

The index is derived data: the story files and the knowledge pack are the source of truth, and
`copilot index rebuild` can always recreate it. Each document's metadata holds a hash of its text,
so a sync re-embeds only what changed. One process owns the folder at a time: a second Chroma
client on the same folder can hang (DESIGN.md), so we take a file lock and say so clearly.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from copilot.classifier import Embedder
from copilot.errors import IndexBusyError, UserError
from copilot.knowledge import Framework, Topic
from copilot.stories.model import Story

COLLECTIONS = ("stories", "topics", "frameworks")
STORY_PARTS = ("situation", "task", "action", "result", "lessons")


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


def story_docs(stories: Iterable[Story]) -> list[Doc]:
    """A story is indexed whole (for the gist) and by section (so a match on the Action counts)."""
    docs = []
    for story in stories:
        whole = f"{story.title}\n{' '.join(story.competencies)}\n{_story_body(story)}"
        docs.append(Doc(f"story:{story.id}", whole, {"story_id": story.id, "part": "whole", "title": story.title}))
        for part in STORY_PARTS:
            text = story.section(part)
            if text:
                meta = {"story_id": story.id, "part": part, "title": story.title}
                docs.append(Doc(f"story:{story.id}:{part}", f"{story.title}\n{text}", meta))
    return docs


def _story_body(story: Story) -> str:
    return "\n".join(story.section(p) for p in STORY_PARTS)


def topic_docs(topics: Iterable[Topic]) -> list[Doc]:
    return [
        Doc(f"topic:{t.id}", t.text(), {"topic_id": t.id, "title": t.title, "types": ",".join(t.types)}) for t in topics
    ]


def framework_docs(frameworks: Iterable[Framework]) -> list[Doc]:
    return [Doc(f"framework:{f.id}", f.text(), {"framework_id": f.id, "title": f.title}) for f in frameworks]


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


class ChromaIndex:
    """Owns one Chroma folder. Use as a context manager, or call close()."""

    def __init__(self, folder: Path, embedder: Embedder) -> None:
        self.folder = folder
        self._embedder = embedder
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = _acquire_lock(folder)
        try:
            self._client = _open_client(folder)
            embedding_function = _chroma_embedding_function(embedder)
            self._collections = {
                name: self._client.get_or_create_collection(
                    name, embedding_function=embedding_function, configuration={"hnsw": {"space": "cosine"}}
                )
                for name in COLLECTIONS
            }
        except BaseException:
            self._lock.release()
            raise

    def __enter__(self) -> ChromaIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        # Chroma caches one system per path for the whole process; drop it so a later client on this
        # folder (after a rebuild, or in tests) reads the files afresh.
        self._client.clear_system_cache()
        self._lock.release()

    def plan(self, collection: str, docs: Sequence[Doc]) -> tuple[list[Doc], list[str], set[str]]:
        """What a sync would do: (docs to embed, ids to delete, ids already indexed)."""
        existing = self._collections[collection].get(include=["metadatas"])
        old = {i: (m or {}).get("hash") for i, m in zip(existing["ids"], existing["metadatas"] or [], strict=False)}
        wanted = {d.id for d in docs}
        changed = [d for d in docs if old.get(d.id) != _hash(d.text)]
        return changed, [i for i in old if i not in wanted], set(old)

    def sync(self, collection: str, docs: Sequence[Doc]) -> SyncReport:
        col = self._collections[collection]
        changed, removed, old = self.plan(collection, docs)
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
        added = sum(1 for d in changed if d.id not in old)
        return SyncReport(added, len(changed) - added, len(removed), len(docs) - len(changed))

    def count(self, collection: str) -> int:
        return int(self._collections[collection].count())

    def query(
        self, collection: str, vector: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float, dict]]:
        """Nearest documents as (id, cosine similarity, metadata), best first."""
        col = self._collections[collection]
        total = col.count()
        if total == 0 or n <= 0:
            return []
        result = col.query(
            query_embeddings=[vector.tolist()], n_results=min(n, total), where=where, include=["metadatas", "distances"]
        )
        ids, dists, metas = result["ids"][0], result["distances"][0], result["metadatas"][0]
        return [(i, 1.0 - float(d), dict(m or {})) for i, d, m in zip(ids, dists, metas, strict=True)]


def delete_index(folder: Path) -> None:
    lock = _acquire_lock(folder)
    try:
        for child in folder.iterdir():
            if child.name != LOCK_NAME:
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    finally:
        lock.release()


LOCK_NAME = "owner.lock"


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
    except Exception as exc:  # Chroma raises several types for a damaged folder
        raise UserError(f"{folder}: the index could not be opened ({exc}); run `copilot index rebuild`") from exc


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
    from copilot import models
    from copilot.embedding import OnnxEmbedder

    return OnnxEmbedder(models.embedding_model().path, models.embedding_tokenizer().path)
