"""The one door between the core's threads and the GUI thread (DESIGN.md, "The core, as stages and events").

The core calls `CoreBridge.sink(event)` from whatever thread produced the event. The bridge emits a
private signal that is connected to itself with a *queued* connection: Qt posts the event to the
bridge's own thread (the GUI thread, where it was created) and `event` is re-emitted there. So every
slot connected to `event`, a plain function included, runs on the GUI thread; nothing blocks the
producer and nobody calls processEvents().

A burst of events (a question's cards, then its bullets, then the timings) is handed out a few
milliseconds' worth at a time, with the event loop running in between: each render lays out and
paints the window, and two heavy renders back to back froze it for 40-60 ms.

`BackgroundTask` runs slow work (loading models, stopping a session that joins threads) on the
global QThreadPool and reports progress, the result or the error through the same kind of relay.
Where the work runs is an `Executor`: the pool in the app; tests may install an `InlineExecutor`
(`use_executor`), so a window's job finishes inside the click that started it and nothing polls.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
DELIVERY_BUDGET_S = 0.005  # GUI time spent on queued events before the event loop gets a turn


class CoreBridge(QObject):
    core_event = Signal(object)  # not `event`: that name is QObject.event(), which Qt calls for every QEvent
    _incoming = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._open = threading.Event()
        self._open.set()
        self._waiting: deque[object] = deque()  # arrived on the GUI thread, not yet handed out
        self._pacer = QTimer(self)
        self._pacer.setSingleShot(True)
        self._pacer.setInterval(0)  # "at the next turn of the event loop"
        self._pacer.timeout.connect(self._hand_out)
        self._incoming.connect(self._arrive, Qt.ConnectionType.QueuedConnection)

    def sink(self, event: object) -> None:
        """Thread-safe; never blocks. Events after `close()` are dropped (the window is going away)."""
        if self._open.is_set():
            self._incoming.emit(event)

    def close(self) -> None:
        self._open.clear()
        self._waiting.clear()

    @Slot(object)
    def _arrive(self, event: object) -> None:
        if self._open.is_set():
            self._waiting.append(event)
            if not self._pacer.isActive():
                self._pacer.start()

    def _hand_out(self) -> None:
        started = time.perf_counter()
        while self._waiting:  # close() empties it: nothing is handed out after
            self.core_event.emit(self._waiting.popleft())
            if time.perf_counter() - started > DELIVERY_BUDGET_S:
                break
        if self._waiting:
            self._pacer.start()  # the rest after the window has laid out and painted this part


class Executor(Protocol):
    """Where a BackgroundTask's work runs (QThreadPool is one)."""

    def start(self, runnable: QRunnable, /) -> None: ...


class InlineExecutor:
    """Runs the work at once on the calling thread; its signals fire before `start()` returns.

    For tests only: the GUI thread would freeze on real work. A job then completes inside the call
    that started it, so a test checks the result on the next line instead of polling for it.
    """

    def start(self, runnable: QRunnable, /) -> None:
        runnable.run()


_default_executor: Executor | None = None  # None: the global QThreadPool


def use_executor(executor: Executor | None) -> Executor | None:
    """Where BackgroundTasks run unless told (None: the global pool); returns the previous choice."""
    global _default_executor
    previous, _default_executor = _default_executor, executor
    return previous


class _TaskSignals(QObject):
    """Lives on the GUI thread; the worker emits the private signals, the public ones fire there."""

    progress = Signal(str)
    finished = Signal(object)
    failed = Signal(object)  # the exception
    _progress_in = Signal(str)
    _finished_in = Signal(object)
    _failed_in = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        # Auto, not forced queued: work on a pool thread (always, in the app) is queued to this thread;
        # work an InlineExecutor ran on this very thread is delivered at once, which is its point.
        auto = Qt.ConnectionType.AutoConnection
        self._progress_in.connect(self.progress, auto)
        self._finished_in.connect(self.finished, auto)
        self._failed_in.connect(self.failed, auto)


class _Runnable(QRunnable):
    def __init__(self, work: Callable[[Progress], Any], signals: _TaskSignals) -> None:
        super().__init__()
        self._work = work
        self._signals = signals

    def run(self) -> None:
        try:
            result = self._work(lambda message: self._emit(self._signals._progress_in, message))
        except BaseException as exc:  # reported to the window, never lost in a pool thread
            if not isinstance(exc, Exception):
                log.exception("background task failed")
            self._emit(self._signals._failed_in, exc)
        else:
            self._emit(self._signals._finished_in, result)

    @staticmethod
    def _emit(signal: Any, value: Any) -> None:
        # The window that asked may have been closed (and its task deleted) while the work ran:
        # then nobody is left to tell, which is fine, and not an error to print from a pool thread.
        try:
            signal.emit(value)
        except RuntimeError:
            log.debug("background task finished after its window closed")


class BackgroundTask(QObject):
    """`work(progress)` on a pool thread; `progress`, `finished` and `failed` fire on the GUI thread.

    Keep a reference until it finishes (the window does): the signals object must outlive the work.
    """

    def __init__(self, work: Callable[[Progress], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._signals = _TaskSignals()
        self._signals.setParent(self)
        self.progress = self._signals.progress
        self.finished = self._signals.finished
        self.failed = self._signals.failed
        self._runnable = _Runnable(work, self._signals)
        self._runnable.setAutoDelete(False)  # we own it; Python's reference keeps it alive

    def start(self, executor: Executor | None = None) -> None:
        (executor or _default_executor or QThreadPool.globalInstance()).start(self._runnable)
