"""Live events as plain dicts, for `copilot listen --json` and the bench (one JSON object per line)."""

from __future__ import annotations

from typing import Any

from copilot.events import Bullets, CardsReady, Question, SourceEnded, StageError, Transcript


def event_record(event: object) -> dict[str, Any] | None:
    if isinstance(event, Transcript):
        return {
            "event": "transcript",
            "speaker": event.speaker,
            "final": event.is_final,
            "text": event.text,
            "t_start_s": round(event.t_start_s, 2),
            "t_end_s": round(event.t_end_s, 2),
        }
    if isinstance(event, Question):
        return {
            "event": "question",
            "question_id": event.question_id,
            "final": event.is_final,
            "text": event.text,
            "preamble": event.preamble,
            "revised": event.revised,
        }
    if isinstance(event, CardsReady):
        return {
            "event": "cards",
            "question_id": event.question_id,
            "question_type": event.typed.question_type,
            "type_confidence": round(event.typed.confidence, 3),
            "frameworks": [h.id for h in event.frameworks],
            "stories": [h.id for h in event.stories],
            "topics": [h.id for h in event.topics],
        }
    if isinstance(event, Bullets):
        return {
            "event": "bullets",
            "question_id": event.question_id,
            "source": event.source,
            "done": event.done,
            "bullets": list(event.bullets),
        }
    if isinstance(event, SourceEnded):
        return {"event": "source_ended", "source": event.source, "reason": event.reason}
    if isinstance(event, StageError):
        return {"event": "error", "stage": event.stage, "error": event.message, "question_id": event.question_id}
    return None


def event_line(event: object) -> str | None:
    """A one-line human rendering for the terminal (`copilot listen`)."""
    record = event_record(event)
    if record is None:
        return None
    kind = record["event"]
    if kind == "transcript":
        mark = "" if record["final"] else "… "
        return f"[{record['speaker']}] {mark}{record['text']}"
    if kind == "question":
        if not record["final"]:
            return None
        return f"  ? {record['text']}" + ("  (second decode)" if record["revised"] else "")
    if kind == "cards":
        cards = record["stories"] or record["topics"]
        return f"  = {record['question_type']} ({record['type_confidence']:.0%}) {', '.join(cards)}"
    if kind == "bullets":
        if not record["done"] and record["source"] == "llm":
            return None  # the streamed rewrite prints once, complete
        return "\n".join(f"    - {b}" for b in record["bullets"])
    if kind == "source_ended":
        return f"  ({record['source']} audio ended: {record['reason']})"
    return f"  ! {record['stage']}: {record['error']}"
