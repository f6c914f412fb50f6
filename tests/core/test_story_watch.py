"""Watchers of one story folder share one watch thread (the core's index and the library window both
follow the folder); each still gets its calls, its catch-up, and its own stop."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from copilot.stories.watch import StoryWatcher

WAIT_S = 10
STORY = "---\ntitle: Watched\n---\n## Situation\nA team.\n"


class Calls:
    """What one watcher was called with, and a way to wait for a call that names a file."""

    def __init__(self) -> None:
        self.calls: list[frozenset[Path]] = []
        self._changed = threading.Condition()

    def __call__(self, paths: frozenset[Path]) -> None:
        with self._changed:
            self.calls.append(paths)
            self._changed.notify_all()

    def wait_for(self, name: str) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: any(name in {p.name for p in c} for c in self.calls), WAIT_S)


def watch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "story-watch" and t.is_alive()]


@pytest.fixture
def started() -> Iterator[list[StoryWatcher]]:
    watchers: list[StoryWatcher] = []
    yield watchers
    for watcher in watchers:
        watcher.stop()


def start(started: list[StoryWatcher], folder: Path, calls: Calls, **options: bool) -> StoryWatcher:
    watcher = StoryWatcher(folder, calls, **options).start()
    started.append(watcher)
    assert watcher.ready.wait(WAIT_S)
    return watcher


def test_two_watchers_of_one_folder_share_one_thread(tmp_path: Path, started: list[StoryWatcher]) -> None:
    before = set(watch_threads())  # another test's watch may still be ending: count only the new ones
    core, library = Calls(), Calls()
    folder = tmp_path / "stories"
    folder.mkdir()
    (tmp_path / "link").symlink_to(folder)
    start(started, folder, core)
    start(started, tmp_path / "link", library)  # the same folder, by another name
    assert len(set(watch_threads()) - before) == 1
    (folder / "new.md").write_text(STORY, encoding="utf-8")
    assert core.wait_for("new.md") and library.wait_for("new.md")


def test_a_watcher_that_joins_a_running_watch_gets_its_catch_up(tmp_path: Path, started: list[StoryWatcher]) -> None:
    first, later = Calls(), Calls()
    start(started, tmp_path, first)
    start(started, tmp_path, later)  # ready at once: the folder is already watched
    with later._changed:
        assert later._changed.wait_for(lambda: frozenset() in later.calls, WAIT_S)  # at the next wake-up
    assert first.calls.count(frozenset()) == 1  # the first one's catch-up is not repeated


def test_stopping_one_watcher_leaves_the_other_watching(tmp_path: Path, started: list[StoryWatcher]) -> None:
    kept, dropped = Calls(), Calls()
    start(started, tmp_path, kept)
    gone = start(started, tmp_path, dropped, catch_up=False)
    gone.stop()
    assert gone.join(1) and not gone.running
    (tmp_path / "after.md").write_text(STORY, encoding="utf-8")
    assert kept.wait_for("after.md")
    assert dropped.calls == []  # no call after stop()


def test_the_last_stop_ends_the_thread_and_a_new_watcher_starts_another(
    tmp_path: Path, started: list[StoryWatcher]
) -> None:
    before = {t.ident for t in watch_threads()}
    one, two = Calls(), Calls()
    first = start(started, tmp_path, one)
    (thread,) = [t for t in watch_threads() if t.ident not in before]
    first.stop()
    thread.join(WAIT_S)
    assert not thread.is_alive()
    again = start(started, tmp_path, two)
    assert again.running
    (tmp_path / "again.md").write_text(STORY, encoding="utf-8")
    assert two.wait_for("again.md")


def test_join_after_stop_waits_for_the_callback_in_progress(tmp_path: Path, started: list[StoryWatcher]) -> None:
    entered, release = threading.Event(), threading.Event()

    def slow(paths: frozenset[Path]) -> None:
        entered.set()
        release.wait(WAIT_S)

    watcher = StoryWatcher(tmp_path, slow).start()  # the catch-up call blocks in `slow`
    started.append(watcher)
    assert entered.wait(WAIT_S)
    watcher.stop()
    assert not watcher.join(0.2)  # still in the callback
    release.set()
    assert watcher.join(WAIT_S)


def test_a_folder_that_goes_away_is_reported(tmp_path: Path, started: list[StoryWatcher]) -> None:
    missing = tmp_path / "not-there"
    watcher = StoryWatcher(missing, Calls()).start()
    started.append(watcher)
    assert watcher.join(WAIT_S)  # the watch ends on its own
    assert isinstance(watcher.error, OSError | RuntimeError) and not watcher.running
