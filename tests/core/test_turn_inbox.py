"""The live session's turn thread skips an interviewer partial a newer transcript of the same
utterance has overtaken (its classify and retrieve would be wasted work on a busy CPU)."""

from __future__ import annotations

from copilot.events import CANDIDATE, INTERVIEWER, Transcript
from copilot.live.session import LiveSession


def bare_session() -> LiveSession:
    session = LiveSession.__new__(LiveSession)  # only the turn inbox's bookkeeping is used here
    session._newest_transcript = {}
    return session


def sent(session: LiveSession, event: Transcript) -> Transcript:
    session._newest_transcript[event.utterance_id] = event  # what _to_turns records as it queues
    return event


def test_only_the_newest_partial_of_an_utterance_is_worked_on_and_every_final_is():
    session = bare_session()
    first = sent(session, Transcript(7, INTERVIEWER, "and what", False, 43.2, 43.9, 0.0))
    second = sent(session, Transcript(7, INTERVIEWER, "and what changes", False, 43.2, 44.9, 0.0))
    final = sent(session, Transcript(7, INTERVIEWER, "and what changes would you make?", True, 43.2, 46.5, 0.0))
    assert [session._superseded(e) for e in (first, second, final)] == [True, True, False]
    assert session._newest_transcript == {}  # the final closes the utterance's entry


def test_a_partial_with_nothing_newer_and_the_candidate_are_not_skipped():
    session = bare_session()
    partial = sent(session, Transcript(3, INTERVIEWER, "how would you", False, 1.0, 2.0, 0.0))
    assert not session._superseded(partial)
    assert not session._superseded(Transcript(4, CANDIDATE, "so I would", False, 3.0, 4.0, 0.0))
