"""Whisper's filler on silence is not a question (issue 13, item 2)."""

import pytest

from copilot.cli.main import _unless_filler
from copilot.practice.filler import is_filler_only


@pytest.mark.parametrize("text", ["you " * 240, "Thank you.", "Thanks for watching!", "  ", "Um, uh... you"])
def test_filler_is_recognised(text: str) -> None:
    assert is_filler_only(text)


@pytest.mark.parametrize("text", ["Tell me about yourself.", "Why do you want this job?", "What would you do?"])
def test_questions_are_not_filler(text: str) -> None:
    assert not is_filler_only(text)


def test_a_filler_recording_becomes_an_error_result_that_history_skips() -> None:
    result = _unless_filler({"audio": "silence.wav", "transcript": "you " * 240, "question_type": "other"})
    assert result["error"].startswith("silence.wav: no question was heard (only 'you you you you you you ...'")
    typed = {"audio": None, "transcript": "Thank you", "question_type": "other"}
    assert _unless_filler(typed) is typed  # a typed line is the user's own words
