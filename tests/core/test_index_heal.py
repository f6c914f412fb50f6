"""The derived index heals itself (issue 13, item 3): garbled, half-written, of another version,
replaced by a file, or failing under a sync, it is rebuilt with a progress message; a full disk is
named with the room needed and nothing is deleted."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE_STORIES
from fakes import HashEmbedder

from copilot.adapters.index import MARKER_NAME, ChromaIndex, DiskFullError, check_room, remove_orphan_indexes
from copilot.composition import index_folder_for, sync_index
from copilot.config import paths
from copilot.pipeline import knowledge
from copilot.pipeline.documents import story_docs
from copilot.stories.library import load_library


@pytest.fixture(scope="module")
def hashed() -> HashEmbedder:
    """Healing needs vectors of the right width, not meaning: a fake keeps these tests fast."""
    return HashEmbedder()


@pytest.fixture(scope="module")
def stories():
    return list(load_library(EXAMPLE_STORIES).stories)


def built(folder: Path, hashed, stories) -> int:
    with ChromaIndex(folder, hashed) as index:
        sync_index(index, stories)
        return index.count("stories")


def reopen(folder: Path, hashed, stories) -> tuple[list[str], int, int]:
    """Open (healing if needed) and sync, as `rehearse` does: (progress lines, stories, topics)."""
    said: list[str] = []
    with ChromaIndex(folder, hashed, progress=said.append) as index:
        sync_index(index, stories)
        return said, index.count("stories"), index.count("topics")


def garble(path: Path, at: float) -> None:
    with open(path, "r+b") as handle:
        handle.seek(int(path.stat().st_size * at))
        handle.write(os.urandom(8192))


@pytest.mark.parametrize("at", [0.0, 0.5, 0.98])
def test_a_garbled_database_is_rebuilt_on_open(hashed, stories, tmp_path: Path, at: float) -> None:
    expected = built(tmp_path, hashed, stories)
    garble(tmp_path / "chroma.sqlite3", at)
    said, count, topics = reopen(tmp_path, hashed, stories)
    assert count == expected and topics == len(knowledge.topics())
    assert any("rebuilding it" in line and str(tmp_path) in line for line in said)


def test_a_sound_index_is_not_rebuilt(hashed, stories, tmp_path: Path) -> None:
    built(tmp_path, hashed, stories)
    said, count, _ = reopen(tmp_path, hashed, stories)
    assert said == [] and count == len(story_docs(stories))


@pytest.mark.parametrize(
    "marker",
    [
        {"format": 0, "chromadb": "0.4.0", "state": "clean"},  # another version
        {"format": 1, "chromadb": None, "state": "writing"},  # a sync killed half-way
        "not json at all",
    ],
)
def test_an_index_of_another_version_or_half_written_is_rebuilt(hashed, stories, tmp_path, marker) -> None:
    built(tmp_path, hashed, stories)
    current = json.loads((tmp_path / MARKER_NAME).read_text())
    if isinstance(marker, dict) and marker["chromadb"] is None:
        marker = {**marker, "chromadb": current["chromadb"]}
    (tmp_path / MARKER_NAME).write_text(marker if isinstance(marker, str) else json.dumps(marker))
    said, count, _ = reopen(tmp_path, hashed, stories)
    assert count == len(story_docs(stories)) and any("rebuilding it" in line for line in said)


def test_an_index_folder_replaced_by_a_file_is_replaced(hashed, stories, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    folder.write_text("not an index")
    said, count, _ = reopen(folder, hashed, stories)
    assert folder.is_dir() and count == len(story_docs(stories))
    assert any("is a file where the story index belongs" in line for line in said)


def test_a_deleted_index_is_made_again(hashed, stories, tmp_path: Path) -> None:
    built(tmp_path / "index", hashed, stories)
    shutil.rmtree(tmp_path / "index")
    _, count, _ = reopen(tmp_path / "index", hashed, stories)
    assert count == len(story_docs(stories))


def test_a_failure_under_sync_rebuilds_once_and_succeeds(hashed, stories, tmp_path, monkeypatch) -> None:
    import chromadb.api.models.Collection as collection_module

    real = collection_module.Collection.upsert
    calls = {"n": 0}

    def flaky(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("Error executing plan: Failed to pull logs from the log store")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(collection_module.Collection, "upsert", flaky)
    said, count, topics = reopen(tmp_path, hashed, stories)
    assert count == len(story_docs(stories)) and topics == len(knowledge.topics())
    assert any("failed during the update" in line for line in said)


def test_a_full_disk_under_sync_is_named_and_nothing_is_deleted(hashed, stories, tmp_path, monkeypatch) -> None:
    import chromadb.api.models.Collection as collection_module

    built(tmp_path, hashed, stories)
    before = sorted(p.name for p in tmp_path.iterdir())

    def full(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("error returned from database: (code: 13) database or disk is full")

    monkeypatch.setattr(collection_module.Collection, "upsert", full)
    edited = [stories[0].with_section("result", "Cost fell 40%."), *stories[1:]]
    with ChromaIndex(tmp_path, hashed) as index:
        with pytest.raises(DiskFullError, match=r"the disk is full .*needs about \d+ MB"):
            sync_index(index, edited)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_rebuild_is_refused_before_deleting_when_the_disk_cannot_hold_it(tmp_path, monkeypatch) -> None:
    (tmp_path / "chroma.sqlite3").write_bytes(b"x" * 1000)
    monkeypatch.setattr(shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(10**9, 10**9 - 5000, 5000))
    with pytest.raises(DiskFullError, match="the disk is full"):
        check_room(tmp_path, 100)
    assert (tmp_path / "chroma.sqlite3").exists()


def test_a_moved_story_folder_keeps_its_index_and_a_deleted_one_loses_it(tmp_path: Path) -> None:
    first, second = tmp_path / "stories", tmp_path / "other"
    shutil.copytree(EXAMPLE_STORIES, first)
    second.mkdir()
    key = index_folder_for(first)
    first.rename(tmp_path / "moved")
    assert index_folder_for(tmp_path / "moved") == key  # same disk: same index, nothing re-embedded
    root = paths.index_dir()
    for stories_dir in (tmp_path / "moved", second):
        folder = index_folder_for(stories_dir)
        folder.mkdir(parents=True)
        remove_orphan_indexes(root, folder, stories_dir, index_folder_for)
    old_style = root / "0123456789ab"  # keyed by path, before owners were recorded
    old_style.mkdir()
    shutil.rmtree(second)
    remove_orphan_indexes(root, key, tmp_path / "moved", index_folder_for)
    assert sorted(p.name for p in root.iterdir()) == [key.name]


def test_an_orphan_in_use_is_left_alone(tmp_path: Path) -> None:
    from filelock import FileLock

    root = paths.index_dir()
    gone = root / "feedfeedfeed"
    gone.mkdir(parents=True)
    (gone / "copilot-owner.json").write_text(json.dumps({"stories_dir": str(tmp_path / "nope")}))
    current = root / "current"
    current.mkdir()
    with FileLock(str(gone / "owner.lock")):
        remove_orphan_indexes(root, current, tmp_path, index_folder_for)
    assert gone.exists()


def test_disk_full_on_open_is_named(hashed, tmp_path, monkeypatch) -> None:
    import copilot.adapters.index as index_module

    def full(folder):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(index_module, "_open_client", full)
    with pytest.raises(DiskFullError, match="the disk is full"):
        ChromaIndex(tmp_path, hashed)
