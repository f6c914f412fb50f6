"""The fixed question-type ids (DESIGN.md, "Question types")."""

from __future__ import annotations

from typing import Final

QUESTION_TYPES: Final = (
    "behavioral",
    "situational",
    "technical",
    "system_design",
    "coding",
    "motivation",
    "closing",
    "other",
)


def is_question_type(value: str) -> bool:
    return value in QUESTION_TYPES
