"""Recording a CLI or app session into the encrypted history, without ever stopping the practice.

If history cannot be opened (no OS keychain, a wrong key), the user is told once, with the two
explicit choices (a key file, or history off), and the session goes on unrecorded.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

from copilot.errors import UserError
from copilot.history import HistoryStore, history_enabled, open_default_store, recorder_sink


class SessionRecord:
    def __init__(self, store: HistoryStore, session_id: int) -> None:
        self._store, self.session_id = store, session_id
        self._failed = False

    def record(self, kind: str, payload: dict[str, Any]) -> None:
        if self._failed:
            return
        try:
            self._store.record(self.session_id, kind, payload)
        except UserError as exc:
            self._failed = True
            _warn(f"session history stopped recording: {exc}")

    def sink(self) -> Callable[[object], None]:
        return recorder_sink(self._store, self.session_id)

    def record_rehearsal(self, result: dict[str, Any], question_id: int) -> None:
        """One `copilot rehearse` result, split into the items the history report reads."""
        if "error" in result:
            return
        self.record("question", {"question_id": question_id, "final": True, "text": result["transcript"]})
        self.record(
            "cards",
            {
                "question_id": question_id,
                "question_type": result["question_type"],
                "type_confidence": result["type_confidence"],
                "frameworks": [f["id"] for f in result["frameworks"]],
                "stories": [s["id"] for s in result["stories"]],
                "topics": [t["id"] for t in result["topics"]],
            },
        )
        self.record(
            "bullets",
            {
                "question_id": question_id,
                "source": result["bullets_source"],
                "done": True,
                "bullets": result["bullets"],
            },
        )
        self.record("timings", {"question_id": question_id, "timings_ms": result["timings_ms"]})


@contextlib.contextmanager
def recorded_session(kind: str) -> Iterator[SessionRecord | None]:
    """A history session for the duration of the block, or None when history is off or unavailable."""
    if not history_enabled():
        yield None
        return
    try:
        store = open_default_store()
    except UserError as exc:
        _warn(f"this session is not saved to history: {exc}")
        yield None
        return
    try:
        session_id = store.start_session(kind)
        yield SessionRecord(store, session_id)
        store.end_session(session_id)
    finally:
        store.close()


def _warn(message: str) -> None:
    print(f"copilot: {message}", file=sys.stderr)
