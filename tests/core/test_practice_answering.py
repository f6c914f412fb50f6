"""copilot/practice/answering.py: what a rehearsal answer is judged against, without Qt or models."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from copilot.errors import UserError
from copilot.practice.answering import cards_for, feedback_on_answer, question_heard
from copilot.practice.rehearse import RehearsalInput
from tests.practice_fakes import feedback, rehearsal


class FakeRehearse:
    def __init__(self, transcript: str, question_type: str = "behavioral") -> None:
        self.result = rehearsal(transcript, question_type)
        self.calls: list[RehearsalInput] = []

    def __call__(self, core: Any, item: RehearsalInput, number: int) -> Any:
        self.calls.append(item)
        return self.result


def test_a_typed_question_is_judged_on_its_words_and_classified_later() -> None:
    rehearse = FakeRehearse("unused")
    heard = question_heard(None, "Why this company?", None, None, 1, rehearse)
    assert (heard.text, heard.question_type) == ("Why this company?", None) and not rehearse.calls


def test_shown_cards_give_the_transcript_and_type_without_running_the_pipeline_again() -> None:
    rehearse = FakeRehearse("unused")
    cards = rehearsal("Design a feed ranker for a news app.", "system_design")
    heard = question_heard(None, None, Path("q.wav"), cards, 3, rehearse)
    assert (heard.text, heard.question_type) == ("Design a feed ranker for a news app.", "system_design")
    assert not rehearse.calls


def test_a_recording_without_cards_is_transcribed_first() -> None:
    rehearse = FakeRehearse("Tell me about a time you failed.", "behavioral")
    heard = question_heard(None, None, Path("q1.wav"), None, 2, rehearse)
    assert heard.text == "Tell me about a time you failed." and heard.question_type == "behavioral"
    assert rehearse.calls == [RehearsalInput(audio=Path("q1.wav"), text=None)]


def test_a_recording_of_only_whispers_inventions_is_refused_by_name() -> None:
    rehearse = FakeRehearse("you you you Thank you.")
    with pytest.raises(UserError, match=r"q1\.wav: no question was heard"):
        question_heard(None, None, Path("q1.wav"), None, 1, rehearse)
    with pytest.raises(UserError, match="invents in silence"):
        cards_for(None, RehearsalInput(Path("q1.wav"), None), 1, rehearse)
    # Typed text is the user's own: never refused as filler.
    assert cards_for(None, RehearsalInput(None, "you"), 1, rehearse).transcript == "you you you Thank you."


def test_the_feedback_gets_the_question_type_and_the_cores_transcriber() -> None:
    seen: list[Any] = []

    def fake_feedback(core: Any, text: str, samples: np.ndarray, transcriber: Any, qtype: Any) -> Any:
        seen.append((text, samples.shape, transcriber, qtype))
        return feedback(qtype or "other")

    core = SimpleNamespace(transcriber="words")
    heard = question_heard(core, None, None, rehearsal("What is L2?", "technical"), 1, FakeRehearse(""))
    result = feedback_on_answer(core, heard, np.zeros(160, dtype=np.float32), fake_feedback)
    assert seen == [("What is L2?", (160,), "words", "technical")] and result.question_type == "technical"
