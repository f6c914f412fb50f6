"""`copilot rehearse`: recorded or typed questions through the whole pipeline, as fast as it runs.

Stages run one after another, so each stage's own time is also its share of the wall clock and
`first_bullet` (from the start of the question to the composer's bullets) is the sum of the stages
before it. The JSON fields are the contract in DESIGN.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
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


def rehearse_all(core: Core, inputs: list[RehearsalInput]) -> Iterator[dict[str, Any]]:
    for number, item in enumerate(inputs, start=1):
        try:
            yield rehearse_one(core, item, number)
        except UserError as exc:
            yield {"audio": str(item.audio) if item.audio else None, "text": item.text, "error": str(exc)}


def rehearse_one(core: Core, item: RehearsalInput, question_id: int) -> dict[str, Any]:
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
    timings["first_bullet"] = timings["transcribe"] + typed.latency_ms + cards.latency_ms + bullets[0].latency_ms
    # More than the composer's event means the generator ran; its last event carries its total time.
    timings["generate"] = bullets[-1].latency_ms if len(bullets) > 1 else 0.0
    return {
        "audio": str(item.audio) if item.audio else None,
        "transcript": text,
        "question": focus.question,
        "preamble": focus.preamble,
        "question_type": typed.question_type,
        "type_confidence": round(typed.confidence, 3),
        "frameworks": [_card(h) for h in cards.frameworks],
        "stories": [{**_card(h), "score": h.score} for h in cards.stories],
        "topics": [_card(h) for h in cards.topics],
        "bullets": list(bullets[-1].bullets),
        "bullets_source": bullets[-1].source,
        "timings_ms": {k: round(v, 1) for k, v in timings.items()},
        **({"llm_error": llm_error} if llm_error else {}),
    }


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


def _card(hit: Hit) -> dict[str, str]:
    return {"id": hit.id, "title": hit.title}
