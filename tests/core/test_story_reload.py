"""Reloading the story library in a running core: new, edited, deleted and broken story files reach
retrieval without a restart, and the folder watcher calls back when files change. A real Chroma index
on the hashed bag-of-words embedder (tests/fakes.py): the reload logic is the subject here; how well
MiniLM ranks the stories is tested in test_index_retrieval.py."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from conftest import EXAMPLE_STORIES
from fakes import HashEmbedder, use_fake_models

from copilot.adapters.index import ChromaIndex
from copilot.composition import Core, StoryLibrary, open_core
from copilot.config.settings import Settings
from copilot.pipeline import knowledge
from copilot.pipeline.retrieval import Retriever
from copilot.stories.watch import StoryWatcher

NEW_STORY = """---
id: fortran-climate-port
title: Ported a Fortran climate model to GPUs
competencies: [technical-depth, ownership]
role: ML Engineer, climate research lab
year: 2023
---
## Situation
Our Fortran climate model took nine days per simulated century on the CPU cluster.

## Task
I owned porting the Fortran atmosphere kernels to GPUs without changing the climate results.

## Action
I profiled the Fortran code, rewrote the radiation kernel in CUDA, and compared every output
field against the Fortran reference run within a tolerance the climate scientists agreed on.

## Result
A simulated century now takes 20 hours instead of nine days, and the climate results match.
"""
NEW_QUESTION = "Tell me about a time you ported a Fortran climate model to GPUs."
COST_QUESTION = "Tell me about a time you reduced serving cost or latency."
COST_STORY = "distilled-intent-classifier"


def story_ids(core: Core, question: str) -> list[str]:
    vector = core.embedder.embed_one(question)
    return [h.id for h in core.retriever.retrieve(question, "behavioral", vector).stories]


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory):
    """One core for the module (opening one indexes the examples); each test resets its folder.

    Module scope runs before the autouse private folders, so this sets its own.
    """
    root = tmp_path_factory.mktemp("reload")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("COPILOT_CONFIG_DIR", str(root / "config"))
        env.setenv("COPILOT_DATA_DIR", str(root / "data"))
        env.setenv("COPILOT_CACHE_DIR", str(root / "cache"))
        use_fake_models(env)
        folder = root / "stories"
        shutil.copytree(EXAMPLE_STORIES, folder)
        core = open_core(Settings(), str(folder), with_transcriber=False, with_generator=False)
        yield core, folder
        core.close()


@pytest.fixture
def folder(opened: tuple[Core, Path]) -> Path:
    return opened[1]


@pytest.fixture
def core(opened: tuple[Core, Path]) -> Core:
    """The shared core on a folder holding exactly the example stories again."""
    core, folder = opened
    for path in folder.glob("*.md"):
        path.unlink()
    for path in EXAMPLE_STORIES.glob("*.md"):
        shutil.copy2(path, folder / path.name)
    core.reload_stories()
    return core


def test_a_new_story_is_found_after_reload(core: Core, folder: Path) -> None:
    assert "fortran-climate-port" not in story_ids(core, NEW_QUESTION)
    (folder / "fortran-climate-port.md").write_text(NEW_STORY, encoding="utf-8")

    result = core.reload_stories()

    assert result.added == ("fortran-climate-port",) and not result.changed and not result.removed
    assert story_ids(core, NEW_QUESTION)[0] == "fortran-climate-port"
    assert result.summary().startswith(f"re-indexed {result.stories} stories (1 added)")
    assert any(s.id == "fortran-climate-port" for s in core.library.stories)


def test_a_deleted_story_disappears_and_an_edit_is_reembedded(core: Core, folder: Path) -> None:
    assert COST_STORY in story_ids(core, COST_QUESTION)
    (folder / f"{COST_STORY}.md").unlink()
    edited = folder / "killed-visual-dedup.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nAlso: a Fortran footnote.\n", encoding="utf-8")

    result = core.reload_stories()

    assert result.removed == (COST_STORY,) and result.changed == ("killed-visual-dedup",)
    assert result.chunks.added == 0 and result.chunks.removed > 0 and result.chunks.updated > 0
    assert COST_STORY not in story_ids(core, COST_QUESTION)
    assert core.index.plan("stories", [])[2].isdisjoint({f"story:{COST_STORY}"})  # gone from Chroma too


def test_a_broken_file_is_named_and_the_rest_still_indexed(core: Core, folder: Path) -> None:
    (folder / "broken.md").write_text("---\nid: [unclosed\n---\n## Situation\nx\n", encoding="utf-8")
    (folder / "fortran-climate-port.md").write_text(NEW_STORY, encoding="utf-8")

    result = core.reload_stories()

    assert result.broken_files == ("broken.md",)
    assert any("broken.md" in e for e in result.errors) and "broken.md" in result.summary()
    assert story_ids(core, NEW_QUESTION)[0] == "fortran-climate-port"


def test_a_story_over_the_size_limit_is_named_and_left_out(core: Core, folder: Path) -> None:
    big = folder / "huge.md"
    big.write_text("---\ntitle: Huge\n---\n## Situation\n" + "Fortran. " * 200_000, encoding="utf-8")
    result = core.reload_stories()
    assert result.broken_files == ("huge.md",) and any("too large for a story" in e for e in result.errors)
    assert all(s.title != "Huge" for s in core.library.stories)


def test_an_index_failing_under_a_reload_is_rebuilt_and_the_reload_succeeds(
    core: Core, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chromadb.api.models.Collection as collection_module

    real, calls = collection_module.Collection.upsert, {"n": 0}

    def flaky(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("Error executing plan: Failed to pull logs from the log store")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(collection_module.Collection, "upsert", flaky)
    (folder / "fortran-climate-port.md").write_text(NEW_STORY, encoding="utf-8")
    result = core.reload_stories()
    assert result.added == ("fortran-climate-port",)
    assert story_ids(core, NEW_QUESTION)[0] == "fortran-climate-port"
    assert core.index.count("topics") == len(knowledge.topics())  # the rebuild refilled every collection


@pytest.mark.slow
def test_a_new_story_is_found_after_reload_on_the_real_models(tmp_path: Path) -> None:
    """The same reload on MiniLM and the trained classifier, as the app runs it (the tests above fake them)."""
    folder = tmp_path / "stories"
    shutil.copytree(EXAMPLE_STORIES, folder)
    core = open_core(Settings(), str(folder), with_transcriber=False, with_generator=False)
    try:
        assert "fortran-climate-port" not in story_ids(core, NEW_QUESTION)
        (folder / "fortran-climate-port.md").write_text(NEW_STORY, encoding="utf-8")
        assert core.reload_stories().added == ("fortran-climate-port",)
        assert story_ids(core, NEW_QUESTION)[0] == "fortran-climate-port"
        assert core.classifier.classify(NEW_QUESTION).question_type == "behavioral"
    finally:
        core.close()


def test_reload_with_nothing_changed_reports_no_changes(core: Core) -> None:
    result = core.reload_stories()
    assert not result.changed_anything and result.chunks.unchanged > 0
    assert "(no changes)" in result.summary()


def test_reloads_never_disturb_concurrent_retrieval(core: Core, folder: Path) -> None:
    """The retrieve stage and a reload share the retriever's lock: answers stay whole throughout."""
    failures: list[BaseException] = []
    stop = threading.Event()
    vector = core.embedder.embed_one(NEW_QUESTION)

    def ask() -> None:
        while not stop.is_set():
            try:
                cards = core.retriever.retrieve(NEW_QUESTION, "behavioral", vector)
                assert len(cards.stories) == 3
            except BaseException as exc:  # noqa: BLE001 - reported to the test below
                failures.append(exc)
                return

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        new_file = folder / "fortran-climate-port.md"
        for _ in range(3):
            new_file.write_text(NEW_STORY, encoding="utf-8")
            assert core.reload_stories().added == ("fortran-climate-port",)
            new_file.unlink()
            assert core.reload_stories().removed == ("fortran-climate-port",)
    finally:
        stop.set()
        asker.join()
    assert failures == []


