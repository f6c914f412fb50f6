"""Watching the story folder: one thread per folder that calls back when story files change.

Two parts of the desktop app follow the same folder: the running core's index (`Core.reload_stories`,
wired in ui/app.py) and the library window's list (ui/library/folder_watch.py). Each makes its own
`StoryWatcher`, but watchers of one folder share one watchfiles thread, so the folder is watched once
however many follow it. No Qt here; callbacks run on that thread, so slow work in one (re-embedding a
story) never touches the GUI thread, and each caller hands what the user should see to its GUI through
its own bridge. The callbacks of one folder run one after another, in the order the watchers started.

watchfiles rather than polling or QFileSystemWatcher: editors and our atomic writer save by renaming a
temporary file over the story, which drops the file from a QFileSystemWatcher's list, and watchfiles
debounces such a burst into one change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from copilot.stories.library import is_story_file

log = logging.getLogger(__name__)
WATCH_DEBOUNCE_MS = 200  # an editor's save is several events within a few ms
STEP_MS = 50  # how often the watch thread checks its stop flag: the last stop() takes effect within this
# watchfiles wakes at least this often when nothing changes. The first wake-up proves the watch is
# set up (`ready`), and a watcher that joins a running watch gets its catch-up call at the next one;
# every other idle wake-up is a no-op, a few Python instructions twice a second.
IDLE_WAKE_MS = 500

OnChange = Callable[[frozenset[Path]], None]


class StoryWatcher:
    """Calls `on_change(paths)` on the folder's watch thread after story files in `folder` change.

    `paths` are the changed story files. With `catch_up` (the default), once the watch is set up it
    also calls `on_change(frozenset())` once, so a change made between loading the library and the
    start of the watch is not missed (reloading is idempotent: an unchanged library costs one read).
    An exception from the callback is logged and watching goes on. `ready` is set once changes are
    being watched; `error` says why watching stopped, if the folder went away.
    """

    def __init__(
        self,
        folder: Path | str,
        on_change: OnChange,
        *,
        catch_up: bool = True,
        debounce_ms: int = WATCH_DEBOUNCE_MS,
    ) -> None:
        self.folder = Path(folder)
        self.ready = threading.Event()
        self._on_change = on_change
        self._catch_up_due = catch_up
        self._debounce_ms = debounce_ms
        self._stopped = False
        self._calling = threading.Lock()  # held while on_change runs: stop() then join() waits for it
        self._watch: _FolderWatch | None = None

    def start(self) -> StoryWatcher:
        self._watch = _FolderWatch.add(self)
        return self

    def stop(self) -> None:
        """Returns at once; no callback starts after it (one in progress finishes: see join)."""
        self._stopped = True
        if self._watch is not None:
            self._watch.leave(self)

    def join(self, timeout: float | None = None) -> bool:
        """After stop(): wait until a callback in progress has returned; True when none runs."""
        if not self._stopped:  # still watching: only the end of the watch (an error) ends it
            if self._watch is not None:
                self._watch.thread.join(timeout)
            return not self.running
        if not self._calling.acquire(timeout=-1 if timeout is None else timeout):
            return False
        self._calling.release()
        return True

    @property
    def running(self) -> bool:
        return not self._stopped and self._watch is not None and self._watch.thread.is_alive()

    @property
    def error(self) -> BaseException | None:
        return self._watch.error if self._watch is not None else None

    def _deliver(self, changes: frozenset[Path]) -> None:
        """On the watch thread: the catch-up call first, then changes."""
        catch_up, self._catch_up_due = self._catch_up_due, False
        if changes or catch_up:
            with self._calling:
                if self._stopped:
                    return
                try:
                    self._on_change(changes)
                except Exception:  # a failing reload must not end the watch: the next save may fix it
                    log.exception("story folder change handler failed")


class _FolderWatch:
    """The one watchfiles thread of one folder, and the watchers it calls."""

    _running: dict[tuple[Path, int], _FolderWatch] = {}  # (folder, debounce) -> its watch
    _registry_lock = threading.Lock()

    def __init__(self, folder: Path, debounce_ms: int) -> None:
        self.folder = folder
        self.error: BaseException | None = None
        self._debounce_ms = debounce_ms
        self._watchers: list[StoryWatcher] = []
        self._ready = False
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="story-watch", daemon=True)

    @classmethod
    def add(cls, watcher: StoryWatcher) -> _FolderWatch:
        """The running watch of the watcher's folder (started if none), with the watcher added."""
        key = (_same_folder(watcher.folder), watcher._debounce_ms)
        with cls._registry_lock:
            watch = cls._running.get(key)
            if watch is None or not watch.thread.is_alive():
                watch = cls._running[key] = _FolderWatch(watcher.folder, watcher._debounce_ms)
                watch.thread.start()
            watch._watchers.append(watcher)
            if watch._ready:
                watcher.ready.set()  # its catch-up call comes at the next wake-up
        return watch

    def leave(self, watcher: StoryWatcher) -> None:
        """Drop a watcher; the last one to leave ends the thread (within STEP_MS)."""
        with self._registry_lock:
            if watcher in self._watchers:
                self._watchers.remove(watcher)
            if not self._watchers:
                self._stop.set()
                key = (_same_folder(self.folder), self._debounce_ms)
                if self._running.get(key) is self:
                    del self._running[key]

    def _run(self) -> None:
        from watchfiles import watch  # lazy: `import copilot` must stay light

        def wanted(_change: Any, path: str) -> bool:
            return is_story_file(Path(path))  # skips the atomic writer's hidden temporaries, TEMPLATE.md

        try:
            for changes in watch(
                self.folder,
                watch_filter=wanted,
                debounce=self._debounce_ms,
                step=STEP_MS,
                stop_event=self._stop,
                rust_timeout=IDLE_WAKE_MS,
                yield_on_timeout=True,
                recursive=False,
                raise_interrupt=False,
            ):
                if self._stop.is_set():
                    break
                self._wake(frozenset(Path(path) for _, path in changes))
        except (OSError, RuntimeError) as exc:  # the folder went away, or the OS watch failed
            self.error = exc
            log.warning("stopped watching %s: %s", self.folder, exc)
        finally:
            with self._registry_lock:
                key = (_same_folder(self.folder), self._debounce_ms)
                if self._running.get(key) is self:
                    del self._running[key]  # a watcher started later gets a new watch

    def _wake(self, changes: frozenset[Path]) -> None:
        with self._registry_lock:
            if not self._ready:
                self._ready = True
                for watcher in self._watchers:
                    watcher.ready.set()
            watchers = list(self._watchers)  # called outside the lock: a callback may start a watcher
        for watcher in watchers:
            watcher._deliver(changes)


def _same_folder(folder: Path) -> Path:
    """One key for one folder however it is written (relative, a symlink, a trailing slash)."""
    try:
        return folder.resolve()
    except OSError:
        return folder.absolute()
