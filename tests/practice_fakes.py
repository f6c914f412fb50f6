"""Typed practice results for tests that fake the core: feedback on an answer and a rehearsal's cards,
built with only the fields a test cares about."""

from __future__ import annotations

from typing import Any

from copilot.practice.feedback import AnswerFeedback, Content, Delivery, StoryMatch, TopicCheck
from copilot.practice.rehearse import CardRef, RehearsalResult


def delivery(
    words: int = 120,
    words_per_minute: float = 150.0,
    filler_rate_per_min: float = 0.0,
    filler_count: int = 0,
    longest_pause_s: float = 0.4,
    duration_s: float | None = None,
) -> Delivery:
    seconds = duration_s if duration_s is not None else (words / words_per_minute * 60 if words_per_minute else 0.0)
    return Delivery(
        duration_s=round(seconds, 2),
        words=words,
        words_per_minute=words_per_minute,
        filler_count=filler_count,
        filler_rate_per_min=filler_rate_per_min,
        fillers={"um": filler_count} if filler_count else {},
        long_pauses=[(3.0, longest_pause_s)] if longest_pause_s > 1.5 else [],
        longest_pause_s=longest_pause_s,
    )


def feedback(
    question_type: str = "behavioral",
    checks: dict[str, Any] | None = None,
    *,
    question: str = "a question",
    transcript: str = "some words were said",
    suggestions: tuple[str, ...] = (),
    off_topic: bool = False,
    matched: StoryMatch | None = None,
    **delivery_fields: Any,
) -> AnswerFeedback:
    return AnswerFeedback(
        question=question,
        question_type=question_type,
        transcript=transcript,
        delivery=delivery(**delivery_fields),
        content=Content(question_type, dict(checks or {}), {}, matched),
        suggestions=suggestions,
        topic=TopicCheck(0.05 if off_topic else 0.5, off_topic),
    )


def rehearsal(
    transcript: str = "Tell me about a time you cut costs.",
    question_type: str = "behavioral",
    *,
    type_confidence: float = 0.91,
    frameworks: tuple[tuple[str, str], ...] = (("star", "STAR"),),
    stories: tuple[tuple[str, str, float], ...] = (),
    topics: tuple[tuple[str, str], ...] = (),
    bullets: tuple[str, ...] = (),
    audio: str | None = None,
    timings_ms: dict[str, float] | None = None,
) -> RehearsalResult:
    return RehearsalResult(
        audio=audio,
        transcript=transcript,
        question=transcript,
        preamble="",
        question_type=question_type,
        type_confidence=type_confidence,
        frameworks=tuple(CardRef(i, t) for i, t in frameworks),
        stories=tuple(CardRef(i, t, s) for i, t, s in stories),
        topics=tuple(CardRef(i, t) for i, t in topics),
        bullets=bullets,
        bullets_source="composer",
        timings_ms=dict(timings_ms or {}),
    )
