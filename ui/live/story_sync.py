"""The running core's story index kept in step with the story folder, for the live window.

A `StoryWatcher` thread calls `Core.reload_stories()` after each change to a story file, wherever it
came from (the library window's save included), and hands the result to the GUI thread, where new
problems go to the banner (each once) and the summary to the status strip.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from ui.common.bridge import CoreBridge
from ui.live.view_models import LiveViewModel


@dataclass(frozen=True)
class StoriesReloaded:
    """From the story watcher's thread to the GUI thread: a reload's result or why it failed."""

    result: Any  # copilot.composition.StoryReload, or the exception
    quiet: bool  # the catch-up check at start: say nothing unless something changed


class StorySync(QObject):
    """Watches the core's story folder; `closing` (set by the app) makes a late change a no-op."""

    def __init__(self, model: LiveViewModel, closing: threading.Event, parent: QObject) -> None:
        super().__init__(parent)
        self._model = model
        self._closing = closing  # read on the watcher's thread
        self.watcher: Any = None  # copilot.stories.watch.StoryWatcher once the core is loaded
        self._errors: set[str] = set()  # broken story files already shown in the banner
        self._bridge = CoreBridge(self)
        self._bridge.core_event.connect(self._reloaded)

    def watch(self, core: Any) -> None:
        """Re-index the stories whenever their files change, on the watcher's thread."""
        from copilot.stories.watch import StoryWatcher

        self._errors = set(core.library.errors)  # already in the banner (the core's load put them there)
        self.watcher = StoryWatcher(core.library.folder, partial(self._reload, core))
        self.watcher.start()

    def stop(self) -> None:
        """Stop listening: no more reports reach the GUI thread; the watcher is joined by the caller."""
        self._bridge.close()
        if self.watcher is not None:
            self.watcher.stop()  # returns at once

    def _reload(self, core: Any, paths: frozenset[Path]) -> None:
        """On the watcher's thread: embed what changed, then tell the GUI thread."""
        if self._closing.is_set():
            return
        try:
            result: Any = core.reload_stories()
        except Exception as exc:  # the folder went away, a disk error: reported, the watch goes on
            result = exc
        self._bridge.sink(StoriesReloaded(result, quiet=not paths))

    def _reloaded(self, reloaded: StoriesReloaded) -> None:
        result = reloaded.result
        if isinstance(result, BaseException):
            self._model.add_error(str(result) or type(result).__name__)
            self._model.set_status(f"stories not re-indexed: {result}")
            return
        new_errors = [e for e in result.errors if e not in self._errors]
        self._errors = set(result.errors)
        for error in new_errors:
            self._model.add_error(error)
        if reloaded.quiet and not result.changed_anything and not new_errors:
            return
        self._model.set_status(result.summary())
