"""Competency matching (copilot/pipeline/competencies.py) and the reasons and profiles the retriever gives."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import EXAMPLE_STORIES

from copilot.adapters.index import ChromaIndex
from copilot.pipeline import knowledge
from copilot.pipeline.competencies import CompetencyMatcher
from copilot.pipeline.documents import story_docs
from copilot.pipeline.retrieval import Retriever
from copilot.stories.library import load_library
from copilot.stories.model import Story


def test_taxonomy_is_complete_and_its_cues_compile():
    taxonomy = knowledge.competencies()
    assert 30 <= len(taxonomy) <= 40
    assert len({c.id for c in taxonomy}) == len(taxonomy)
    assert all(c.probe and c.synonyms and c.cues for c in taxonomy)


@pytest.fixture(scope="module")
def matcher(embedder):
    return CompetencyMatcher(embedder.embed)


def _top(matcher, weights, n=2):
    return [matcher.ids[i] for i in np.argsort(-weights)[:n]]


@pytest.mark.parametrize(
    ("question", "competency"),
    [
        ("Tell me about a time you disagreed with your team's technical direction", "conflict-resolution"),
        ("So, you know, sometimes you have to walk away from something you started", "killing-a-project"),
        ("Have you ever brought down what a system costs to run?", "cost-reduction"),
        ("Tell me about a time you helped a junior colleague grow", "mentoring"),
    ],
)
def test_question_competencies(matcher, embedder, question, competency):
    weights = matcher.question_weights(question, embedder.embed_one(question))
    assert competency in _top(matcher, weights), _top(matcher, weights, 4)
    assert weights.sum() == pytest.approx(1.0)


def test_tags_map_by_synonym_and_unusual_tags_by_meaning(matcher):
    assert matcher.ids[matcher.tag_competency("Conflict")] == "conflict-resolution"
    assert matcher.ids[matcher.tag_competency("cost_reduction")] == "cost-reduction"
    assert matcher.ids[matcher.tag_competency("disagree-and-commit")] == "disagree-and-commit"
    unusual = matcher.tag_competency("pager duty heroics")
    assert unusual is not None and matcher.ids[unusual] == "production-incident"
    assert matcher.tag_competency("zzqx") is None  # nonsense names nothing


@pytest.fixture(scope="module")
def retriever(embedder, tmp_path_factory):
    stories = list(load_library(EXAMPLE_STORIES).stories)
    untagged = Story.new(
        "untagged-outage",
        "The night the checkout went down",
        sections={
            "situation": "At 2 a.m. checkout started failing for every user after a config push.",
            "action": "I paged the owner, rolled the config back and wrote the timeline as we went.",
            "result": "Checkout was back in 12 minutes.",
        },
    )
    index = ChromaIndex(tmp_path_factory.mktemp("competency-index"), embedder)
    index.sync("stories", story_docs([*stories, untagged]))
    yield Retriever(index, knowledge.frameworks(), knowledge.topics(), [*stories, untagged])
    index.close()


def test_each_story_hit_says_why_it_was_chosen(retriever, embedder):
    question = "Tell me about a disagreement with your manager"
    hits = retriever.retrieve(question, "behavioral", embedder.embed_one(question)).stories
    assert hits[0].id == "pushed-for-shadow-launch"
    assert "conflict" in hits[0].reason and "section" in hits[0].reason, hits[0].reason
    assert all(h.reason for h in hits)


def test_an_untagged_story_shows_competencies_inferred_from_its_text(retriever, embedder):
    shown = dict(retriever.competencies_of("untagged-outage"))
    assert shown and set(shown.values()) == {"text"}, shown
    tagged = dict(retriever.competencies_of("pushed-for-shadow-launch"))
    assert tagged["conflict-resolution"] == "tag"
    assert retriever.competencies_of("no-such-story") == []
    question = "Tell me about an outage you handled in the middle of the night"
    assert retriever.retrieve(question, "behavioral", embedder.embed_one(question)).stories[0].id == "untagged-outage"
