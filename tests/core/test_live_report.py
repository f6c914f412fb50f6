"""Live events as records (`listen --json`, the session history): the preamble and a revised question."""

from __future__ import annotations

from copilot.events import Question
from copilot.history.report import answers
from copilot.history.store import Item, Session, event_payload
from copilot.live.report import event_line, event_record

QUESTION = Question(3, "How would you find drift?", 40.0, preamble="Okay, a scenario question.")
REVISED = Question(3, "How would you detect drift?", 40.0, preamble="Okay, a scenario question.", revised=True)


def test_a_question_record_carries_its_preamble_and_whether_it_was_revised():
    record = event_record(QUESTION)
    assert record is not None
    assert (record["text"], record["preamble"], record["revised"]) == (QUESTION.text, QUESTION.preamble, False)
    assert event_line(QUESTION) == "  ? How would you find drift?"
    assert event_line(REVISED) == "  ? How would you detect drift?  (second decode)"


def test_the_history_keeps_one_question_with_the_revised_text():
    items = []
    for seq, event in enumerate((QUESTION, REVISED)):
        payload = event_payload(event)
        assert payload is not None
        items.append(Item(seq, payload[0], "2026-12-01T10:00:00", payload[1]))
    session = Session(1, "live", "2026-12-01T10:00:00", None, tuple(items))
    (answer,) = answers(session)
    assert answer.question == REVISED.text
