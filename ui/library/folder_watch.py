"""The library window's view of the story folder: the core's `StoryWatcher`, with its changes parsed and
handed to the GUI thread as a Qt signal.

The folder is watched once in the app: this watcher shares the thread of the running core's (see
copilot/stories/watch.py). The parse happens on that thread too, so the GUI thread only applies the
finished `LibraryLoad`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from copilot.errors import InputFileError
from copilot.stories.library import load_library
from copilot.stories.watch import StoryWatcher
from ui.common.bridge import CoreBridge

log = logging.getLogger(__name__)


class FolderWatcher(QObject):
    """Emits `loaded(LibraryLoad)` on the GUI thread whenever story files in the folder change."""

    loaded = Signal(object)

    def __init__(self, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self._bridge = CoreBridge(self)
        self._bridge.core_event.connect(self.loaded)
        # No catch-up call: the window has just loaded the folder itself.
        self._watcher = StoryWatcher(folder, self._reload, catch_up=False)

    @property
    def watcher(self) -> StoryWatcher:
        return self._watcher

    def start(self) -> None:
        self._watcher.start()

    def stop(self) -> None:
        """Returns at once; nothing reaches the window after it."""
        self._bridge.close()
        self._watcher.stop()

    def _reload(self, _paths: frozenset[Path]) -> None:
        """On the watch thread: parse the folder there, not on the GUI thread."""
        try:
            load = load_library(self.folder)
        except (OSError, InputFileError) as exc:  # the folder went away: say so once, keep watching
            log.warning("could not read the story folder %s: %s", self.folder, exc)
            return
        self._bridge.sink(load)
