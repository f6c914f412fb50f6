"""The knowledge pack shipped with the app: framework cards, topic cards, competencies and the question bank.

All are plain data files in copilot/pipeline/knowledge/ so they can be reviewed and extended without
touching code. They are read once and cached.
"""

from __future__ import annotations

import csv
import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from copilot.pipeline.question_types import QUESTION_TYPES

KNOWLEDGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Framework:
    id: str  # the question type it serves
    title: str
    summary: str
    steps: tuple[str, ...]
    pitfalls: tuple[str, ...]

    def text(self) -> str:
        return "\n".join([self.title, self.summary, *self.steps, *self.pitfalls])


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    types: tuple[str, ...]
    keywords: tuple[str, ...]
    key_points: tuple[str, ...]
    pitfall: str

    def text(self) -> str:
        return "\n".join([self.title, " ".join(self.keywords), *self.key_points, self.pitfall])


@dataclass(frozen=True)
class Competency:
    """One thing an interviewer probes (competencies.toml): the tags that name it, the phrases that ask
    for it and the question it answers."""

    id: str
    label: str
    synonyms: tuple[str, ...]
    cues: tuple[str, ...]
    probe: str


@dataclass(frozen=True)
class BankQuestion:
    text: str
    label: str


@functools.cache
def frameworks() -> dict[str, Framework]:
    data = _load_toml(KNOWLEDGE_DIR / "frameworks.toml")
    cards = {
        f["id"]: Framework(
            id=f["id"],
            title=f["title"],
            summary=f.get("summary", ""),
            steps=tuple(f["steps"]),
            pitfalls=tuple(f.get("pitfalls", ())),
        )
        for f in data["framework"]
    }
    missing = set(QUESTION_TYPES) - set(cards)
    if missing:
        raise ValueError(f"frameworks.toml lacks cards for {sorted(missing)}")
    return cards


@functools.cache
def topics() -> tuple[Topic, ...]:
    data = _load_toml(KNOWLEDGE_DIR / "topics.toml")
    return tuple(
        Topic(
            id=t["id"],
            title=t["title"],
            types=tuple(t.get("types", ("technical",))),
            keywords=tuple(t.get("keywords", ())),
            key_points=tuple(t["key_points"]),
            pitfall=t.get("pitfall", ""),
        )
        for t in data["topic"]
    )


@functools.cache
def competencies() -> tuple[Competency, ...]:
    data = _load_toml(KNOWLEDGE_DIR / "competencies.toml")
    return tuple(
        Competency(
            id=c["id"],
            label=c.get("label", c["id"]),
            synonyms=tuple(c.get("synonyms", ())),
            cues=tuple(c.get("cues", ())),
            probe=c["probe"],
        )
        for c in data["competency"]
    )


@functools.cache
def question_bank() -> tuple[BankQuestion, ...]:
    with open(KNOWLEDGE_DIR / "question_bank.tsv", encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return tuple(BankQuestion(r["text"].strip(), r["label"].strip()) for r in rows if r.get("text"))


def _load_toml(path: Path) -> dict:
    with open(path, "rb") as handle:
        return tomllib.load(handle)
