"""The Chroma index and routed hybrid retrieval, on the real embedding model and example stories."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE_STORIES

from copilot.adapters.index import ChromaIndex
from copilot.errors import IndexBusyError
from copilot.pipeline import knowledge
from copilot.pipeline.documents import story_docs, topic_docs
from copilot.pipeline.retrieval import ROUTES, Retriever
from copilot.stories.library import load_library
from copilot.stories.model import Story

# Behavioral questions an interviewer might ask, and the example story that answers each best.
BEHAVIORAL_CASES = [
    ("Tell me about a model that did worse in production than offline.", "train-serve-skew-ranker"),
    ("Describe a time you killed a project.", "killed-visual-dedup"),
    ("Tell me about a disagreement with your manager.", "pushed-for-shadow-launch"),
    ("Describe a disagreement with a data scientist.", "notification-guardrail-metric"),
    ("Tell me about a time you partnered with a non-ML team to ship something.", "ticket-routing-with-support-ops"),
    ("Tell me about an incident you handled under pressure.", "peak-sale-latency-incident"),
    ("Tell me about a time you mentored a junior engineer.", "mentored-junior-eval-harness"),
    ("Tell me about a time you reduced serving cost or latency.", "distilled-intent-classifier"),
    ("Tell me about a time you found a data quality problem.", "churn-label-leakage"),
    ("What was the hardest bug you ever debugged?", "intermittent-nan-multinode"),
    ("Tell me about a time your metrics looked too good to be true.", "churn-label-leakage"),
    ("Describe how you convinced someone senior to change a launch plan.", "pushed-for-shadow-launch"),
]


@pytest.fixture(scope="module")
def stories() -> list[Story]:
    return list(load_library(EXAMPLE_STORIES).stories)


@pytest.fixture(scope="module")
def retriever(embedder, stories, tmp_path_factory):
    index = ChromaIndex(tmp_path_factory.mktemp("index"), embedder)
    index.sync("stories", story_docs(stories))
    index.sync("topics", topic_docs(knowledge.topics()))
    yield Retriever(index, knowledge.frameworks(), knowledge.topics(), stories)
    index.close()


def test_template_is_not_a_story(stories):
    assert "template" not in {s.id for s in stories}
    assert len(stories) >= 6


@pytest.mark.parametrize(("question", "expected"), BEHAVIORAL_CASES)
def test_behavioral_question_finds_its_story_in_top_3(retriever, embedder, question, expected):
    cards = retriever.retrieve(question, "behavioral", embedder.embed_one(question))
    assert expected in [h.id for h in cards.stories]
    assert len(cards.stories) == ROUTES["behavioral"].stories and cards.topics == ()


@pytest.mark.parametrize(
    ("question", "qtype", "expected"),
    [
        ("Explain L1 versus L2 regularization", "technical", "l1-vs-l2"),
        ("How does dropout work and when does it hurt?", "technical", "dropout"),
        ("What is PSI and how do you use it to detect drift?", "technical", "drift-monitoring"),
        ("Design a video recommendation system for 200 million users", "system_design", "two-stage-recommendation"),
        (
            "Our offline metrics improved but the A/B test shows no lift. What happened?",
            "situational",
            "offline-online-gap",
        ),
    ],
)
def test_topic_routes(retriever, embedder, question, qtype, expected):
    cards = retriever.retrieve(question, qtype, embedder.embed_one(question))
    assert expected in [h.id for h in cards.topics], [h.id for h in cards.topics]
    assert cards.frameworks[0].id == qtype


def test_closing_and_small_talk_get_only_their_framework(retriever, embedder):
    for qtype in ("closing", "other"):
        cards = retriever.retrieve("Do you have any questions?", qtype, embedder.embed_one("x"))
        assert [h.id for h in cards.frameworks] == [qtype]
        assert cards.stories == () and cards.topics == ()


def test_sync_is_incremental_by_content(embedder, stories, tmp_path):
    with ChromaIndex(tmp_path, embedder) as index:
        first = index.sync("stories", story_docs(stories))
        assert first.added == len(story_docs(stories)) and first.updated == 0
        assert index.sync("stories", story_docs(stories)).unchanged == len(story_docs(stories))
        edited = [stories[0].with_section("result", "Revenue rose 12% in a quarter."), *stories[2:]]
        report = index.sync("stories", story_docs(edited))
        assert report.updated == 2  # the whole-story document and its Result section
        assert report.removed == len(story_docs(stories[1:2]))
        assert report.added == 0


def test_second_owner_gets_a_clear_message(embedder, tmp_path):
    with ChromaIndex(tmp_path, embedder):
        with pytest.raises(IndexBusyError, match="in use by another"):
            ChromaIndex(tmp_path, embedder)
    ChromaIndex(tmp_path, embedder).close()  # released on close


def test_keyword_half_finds_exact_jargon(embedder, tmp_path):
    """A story that names a rare term is found by it even when the wording is otherwise unrelated."""
    folder = tmp_path / "stories"
    shutil.copytree(EXAMPLE_STORIES, folder)
    (folder / "zebra.md").write_text(
        "---\nid: zebra\ntitle: Migrated the Zanzibar ACL service\ncompetencies: [ownership]\n---\n"
        "## Situation\nOur Zanzibar permissions service was slow.\n## Task\nI owned the migration.\n"
        "## Action\nI chose to shard by tenant because hot tenants dominated.\n## Result\np99 fell 40%.\n",
        encoding="utf-8",
    )
    library = list(load_library(folder).stories)
    with ChromaIndex(tmp_path / "index", embedder) as index:
        index.sync("stories", story_docs(library))
        index.sync("topics", topic_docs(knowledge.topics()))
        retriever = Retriever(index, knowledge.frameworks(), knowledge.topics(), library)
        question = "Tell me about your work on Zanzibar"
        cards = retriever.retrieve(question, "behavioral", embedder.embed_one(question))
    assert cards.stories[0].id == "zebra"


def test_index_folder_is_per_story_folder(tmp_path):
    from copilot.composition import index_folder_for

    assert index_folder_for(tmp_path / "a") != index_folder_for(tmp_path / "b")
    assert index_folder_for(tmp_path / "a") == index_folder_for(tmp_path / "a")


def test_rebuild_after_deleting_index(embedder, stories, tmp_path: Path):
    from copilot.adapters.index import delete_index

    with ChromaIndex(tmp_path, embedder) as index:
        index.sync("stories", story_docs(stories))
    delete_index(tmp_path)
    with ChromaIndex(tmp_path, embedder) as index:
        assert index.count("stories") == 0
