"""Background work for the live window: each task on the pool, kept alive until it reports.

Everything slow the live window asks for (loading the models, opening devices, starting and stopping
a session, saving the toolbar's choices, closing) runs this way, so the GUI thread only renders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from ui.common.bridge import BackgroundTask, Progress


class TaskRunner(QObject):
    """Runs `work(progress)` on the pool; `done`/`failed` and `progress` come back on the GUI thread.

    `on_idle`, when set, is called after each task has reported (a shutdown waits for the last one)."""

    def __init__(self, parent: QObject, on_progress: Callable[[str], None]) -> None:
        super().__init__(parent)
        self._on_progress = on_progress
        self._tasks: set[BackgroundTask] = set()
        self.on_idle: Callable[[], None] | None = None

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def run(
        self, work: Callable[[Progress], Any], done: Callable[[Any], None], failed: Callable[[BaseException], None]
    ) -> BackgroundTask:
        task = BackgroundTask(work, self)
        self._tasks.add(task)  # keep it alive until it reports
        task.progress.connect(self._on_progress)
        task.finished.connect(done)
        task.failed.connect(failed)
        task.finished.connect(lambda _: self._task_done(task))
        task.failed.connect(lambda _: self._task_done(task))
        task.start()
        return task

    def _task_done(self, task: BackgroundTask) -> None:
        self._tasks.discard(task)
        if self.on_idle is not None:
            self.on_idle()
