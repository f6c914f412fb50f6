"""Instant, grounded cue bullets: the framework filled with the best story's or topic's own facts.

No model is involved, so these appear the moment the cards do and can never invent a number.
Every bullet is at most MAX_WORDS words so it can be read at a glance mid-answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from copilot.events import Hit
from copilot.knowledge import Framework, Topic
from copilot.stories.model import Story

MAX_BULLETS = 5
MAX_WORDS = 12

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CLAUSE_BREAK = re.compile(r"\s*(?:[,;:]|\s[-\u2013\u2014]\s|\band then\b)\s*")
_LABEL = re.compile(r"^[A-Z][A-Za-z ]{0,20}: ")
_HAS_NUMBER = re.compile(r"\d|\b(half|double|doubled|tripled|twice|three|four|five|ten)\b", re.I)
_DECISION = re.compile(
    r"\b(chose|decided|proposed|picked|opted|prioriti[sz]ed|pushed for|traded|recommended|switched)\b", re.I
)
_REASON = re.compile(r"\b(because|so that|since|to avoid|in order to|which meant)\b", re.I)


def compose(framework: Framework | None, stories: Iterable[Hit], topics: Iterable[Hit]) -> list[str]:
    story = next((h.item for h in stories), None)
    topic_list = [h.item for h in topics]
    if framework is None:
        return []
    if framework.id == "behavioral" and story is not None:
        bullets = _story_bullets(story, framework)
    elif framework.id == "motivation" and story is not None:
        bullets = [*framework.steps[:3], f"Proof point: {story.title}"]
    elif topic_list:
        bullets = _topic_bullets(framework, topic_list)
    else:
        bullets = list(framework.steps)
    return _finish(bullets)


def _story_bullets(story: Story, framework: Framework) -> list[str]:
    bullets = [f"Story: {story.title}"]
    situation = _first_sentence(story.section("situation"))
    if situation:
        bullets.append(f"Context: {situation}")
    decision = _best_sentence(story.section("action"), (_DECISION, _REASON)) or _first_sentence(story.section("action"))
    if decision:
        bullets.append(f"Decision: {decision}")
    result = _best_sentence(story.section("result"), (_HAS_NUMBER,)) or _first_sentence(story.section("result"))
    if result:
        bullets.append(f"Result: {result}")
    lesson = _first_sentence(story.section("lessons"))
    bullets.append(f"Lesson: {lesson}" if lesson else framework.steps[-1])
    return bullets


def _topic_bullets(framework: Framework, topics: list[Topic]) -> list[str]:
    best = topics[0]
    # Open with the framework's first move (e.g. "constraints first"), then the topic's facts.
    bullets = [framework.steps[0], *best.key_points[:3]]
    if len(topics) > 1:
        bullets.append(f"Also: {topics[1].title}")
    elif best.pitfall:
        bullets.append(best.pitfall)
    return bullets


def _finish(bullets: list[str]) -> list[str]:
    out: list[str] = []
    for bullet in bullets:
        clipped = clip_words(bullet)
        if clipped and clipped not in out:
            out.append(clipped)
    return out[:MAX_BULLETS]


def clip_words(text: str, limit: int = MAX_WORDS) -> str:
    """Shorten to at most `limit` words, preferring to end at a clause boundary.

    A leading label such as "Result:" is kept whole and the clipping applies to what follows it.
    """
    text = " ".join(text.split())
    label, _, body = text.partition(": ") if _LABEL.match(text) else ("", "", text)
    prefix = f"{label}: " if label else ""
    budget = limit - len(prefix.split())
    words = body.split(" ")
    if len(words) <= budget:
        return (prefix + body).rstrip(" .;,")
    cut = " ".join(words[:budget])
    # The last clause boundary inside the cut, if it keeps at least four words.
    ends = [m.start() for m in _CLAUSE_BREAK.finditer(cut) if len(cut[: m.start()].split()) >= 4]
    return (prefix + (cut[: ends[-1]] if ends else cut)).rstrip(" .;,")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def _first_sentence(text: str) -> str:
    sentences = _sentences(text)
    return sentences[0] if sentences else ""


def _best_sentence(text: str, patterns: tuple[re.Pattern[str], ...]) -> str:
    """The sentence matching the most patterns (ties: the earliest), or "" when none matches."""
    scored = [(sum(bool(p.search(s)) for p in patterns), -i, s) for i, s in enumerate(_sentences(text))]
    scored = [x for x in scored if x[0] > 0]
    return max(scored)[2] if scored else ""
