"""Watching the story folder from the core: a thread that calls back when story files change.

The desktop app uses it to keep a running core's index in step with the library (`Core.reload_stories`),
whoever edits the files: the library window, another editor, `git pull`. No Qt here; the callback runs
on the watcher's own thread, so slow work in it (re-embedding a story) never touches the GUI thread,
and the caller hands what the user should see to its GUI through its own bridge.

watchfiles rather than polling or QFileSystemWatcher: editors and our atomic writer save by renaming a
temporary file over the story, and watchfiles debounces such a burst into one change (see also
ui/library/window.py, which watches the same folder for its list).
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
STEP_MS = 50  # how often the watcher checks the stop flag: stop() takes effect within this
# watchfiles wakes at least this often when nothing changes. The first wake-up proves the watch is
# set up (`ready`); every later one is a no-op, a few Python instructions twice a second.
IDLE_WAKE_MS = 500

OnChange = Callable[[frozenset[Path]], None]


class StoryWatcher:
    """Calls `on_change(paths)` on its own thread after story files in `folder` change.

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
        self.error: BaseException | None = None
        self._on_change = on_change
        self._catch_up = catch_up
        self._debounce_ms = debounce_ms
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="story-watch", daemon=True)

    def start(self) -> StoryWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Returns at once; the thread ends within one step, or after a callback in progress."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end (after stop()); True when it has."""
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

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
                if not self.ready.is_set():
                    self.ready.set()
                    if self._catch_up and not changes:
                        self._call(frozenset())
                if changes:
                    self._call(frozenset(Path(path) for _, path in changes))
        except (OSError, RuntimeError) as exc:  # the folder went away, or the OS watch failed
            self.error = exc
            log.warning("stopped watching %s: %s", self.folder, exc)

    def _call(self, paths: frozenset[Path]) -> None:
        try:
            self._on_change(paths)
        except Exception:  # a failing reload must not end the watch: the next save may fix it
            log.exception("story folder change handler failed")
