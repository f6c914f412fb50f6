"""kill -9 at a random moment never loses or truncates data (issue 13): story saves, imports, the
history and index rebuilds, 50 trials each. Writers are forked (no interpreter start-up per trial)
except the index rebuild, which runs Chroma in a fresh process as the CLI does."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from copilot.atomic import clean_stale_temporaries
from copilot.history.store import HistoryStore
from copilot.stories.library import import_stories, load_library
from copilot.stories.parse import load_story
from copilot.stories.write import save_story

TRIALS = 50
STORY = "---\nid: {id}\ntitle: Story {id}\ncompetencies: [ownership]\n---\n## Situation\n{body}\n"


def _kill_after(target, args: tuple, delay_s: float) -> None:  # type: ignore[no-untyped-def]
    ctx = multiprocessing.get_context("fork")
    proc = ctx.Process(target=target, args=args)
    proc.start()
    time.sleep(delay_s)
    if proc.pid is not None and proc.is_alive():
        os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)


def _saver(path: str) -> None:
    n = 0
    while True:  # each save grows the section, so a truncated file would show
        n += 1
        story = load_story(path)
        save_story(story.with_section("result", f"save {n}: " + "cost fell 40%. " * (n % 200 + 1)))


@pytest.mark.slow  # a stress loop of many trials: out of the inner loop, still in make test and CI
def test_kill_during_saves_never_truncates_and_leaves_no_temporaries(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    path = folder / "story.md"
    path.write_text(STORY.format(id="kept", body="start"), encoding="utf-8")
    os.chmod(path, 0o644)
    rng = random.Random(13)
    for _ in range(TRIALS):
        _kill_after(_saver, (str(path),), rng.uniform(0.05, 0.4))
        story = load_story(path)  # always whole: parses, with its title and a result or the start text
        assert story.title == "Story kept" and (
            story.section("result").startswith("save ") or "start" in story.section("situation")
        )
        assert story.section("result") == "" or story.section("result").rstrip().endswith("40%.")
    assert path.stat().st_mode & 0o777 == 0o644  # the mode survived every save
    left = clean_stale_temporaries(folder, older_than_s=0)
    assert all(p.name.startswith(".story.md.") for p in left)
    assert [p.name for p in folder.iterdir()] == ["story.md"]


def _importer(sources: list[str], folder: str) -> None:
    while True:
        import_stories(sources, folder)


@pytest.mark.slow  # a stress loop of many trials: out of the inner loop, still in make test and CI
def test_kill_during_imports_leaves_only_whole_stories(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(20):
        (src / f"s{i}.md").write_text(STORY.format(id=f"s{i}", body="x" * (i * 500)), encoding="utf-8")
    rng = random.Random(7)
    for trial in range(TRIALS):
        folder = tmp_path / f"lib-{trial % 5}"  # five libraries, each imported into again and again
        _kill_after(_importer, ([str(src)], str(folder)), rng.uniform(0.05, 0.5))
        if not folder.exists():
            continue
        loaded = load_library(folder)
        assert loaded.errors == (), [str(e) for e in loaded.errors]
        for story in loaded.stories:  # every file whole: its body is the source's
            source = src / f"{story.id.split('-')[0]}.md"
            assert story.section("situation") == load_story(source).section("situation")


def _historian(db: str, key: bytes) -> None:
    class Key:
        def get_key(self) -> bytes:
            return key

    with HistoryStore(db, Key()) as store:
        while True:
            sid = store.start_session("rehearsal")
            for i in range(20):
                store.record(sid, "transcript", {"text": f"said {i} " * 50})
            store.end_session(sid)


@pytest.mark.slow  # a stress loop of many trials: out of the inner loop, still in make test and CI
def test_kill_during_history_writes_keeps_it_readable(tmp_path: Path) -> None:
    db, key = tmp_path / "history.sqlite3", Fernet.generate_key()

    class Key:
        def get_key(self) -> bytes:
            return key

    rng = random.Random(3)
    sessions = 0
    for _ in range(TRIALS):
        _kill_after(_historian, (str(db), key), rng.uniform(0.05, 0.4))
        with HistoryStore(db, Key()) as store:
            assert store.notice is None  # never found damaged
            listed = store.list_sessions()
            assert len(listed) >= sessions
            sessions = len(listed)
            last = store.load_session(listed[-1].id) if listed else None
            assert last is None or all("damaged" not in item.payload for item in last.items)
    assert sessions > TRIALS  # the writers did get work done between kills


def _rebuilder(stories_dir: str, folder: str, started) -> None:  # type: ignore[no-untyped-def]
    from core.test_index_heal import HashEmbedder

    from copilot.adapters.index import ChromaIndex, delete_index
    from copilot.composition import sync_index

    stories = list(load_library(stories_dir).stories)
    started.set()
    while True:
        delete_index(Path(folder))
        with ChromaIndex(Path(folder), HashEmbedder()) as index:
            sync_index(index, stories)


@pytest.mark.slow
def test_kill_during_index_rebuilds_recovers_by_itself(tmp_path: Path) -> None:
    """A forkserver with Chroma preloaded starts each writer in milliseconds; the check runs here."""
    from conftest import EXAMPLE_STORIES
    from core.test_index_heal import HashEmbedder

    from copilot.adapters.index import ChromaIndex
    from copilot.composition import sync_index
    from copilot.pipeline import knowledge
    from copilot.pipeline.documents import story_docs

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["chromadb", "copilot.adapters.index", "copilot.composition", "core.test_index_heal"])
    folder = tmp_path / "index"
    stories = list(load_library(EXAMPLE_STORIES).stories)
    expected = len(story_docs(stories))
    rng = random.Random(5)
    healed = 0
    for _ in range(TRIALS):
        started = ctx.Event()
        proc = ctx.Process(target=_rebuilder, args=(str(EXAMPLE_STORIES), str(folder), started))
        proc.start()
        assert started.wait(60)
        time.sleep(rng.uniform(0.0, 0.8))
        os.kill(proc.pid, signal.SIGKILL)  # type: ignore[arg-type]
        proc.join(10)
        said: list[str] = []
        with ChromaIndex(folder, HashEmbedder(), progress=said.append) as index:
            sync_index(index, stories)
            assert index.count("stories") == expected and index.count("topics") == len(knowledge.topics())
        healed += bool(said)
    print(f"{healed} of {TRIALS} kills left an index that was rebuilt on the next open")
