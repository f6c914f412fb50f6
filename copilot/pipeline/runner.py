"""Running stages: synchronously for rehearsal, or each on its own thread for the live path.

A stage is any object with `process(event) -> Iterable[event]`; it knows nothing of threads.
`StageThread` gives one a thread and a bounded inbox; what it yields goes to `emit`. The live session
(copilot/live/session.py) runs each of its stages this way.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from copilot.errors import UserError
from copilot.events import StageError

log = logging.getLogger(__name__)

_STOP = object()


class Stage(Protocol):
    @property
    def name(self) -> str: ...

    def process(self, event: Any) -> Iterable[Any]: ...


def run_chain(stages: list[Stage], event: Any) -> list[Any]:
    """Push one event through the stages in order and return every event produced, in order.

    Each stage sees only the events produced by the stage before it; all outputs are collected, so
    the caller (rehearse, tests) sees intermediate results such as instant bullets too.
    """
    produced: list[Any] = []
    current = [event]
    for stage in stages:
        nxt: list[Any] = []
        for item in current:
            nxt.extend(_safe_process(stage, item))
        produced.extend(nxt)
        current = [e for e in nxt if not isinstance(e, StageError)]
    return produced


def _safe_process(stage: Stage, event: Any) -> list[Any]:
    try:
        return list(stage.process(event))
    except UserError as exc:
        return [StageError(stage.name, str(exc), getattr(event, "question_id", None))]


class Inbox(Protocol):
    """Where a stage thread's events wait: a bounded `queue.Queue`, or a queue with its own order."""

    def put(self, item: Any) -> None: ...

    def get(self) -> Any: ...


@dataclass(frozen=True)
class FunctionStage:
    """A stage made of a function, for work that needs its owner's state (the live session's)."""

    name: str
    process: Callable[[Any], Iterable[Any]]


class StageThread:
    """One stage on one thread, fed through a bounded queue so a slow stage applies back-pressure.

    What the stage yields goes to `emit`, and so does a `StageError` when it fails on an event (the
    thread goes on with the next). `until(event)`, checked after each event, ends the thread: a stage
    whose input has ended (its source, every source) needs no thread any more. `inbox` replaces the
    bounded queue when the stage's events need another order (the live transcription's priorities).
    """

    def __init__(
        self,
        stage: Stage,
        emit: Callable[[Any], None],
        maxsize: int = 64,
        *,
        until: Callable[[Any], bool] | None = None,
        inbox: Inbox | None = None,
    ) -> None:
        self.stage = stage
        self._emit = emit
        self._until = until
        self._inbox: Inbox = inbox if inbox is not None else queue.Queue(maxsize=maxsize)
        # Events put and not yet processed, for wait_idle(); a queue with its own order may drop or
        # hand out events by itself (the live transcription's), so only the default queue is counted.
        self._counted = inbox is None
        self._unfinished = 0
        self._idle = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name=f"stage-{stage.name}", daemon=True)

    def start(self) -> StageThread:
        self._thread.start()
        return self

    def put(self, event: Any) -> None:
        """Queue an event, waiting while the inbox is full (back-pressure on the producer)."""
        self._count(+1)
        self._inbox.put(event)

    def offer(self, event: Any) -> bool:
        """Queue an event unless the inbox is full; False when it was not queued (the caller counts it)."""
        if not isinstance(self._inbox, queue.Queue):
            self.put(event)
            return True
        self._count(+1)
        try:
            self._inbox.put_nowait(event)
        except queue.Full:
            self._count(-1)
            return False
        return True

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until every event put so far has been processed; False on timeout (default queue only)."""
        if not self._counted:
            raise TypeError(f"stage {self.stage.name}: wait_idle needs the default queue")
        with self._idle:
            return self._idle.wait_for(lambda: self._unfinished == 0, timeout_s)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Let the thread finish what is queued, then end it (returns after `timeout_s` at most)."""
        if self._thread.is_alive():
            self._inbox.put(_STOP)
            self._thread.join(timeout_s)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _count(self, delta: int) -> None:
        if not self._counted:
            return
        with self._idle:
            self._unfinished += delta
            if self._unfinished == 0:
                self._idle.notify_all()

    def _loop(self) -> None:
        while True:
            event = self._inbox.get()
            if event is _STOP:
                return
            try:
                self._process(event)
            finally:
                self._count(-1)
            if self._until is not None and self._until(event):
                return

    def _process(self, event: Any) -> None:
        try:
            for out in self.stage.process(event):
                self._emit(out)
        except UserError as exc:
            self._emit(StageError(self.stage.name, str(exc), getattr(event, "question_id", None)))
        except Exception as exc:  # a bug in one stage must not kill the session silently
            log.exception("stage %s failed", self.stage.name)
            self._emit(StageError(self.stage.name, f"internal error: {exc!r}"))
