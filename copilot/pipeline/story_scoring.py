"""How a story is scored for a behavioral question: in memory, over every story, in a few ms.

A story's score adds up what the interviewer probes and what the story shows:

    WEIGHTS.best  * similarity of the question to the story's best section (or the whole story)
  + WEIGHTS.title * similarity to its title and tags
  + WEIGHTS.competency * how well the question's competencies meet the story's (copilot.pipeline.competencies)
  + WEIGHTS.keyword * its best BM25 chunk, relative to the best story's
  - WEIGHTS.hub * its mean best-section similarity to generic behavioral questions

The last term is a hubness correction: a story written in generic behavioral language ("I worked with
the team to...") is close to every question and would otherwise top most of them. The weights were
tuned on the tune half of tests/data/eval only (scripts/eval_coaching.py); the report half is measured.

The chunk embeddings come from the index once per library change (ChromaIndex.vectors); a question
costs one matrix-vector product over all chunks, BM25 over the same chunks and a sort.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from copilot.adapters.index import ChromaIndex
from copilot.pipeline.competencies import CompetencyMatcher
from copilot.pipeline.documents import story_docs
from copilot.pipeline.keyword_search import BM25
from copilot.stories.model import Story, heading_for


@dataclass(frozen=True)
class Weights:
    # From scripts/tune_retrieval.py on the tune half: a plateau (recall@3 0.91-0.92, MRR 0.86-0.87) for
    # title 0-0.15, competency 0.45-0.6, keyword 0.1-0.2, hub 0.5-0.75; these sit inside it.
    best: float = 1.0
    title: float = 0.15
    competency: float = 0.5
    keyword: float = 0.15
    hub: float = 0.5


WEIGHTS = Weights()
REASON_COMPETENCIES = 2  # at most this many competencies named in a "why chosen" reason
REASON_MIN_SHARE = 0.05  # a competency contributing less than this to the match is not a reason


@dataclass(frozen=True)
class StoryScores:
    total: np.ndarray  # (stories,)
    best: np.ndarray  # best body-chunk cosine per story
    shared: np.ndarray  # (stories, competencies): question weight x story weight
    chunk_sims: np.ndarray  # (chunks,)


@dataclass(frozen=True)
class StoryTables:
    """Everything about a library the scorer needs, built once per library change."""

    stories: tuple[Story, ...]
    by_id: dict[str, Story]
    vectors: np.ndarray  # (chunks, dimensions)
    parts: tuple[str, ...]  # each chunk's part: "whole", a section key or "title"
    chunk_story: np.ndarray  # (chunks,) row of the story each chunk belongs to
    body: np.ndarray  # indices of whole + section chunks, grouped by story
    body_starts: np.ndarray  # where each story's group starts in `body`
    title_rows: np.ndarray  # (stories,) index of each story's title chunk
    profiles: np.ndarray  # (stories, competencies)
    sources: tuple[dict[str, str], ...]  # per story: competency id -> "tag", "tag 'x' ~ meaning" or "text"
    hub: np.ndarray  # (stories,)
    bm25: BM25
    section_mask: np.ndarray  # (chunks,) True for a STAR section chunk
    weights: Weights = WEIGHTS

    @classmethod
    def build(
        cls, stories: Sequence[Story], index: ChromaIndex, matcher: CompetencyMatcher, generic: np.ndarray
    ) -> StoryTables:
        stories = tuple(stories)
        docs = story_docs(stories)
        row_of = {s.id: row for row, s in enumerate(stories)}
        chunk_story = np.array([row_of[d.meta["story_id"]] for d in docs], dtype=np.int64)
        parts = tuple(d.meta["part"] for d in docs)
        vectors = index.vectors("stories", [d.id for d in docs]) if docs else np.zeros((0, len(matcher.probes[0])))
        body = np.array([i for i, p in enumerate(parts) if p != "title"], dtype=np.int64)
        # story_docs emits each story's chunks together, whole first: a group starts at each "whole".
        body_starts = np.array([k for k, i in enumerate(body) if parts[i] == "whole"], dtype=np.int64)
        title_rows = np.array([i for i, p in enumerate(parts) if p == "title"], dtype=np.int64)
        # Every chunk of a story, title included, says what it is about.
        found = [matcher.story_profile(s, vectors[chunk_story == row]) for row, s in enumerate(stories)]
        profiles = np.stack([p.weights for p in found]) if found else np.zeros((0, len(matcher)), dtype=np.float32)
        hub = _best_per_story(generic @ vectors.T, body, body_starts).mean(axis=0) if stories else np.zeros(0)
        return cls(
            stories, {s.id: s for s in stories}, vectors, parts, chunk_story, body, body_starts, title_rows,
            profiles, tuple(p.sources for p in found), hub, BM25([d.text for d in docs]), _is_section(parts),
        )  # fmt: skip

    def scores(self, question: str, vector: np.ndarray, question_weights: np.ndarray) -> StoryScores:
        w = self.weights
        # einsum, not `@`: on a busy 2-core machine BLAS threads fighting over the cores made this
        # matrix-vector product 28 ms instead of 4 (7,000 chunks).
        sims = np.einsum("ij,j->i", self.vectors, vector)
        best = _best_per_story(sims[None, :], self.body, self.body_starts)[0]
        title = sims[self.title_rows]
        shared = self.profiles * question_weights[None, :]
        keyword = self._keyword(question)
        total = (
            w.best * best + w.title * title + w.competency * shared.sum(axis=1) + w.keyword * keyword - w.hub * self.hub
        )
        return StoryScores(total, best, shared, sims)

    def _keyword(self, question: str) -> np.ndarray:
        per_story = np.zeros(len(self.stories), dtype=np.float32)
        dense = self.bm25.dense_scores(question)
        chunks = np.flatnonzero(dense)
        np.maximum.at(per_story, self.chunk_story[chunks], dense[chunks])
        top = float(per_story.max()) if len(per_story) else 0.0
        return per_story / top if top > 0 else per_story

    def competencies_of(self, story_id: str, matcher: CompetencyMatcher, floor: float) -> list[tuple[str, str]]:
        """(competency id, where it came from) for one story, strongest first."""
        row = next(i for i, s in enumerate(self.stories) if s.id == story_id)
        weights, sources = self.profiles[row], self.sources[row]
        order = [int(i) for i in np.argsort(-weights) if weights[i] >= floor]
        return [(matcher.ids[i], sources.get(matcher.ids[i], "text")) for i in order]

    def best_part(self, row: int, chunk_sims: np.ndarray) -> str:
        """The section of a story closest to the question ("" when the whole story is)."""
        mine = np.flatnonzero((self.chunk_story == row) & self.section_mask)
        if not len(mine):
            return ""
        return self.parts[int(mine[np.argmax(chunk_sims[mine])])]


def _is_section(parts: Sequence[str]) -> np.ndarray:
    return np.array([p not in ("whole", "title") for p in parts], dtype=bool)


def _best_per_story(sims: np.ndarray, body: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """(questions, chunks) similarities -> (questions, stories): each story's best body chunk."""
    if not len(starts):
        return np.zeros((sims.shape[0], 0), dtype=np.float32)
    return np.maximum.reduceat(sims[:, body], starts, axis=1)


def why_chosen(matcher: CompetencyMatcher, shared: np.ndarray, best_part: str) -> str:
    """A short reason for a story card: the competencies it matched, then its closest section."""
    total = float(shared.sum())
    order = [int(i) for i in np.argsort(-shared) if total and shared[i] / total >= REASON_MIN_SHARE]
    named = ", ".join(matcher.labels(order[:REASON_COMPETENCIES]))
    part = f"{heading_for(best_part)} section" if best_part else ""
    return ": ".join(x for x in (named, part) if x)