def test_reload_after_close_is_refused(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    index = ChromaIndex(tmp_path / "index", embedder)
    library = StoryLibrary(tmp_path, [], [])
    retriever = Retriever(index, knowledge.frameworks(), knowledge.topics(), [])
    core = Core(Settings(), library, embedder, None, index, retriever, {})  # type: ignore[arg-type]
    core.close()
    with pytest.raises(RuntimeError, match="closed"):
        core.reload_stories()


def test_watcher_calls_back_for_story_files_only(tmp_path: Path) -> None:
    calls: list[frozenset[Path]] = []
    changed = threading.Event()

    def on_change(paths: frozenset[Path]) -> None:
        calls.append(paths)
        if paths:
            changed.set()

    watcher = StoryWatcher(tmp_path, on_change).start()
    try:
        assert watcher.ready.wait(10)
        (tmp_path / ".story.md.123.tmp").write_text("temporary", encoding="utf-8")  # ignored
        (tmp_path / "notes.txt").write_text("not a story", encoding="utf-8")  # ignored
        (tmp_path / "new.md").write_text(NEW_STORY, encoding="utf-8")
        assert changed.wait(10)
    finally:
        watcher.stop()
        assert watcher.join(5)
    assert calls[0] == frozenset()  # the catch-up call once the watch is set up
    assert {p.name for p in calls[-1]} == {"new.md"}


def test_a_failing_callback_does_not_end_the_watch(tmp_path: Path) -> None:
    failed, seen = threading.Event(), threading.Event()

    def on_change(paths: frozenset[Path]) -> None:
        if not failed.is_set():
            failed.set()
            raise ValueError("the first reload fails")
        seen.set()

    watcher = StoryWatcher(tmp_path, on_change, catch_up=False).start()
    try:
        assert watcher.ready.wait(10)
        (tmp_path / "a.md").write_text(NEW_STORY, encoding="utf-8")
        assert failed.wait(10)
        (tmp_path / "b.md").write_text(NEW_STORY, encoding="utf-8")
        assert seen.wait(10)
        assert watcher.running
    finally:
        watcher.stop()
        assert watcher.join(5)


def test_an_opened_core_leaves_what_it_loaded_out_of_the_collectors_sight(tmp_path: Path, monkeypatch) -> None:
    """A full collection over the loaded models froze the window for 50-80 ms mid-interview (issue 9)."""
    import gc

    use_fake_models(monkeypatch)
    folder = tmp_path / "stories"
    shutil.copytree(EXAMPLE_STORIES, folder)
    gc.unfreeze()
    core = open_core(Settings(), str(folder), with_transcriber=False, with_generator=False)
    try:
        assert gc.get_freeze_count() > 10_000
        assert gc.is_tracked(core.library.stories) and core.library.stories  # loaded before the freeze
    finally:
        core.close()
