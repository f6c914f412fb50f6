"""Answering one practice question out loud: what the answer is judged against, then the feedback.

The rehearsal room's question is a bank or typed question (its text), or a recording not yet
transcribed; when the cards were shown, their transcript and type are reused. This is the step the
window used to do inside a closure; here it is plain code with no Qt, so it can be tested alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from copilot.errors import UserError
from copilot.practice.feedback import AnswerFeedback, answer_feedback
from copilot.practice.filler import filler_error, is_filler_only
from copilot.practice.rehearse import RehearsalInput, RehearsalResult, rehearse_one

Rehearse = Callable[[Any, RehearsalInput, int], RehearsalResult]
Feedback = Callable[[Any, str, np.ndarray, Any, "str | None"], AnswerFeedback]


@dataclass(frozen=True)
class QuestionHeard:
    """What an answer is judged against: the question's words and its type (None: classify the words)."""

    text: str
    question_type: str | None


def default_feedback(
    core: Any, question_text: str, samples: np.ndarray, transcriber: Any, question_type: str | None
) -> AnswerFeedback:
    return answer_feedback(core, question_text, samples, transcriber, question_type=question_type)


def cards_for(core: Any, item: RehearsalInput, question_id: int, rehearse: Rehearse = rehearse_one) -> RehearsalResult:
    """The question through the pipeline (its type, cards and bullets). A recording in which only
    whisper's inventions on silence were heard is refused, as `copilot rehearse` refuses it."""
    result = rehearse(core, item, question_id)
    _refuse_filler(item.audio, result.transcript)
    return result


def question_heard(
    core: Any,
    text: str | None,
    audio: Path | None,
    cards: RehearsalResult | None,
    question_id: int,
    rehearse: Rehearse = rehearse_one,
) -> QuestionHeard:
    """The typed or bank question's text, or the recording's transcript (from its cards when they were
    shown, else transcribed now). A recording in which only whisper's inventions on silence ("you",
    "Thank you.") were heard is refused with a UserError naming the file."""
    if cards is not None:
        return QuestionHeard(cards.transcript or text or "", cards.question_type)
    if text is not None:
        return QuestionHeard(text, None)
    if audio is None:
        raise ValueError("a question needs its text or its recording")
    first = cards_for(core, RehearsalInput(audio=audio, text=None), question_id, rehearse)
    return QuestionHeard(first.transcript, first.question_type)


def _refuse_filler(audio: Path | None, transcript: str) -> None:
    if audio is not None and is_filler_only(transcript):
        raise UserError(filler_error(str(audio), transcript))


def feedback_on_answer(
    core: Any,
    question: QuestionHeard,
    samples: np.ndarray,
    feedback: Feedback = default_feedback,
) -> AnswerFeedback:
    """Feedback on the answer, transcribed with the core's word-timing transcriber."""
    return feedback(core, question.text, samples, getattr(core, "transcriber", None), question.question_type)
