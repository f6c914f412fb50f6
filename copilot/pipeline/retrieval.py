"""Choosing the cards for a typed question: routed by type, hybrid (dense + BM25), fused by rank.

Routing: a behavioral question wants the user's stories; a technical one wants topic cards; a system
design question wants its framework and topics; closing and small talk want only their framework.
Each route's dense half comes from Chroma, the keyword half from BM25 over the same documents, and
reciprocal rank fusion merges them so neither score scale dominates.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from copilot.adapters.index import ChromaIndex
from copilot.events import Hit
from copilot.pipeline import knowledge
from copilot.pipeline.competencies import CompetencyMatcher
from copilot.pipeline.documents import topic_docs
from copilot.pipeline.keyword_search import BM25, reciprocal_rank_fusion
from copilot.pipeline.knowledge import Framework, Topic
from copilot.pipeline.story_scoring import StoryScores, StoryTables, why_chosen
from copilot.stories.model import Story


@dataclass(frozen=True)
class Route:
    stories: int  # how many stories to show
    topics: int  # how many topic cards to show


ROUTES: dict[str, Route] = {
    "behavioral": Route(stories=3, topics=0),
    "situational": Route(stories=1, topics=3),
    "technical": Route(stories=0, topics=3),
    "system_design": Route(stories=0, topics=3),
    "coding": Route(stories=0, topics=2),
    "motivation": Route(stories=2, topics=0),
    "closing": Route(stories=0, topics=0),
    "other": Route(stories=0, topics=0),
}


# A story weight from which a competency is worth showing in the library (a tag is 1.0; the text's
# strongest inferred competency 0.8).
SHOWN_COMPETENCY = 0.5


@dataclass(frozen=True)
class Cards:
    frameworks: tuple[Hit, ...]
    stories: tuple[Hit, ...]
    topics: tuple[Hit, ...]


class Retriever:
    def __init__(
        self, index: ChromaIndex, frameworks: dict[str, Framework], topics: Sequence[Topic], stories: Sequence[Story]
    ):
        self._index = index
        self._frameworks = frameworks
        self._matcher = CompetencyMatcher(index.embed)
        # Generic behavioral questions: a story close to all of them (a "hub") is close to every
        # question, so its mean similarity to them is subtracted from its score.
        self._generic = index.embed([q.text for q in knowledge.question_bank() if q.label == "behavioral"])
        # Held by retrieve() and by a library reload (Core.reload_stories) around its index sync and
        # set_stories(): a question never sees the index and the story tables half updated, and the
        # Chroma client is never queried while the same collection is being rewritten.
        self.lock = threading.RLock()
        self.set_stories(stories)
        self._topics = {t.id: t for t in topics}
        self._topic_docs = topic_docs(topics)
        self._topic_bm25 = BM25([d.text for d in self._topic_docs])

    def set_stories(self, stories: Sequence[Story]) -> None:
        """Swap in a new library (after an edit); the index must have been synced with it."""
        tables = StoryTables.build(stories, self._index, self._matcher, self._generic)
        with self.lock:  # built outside, swapped together: retrieve() sees the old tables or the new
            self._stories, self._story_tables = tables.by_id, tables

    def retrieve(self, question: str, question_type: str, vector: np.ndarray) -> Cards:
        route = ROUTES.get(question_type, ROUTES["other"])
        framework = self._frameworks.get(question_type)
        frameworks = (Hit("framework", framework.id, framework.title, 1.0, framework),) if framework else ()
        with self.lock:
            stories = self._stories_for(question, vector, route.stories)
            topics = self._topics_for(question, question_type, vector, route.topics)
        return Cards(frameworks, stories, topics)

    def rank_stories(self, question: str, vector: np.ndarray, k: int) -> tuple[Hit, ...]:
        """The best `k` stories for a question on the story route (the evaluation ranks deeper than shown)."""
        with self.lock:
            return self._stories_for(question, vector, k)

    def competencies_of(self, story_id: str, floor: float = SHOWN_COMPETENCY) -> list[tuple[str, str]]:
        """The competencies a story shows, for the library to display (and the user to accept or fix):
        (id, source) pairs, source "tag" for a tag that names it, "tag 'x' ~ meaning" for an unusual
        tag read by meaning, or "text" when only the story's words imply it. Strongest first."""
        with self.lock:
            if story_id not in self._stories:
                return []
            return self._story_tables.competencies_of(story_id, self._matcher, floor)

    def _stories_for(self, question: str, vector: np.ndarray, k: int) -> tuple[Hit, ...]:
        if k <= 0 or not self._stories:
            return ()
        tables = self._story_tables
        scores = tables.scores(question, vector, self._matcher.question_weights(question, vector))
        ranked = np.argsort(-scores.total, kind="stable")[:k]
        return tuple(self._story_hit(tables, scores, int(i)) for i in ranked)

    def _story_hit(self, tables: StoryTables, scores: StoryScores, row: int) -> Hit:
        story = tables.stories[row]
        reason = why_chosen(self._matcher, scores.shared[row], tables.best_part(row, scores.chunk_sims))
        # The score shown is the one the stories are ranked by, so a list sorted by it keeps this order.
        return Hit("story", story.id, story.title, round(float(scores.total[row]), 3), story, reason)

    def _topics_for(self, question: str, question_type: str, vector: np.ndarray, k: int) -> tuple[Hit, ...]:
        if k <= 0:
            return ()
        allowed = {t.id for t in self._topics.values() if question_type in t.types or question_type == "situational"}
        dense = [(m["topic_id"], sim) for _, sim, m in self._index.query("topics", vector, len(self._topics))]
        dense_ids = [i for i, _ in dense if i in allowed]
        sims = dict(dense)
        keyword_ids = [self._topic_docs[i].meta["topic_id"] for i in self._topic_bm25.top(question, 10)]
        fused = reciprocal_rank_fusion([dense_ids, [i for i in keyword_ids if i in allowed]])
        ranked = sorted(fused, key=lambda i: -fused[i])[:k]
        return tuple(
            Hit("topic", i, self._topics[i].title, round(sims.get(i, 0.0), 3), self._topics[i]) for i in ranked
        )
