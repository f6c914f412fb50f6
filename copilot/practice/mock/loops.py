"""Loop structure (copilot/pipeline/knowledge/loops.toml) and the questions of one mock interview.

Questions come from the shipped question bank. A technical or design question is matched to the topic
card it draws on (by the card's keywords), so a role gets the questions of its topics, and the grader
knows which key points to listen for.
"""

from __future__ import annotations

import functools
import random
import re
import tomllib
from dataclasses import dataclass

from copilot.pipeline.knowledge import KNOWLEDGE_DIR, Topic, question_bank, topics

QUESTION_MINUTES = 4.0  # one question with its follow-ups, as the quick mix is budgeted


@dataclass(frozen=True)
class Round:
    id: str
    title: str
    minutes: int
    types: tuple[str, ...]


@dataclass(frozen=True)
class Role:
    id: str
    title: str
    rounds: tuple[str, ...]
    topics: frozenset[str]


@dataclass(frozen=True)
class Level:
    id: str
    follow_ups: int
    answer_minutes: float
    behavioral_focus: str


@dataclass(frozen=True)
class Loops:
    rounds: dict[str, Round]
    roles: dict[str, Role]
    levels: dict[str, Level]


@dataclass(frozen=True)
class MockQuestion:
    round: str
    text: str
    question_type: str
    topic: Topic | None


@functools.cache
def loops() -> Loops:
    with open(KNOWLEDGE_DIR / "loops.toml", "rb") as handle:
        data = tomllib.load(handle)
    rounds = {r["id"]: Round(r["id"], r["title"], int(r["minutes"]), tuple(r["types"])) for r in data["round"]}
    roles = {
        r["id"]: Role(r["id"], r["title"], tuple(r["rounds"]), frozenset(r.get("topics", ()))) for r in data["role"]
    }
    levels = {
        v["id"]: Level(v["id"], int(v["follow_ups"]), float(v["answer_minutes"]), v.get("behavioral_focus", ""))
        for v in data["level"]
    }
    unknown = {r for role in roles.values() for r in role.rounds} - set(rounds)
    if unknown:
        raise ValueError(f"loops.toml: roles name rounds that are not defined: {sorted(unknown)}")
    return Loops(rounds, roles, levels)


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    return re.compile(r"\b" + re.escape(keyword.lower()) + r"\b")


@functools.cache
def _topic_patterns() -> tuple[tuple[Topic, tuple[re.Pattern[str], ...]], ...]:
    return tuple((t, tuple(_keyword_pattern(k) for k in (*t.keywords, t.title))) for t in topics())


def topic_for(question: str, question_type: str | None = None) -> Topic | None:
    """The topic card a question draws on: the most keywords heard; None when no keyword is."""
    text = question.lower()
    best: tuple[int, Topic | None] = (0, None)
    for topic, patterns in _topic_patterns():
        if question_type and question_type not in topic.types:
            continue
        hits = sum(1 for p in patterns if p.search(text))
        if hits > best[0]:
            best = (hits, topic)
    return best[1]


def plan_mock(role: str, level: str, rounds: list[str] | None = None, seed: int | None = None) -> list[MockQuestion]:
    """The questions of one mock: each round's question types, drawn without repeats from the bank."""
    loop = loops()
    if role not in loop.roles:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(loop.roles)}")
    if level not in loop.levels:
        raise ValueError(f"unknown level {level!r}; choose one of {', '.join(loop.levels)}")
    chosen = rounds or list(loop.roles[role].rounds)
    unknown = [r for r in chosen if r not in loop.rounds]
    if unknown:
        raise ValueError(f"unknown round {unknown[0]!r}; choose from {', '.join(loop.rounds)}")
    rng = random.Random(seed)
    used: set[str] = set()
    plan: list[MockQuestion] = []
    for round_id in chosen:
        for qtype in loop.rounds[round_id].types:
            question = _draw(qtype, loop.roles[role], loop.levels[level], used, rng, round_id)
            if question is not None:
                used.add(question.text)
                plan.append(question)
    return plan


def _draw(
    qtype: str, role: Role, level: Level, used: set[str], rng: random.Random, round_id: str
) -> MockQuestion | None:
    pool = [q.text for q in question_bank() if q.label == qtype and q.text not in used]
    if not pool:
        return None
    preferred = _preferred(pool, qtype, role, level)
    text = rng.choice(preferred or pool)
    topic = topic_for(text, qtype) if qtype in ("technical", "system_design", "coding") else None
    return MockQuestion(round_id, text, qtype, topic)


def _preferred(pool: list[str], qtype: str, role: Role, level: Level) -> list[str]:
    if qtype == "behavioral" and level.behavioral_focus:
        focus = re.compile(level.behavioral_focus, re.IGNORECASE)
        return [q for q in pool if focus.search(q)]
    if qtype in ("technical", "system_design"):
        suits = [q for q in pool if (t := topic_for(q, qtype)) is not None and t.id in role.topics]
        if role.id == "software_engineer":
            # Much of a software engineer's fundamentals has no topic card (TCP, locks, memory), and
            # those questions suit the role; ML cards do not.
            suits += [q for q in pool if topic_for(q, qtype) is None]
        return suits
    return []


def planned_minutes(plan: list[MockQuestion]) -> float:
    return len(plan) * QUESTION_MINUTES
