"""`copilot rehearse`: recorded or typed questions through the whole pipeline, as fast as it runs.

Stages run one after another, so each stage's own time is also its share of the wall clock and
`first_bullet` (from the start of the question to the composer's bullets) is the sum of the stages
before it. The JSON fields are the contract in DESIGN.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.audio.decode import load_audio
from copilot.composition import Core
from copilot.errors import UserError
from copilot.events import (
    INTERVIEWER,
    Bullets,
    CardsReady,
    Hit,
    Question,
    QuestionTyped,
    StageError,
    Transcript,
    Utterance,
)
from copilot.pipeline.question_focus import split_question
from copilot.pipeline.runner import run_chain
from copilot.pipeline.stages import BulletStage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RehearsalInput:
    audio: Path | None
    text: str | None


@dataclass(frozen=True)
class CardRef:
    """A card the pipeline retrieved, as a rehearsal shows it; `score` is kept for stories only."""

    id: str
    title: str
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        plain: dict[str, Any] = {"id": self.id, "title": self.title}
        return plain if self.score is None else {**plain, "score": self.score}


@dataclass(frozen=True)
class RehearsalResult:
    """One question through the pipeline: what was heard, its type, the cards, the bullets and timings."""

    audio: str | None
    transcript: str  # the whole recording (or the typed text)
    question: str  # the question inside it, what was classified and retrieved on
    preamble: str
    question_type: str
    type_confidence: float
    frameworks: tuple[CardRef, ...]
    stories: tuple[CardRef, ...]
    topics: tuple[CardRef, ...]
    bullets: tuple[str, ...]
    bullets_source: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    llm_error: str | None = None  # why the rewrite was skipped, when it failed

    def stories_best_first(self) -> list[CardRef]:
        """The story cards by score, best first (the result keeps them in retrieval order)."""
        return sorted(self.stories, key=lambda c: -(c.score or 0.0))

    def to_dict(self) -> dict[str, Any]:
        """The JSON line of `copilot rehearse --json` (the contract in DESIGN.md) and what history reads."""
        out: dict[str, Any] = {
            "audio": self.audio,
            "transcript": self.transcript,
            "question": self.question,
            "preamble": self.preamble,
            "question_type": self.question_type,
            "type_confidence": self.type_confidence,
            "frameworks": [c.to_dict() for c in self.frameworks],
            "stories": [c.to_dict() for c in self.stories],
            "topics": [c.to_dict() for c in self.topics],
            "bullets": list(self.bullets),
            "bullets_source": self.bullets_source,
            "timings_ms": dict(self.timings_ms),
        }
        return {**out, "llm_error": self.llm_error} if self.llm_error else out


@dataclass(frozen=True)
class RehearsalFailure:
    """An input that could not be rehearsed, and why (one line naming the file)."""

    audio: str | None
    text: str | None
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"audio": self.audio, "text": self.text, "error": self.error}


def rehearse_all(core: Core, inputs: list[RehearsalInput]) -> Iterator[RehearsalResult | RehearsalFailure]:
    for number, item in enumerate(inputs, start=1):
        try:
            yield rehearse_one(core, item, number)
        except UserError as exc:
            yield RehearsalFailure(str(item.audio) if item.audio else None, item.text, str(exc))


def rehearse_one(core: Core, item: RehearsalInput, question_id: int) -> RehearsalResult:
    timings = {
        "transcribe": 0.0,
        "classify": 0.0,
        "retrieve": 0.0,
        "compose": 0.0,
        "first_bullet": 0.0,
        "generate": 0.0,
    }
    if item.audio is not None:
        transcript = _transcribe(core, item.audio, question_id)
        text, timings["transcribe"] = transcript.text, transcript.latency_ms
        if not text.strip():
            raise UserError(f"{item.audio}: no speech was recognised; check the recording")
    else:
        text = item.text or ""
    stages = core.stages()
    # Classified and retrieved on the question inside the recording, not the context before it.
    focus = split_question(text)
    audio = str(item.audio) if item.audio else None
    question = Question(question_id, focus.question, t_end_s=0.0, audio=audio, preamble=focus.preamble)
    events = run_chain([stages.classify, stages.retrieve], question)
    _raise_first_error(events)
    typed = _first(events, QuestionTyped)
    cards = _first(events, CardsReady)
    bullets, llm_error = _bullets(stages.bullets, cards)
    timings["classify"], timings["retrieve"] = typed.latency_ms, cards.latency_ms
    timings["compose"] = bullets[0].latency_ms
    # More than the composer's event means the generator ran; its last event carries its total time.
    timings["generate"] = bullets[-1].latency_ms if len(bullets) > 1 else 0.0
    timings = {k: round(v, 1) for k, v in timings.items()}
    # Summed from the rounded stages, so a reader adding up the JSON gets the same figure.
    before = ("transcribe", "classify", "retrieve", "compose")
    timings["first_bullet"] = round(sum(timings[k] for k in before), 1)
    return RehearsalResult(
        audio=audio,
        transcript=text,
        question=focus.question,
        preamble=focus.preamble,
        question_type=typed.question_type,
        type_confidence=round(typed.confidence, 3),
        frameworks=tuple(_card(h) for h in cards.frameworks),
        stories=tuple(_card(h, with_score=True) for h in cards.stories),
        topics=tuple(_card(h) for h in cards.topics),
        bullets=tuple(bullets[-1].bullets),
        bullets_source=bullets[-1].source,
        timings_ms=timings,
        llm_error=llm_error,
    )


def _bullets(stage: BulletStage, cards: CardsReady) -> tuple[list[Bullets], str | None]:
    """The grounded draft, then the rewrite. A model or server that fails (unreachable, killed
    mid-stream, too slow) costs only the rewrite: the draft stays the answer and the reason is given."""
    draft = stage.draft(cards)
    produced = [draft]
    if draft.done:
        return produced, None
    try:
        produced.extend(stage.rewrite(cards, draft.bullets))
    except UserError as exc:
        log.warning("%s; showing the grounded bullets without the rewrite", exc)
        return [draft], str(exc)
    return produced, None


def _transcribe(core: Core, path: Path, question_id: int) -> Transcript:
    samples = load_audio(path)
    utterance = Utterance(question_id, INTERVIEWER, samples, 0.0, len(samples) / 16_000, is_final=True)
    stage = core.stages().transcribe
    if stage is None:
        raise UserError("speech model not loaded")
    events = run_chain([stage], utterance)
    _raise_first_error(events)
    return _first(events, Transcript)


def _raise_first_error(events: list[Any]) -> None:
    for event in events:
        if isinstance(event, StageError):
            raise UserError(event.message)


def _first(events: list[Any], kind: type) -> Any:
    return next(e for e in events if isinstance(e, kind))


def _card(hit: Hit, with_score: bool = False) -> CardRef:
    return CardRef(hit.id, hit.title, hit.score if with_score else None)
