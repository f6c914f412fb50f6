"""Cue-phrase matching shared by the text heuristics (answer feedback, job-ad coverage)."""

from __future__ import annotations

import re


def any_phrase(*patterns: str) -> re.Pattern[str]:
    """One case-insensitive pattern matching any of `patterns` at a word start (a prefix match:
    "own" also finds "ownership")."""
    return re.compile(r"\b(?:" + "|".join(patterns) + r")", re.IGNORECASE)
