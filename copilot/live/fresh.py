"""The one rule for stale results: a question, its cards or its bullets for an older question than
the newest one seen is dropped, never shown (DESIGN.md: "a late result for an old question is dropped").

`FreshResults` applies it where the live session's results leave the core (and serialises the calls
to the sink, which the session's threads share); the live window's view model applies the same
`is_stale` to what reaches the screen, since it also takes events from outside one session.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from copilot.events import Bullets, CardsReady, Question

Sink = Callable[[object], None]
# What belongs to one question and is replaced by the next question's.
QUESTION_RESULTS = (Question, CardsReady, Bullets)


def is_stale(event: object, newest_question_id: int) -> bool:
    """True for a result of a question older than `newest_question_id`; other events are never stale."""
    return isinstance(event, QUESTION_RESULTS) and event.question_id < newest_question_id


class FreshResults:
    """A sink that passes every event on except stale ones, one call at a time (from any thread)."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._lock = threading.Lock()
        self.newest_question_id = -1

    def __call__(self, event: object) -> None:
        with self._lock:
            if is_stale(event, self.newest_question_id):
                return
            if isinstance(event, QUESTION_RESULTS):
                self.newest_question_id = event.question_id
            self._sink(event)

    def see(self, question_id: int) -> None:
        """A newer question exists even if nothing of it was emitted yet: from now on the older are stale."""
        with self._lock:
            self.newest_question_id = max(self.newest_question_id, question_id)


def fresh_only(sink: Sink) -> FreshResults:
    """`sink` behind the stale rule; one already behind it is returned as it is (no second lock)."""
    return sink if isinstance(sink, FreshResults) else FreshResults(sink)
