"""Running stages: synchronously for rehearsal, or each on its own thread for the live path.

A stage is any object with `process(event) -> Iterable[event]`; it knows nothing of threads.
`StageThread` gives one a thread and a bounded inbox; what it yields goes to `emit`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from copilot.errors import UserError
from copilot.events import StageError

log = logging.getLogger(__name__)

_STOP = object()


class Stage(Protocol):
    name: str

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


class StageThread:
    """One stage on one thread, fed through a bounded queue so a slow stage applies back-pressure."""

    def __init__(self, stage: Stage, emit: Callable[[Any], None], maxsize: int = 64) -> None:
        self.stage = stage
        self._emit = emit
        self._inbox: queue.Queue[Any] = queue.Queue(maxsize=maxsize)
        self._thread = threading.Thread(target=self._loop, name=f"stage-{stage.name}", daemon=True)

    def start(self) -> StageThread:
        self._thread.start()
        return self

    def put(self, event: Any, timeout_s: float | None = None) -> None:
        self._inbox.put(event, timeout=timeout_s)

    def stop(self, timeout_s: float = 5.0) -> None:
        self._inbox.put(_STOP)
        self._thread.join(timeout_s)

    def _loop(self) -> None:
        while True:
            event = self._inbox.get()
            if event is _STOP:
                return
            try:
                for out in self.stage.process(event):
                    self._emit(out)
            except UserError as exc:
                self._emit(StageError(self.stage.name, str(exc), getattr(event, "question_id", None)))
            except Exception as exc:  # a bug in one stage must not kill the session silently
                log.exception("stage %s failed", self.stage.name)
                self._emit(StageError(self.stage.name, f"internal error: {exc!r}"))
