"""Story retrieval latency with 1,000 stories, without embedding 7,000 chunks first (target: p95 <= 30 ms).

Scoring costs the same whatever the vectors say, so the synthetic library's chunk vectors are the
example stories' real chunk vectors, tiled with a little noise; the question is embedded for real
and BM25 runs over the synthetic texts. test_bench_retrieval.py measures the same path end to end
through Chroma (it has to index everything first: many minutes on 2 busy cores).
"""

from __future__ import annotations

import itertools
import os

import numpy as np
import pytest
from conftest import EXAMPLE_STORIES
from synthetic import synthetic_library

from copilot.adapters.index import ChromaIndex
from copilot.events import Question
from copilot.pipeline import knowledge
from copilot.pipeline.classifier import QuestionClassifier
from copilot.pipeline.documents import story_docs, topic_docs
from copilot.pipeline.retrieval import Retriever
from copilot.pipeline.stages import ClassifyStage, RetrieveStage
from copilot.stories.library import load_library

pytestmark = pytest.mark.slow

QUESTIONS = [
    "Tell me about a time you reduced serving latency.",
    "Describe a conflict with a data scientist.",
    "So, um, have you ever had to walk away from a project you started?",
    "Tell me about an outage you handled on call. What did you do first?",
]


class TiledIndex:
    """A ChromaIndex for topics, with story vectors tiled from the examples' real ones."""

    def __init__(self, real: ChromaIndex, example_vectors: dict[str, np.ndarray], seed: int = 3) -> None:
        self._real = real
        self._examples = example_vectors
        self._rng = np.random.default_rng(seed)

    def vectors(self, collection, ids):
        base = list(self._examples.values())
        rows = [self._examples.get(i, base[n % len(base)]) for n, i in enumerate(ids)]
        noisy = np.asarray(rows) + self._rng.normal(0, 0.02, (len(rows), len(rows[0])))
        return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)

    def embed(self, texts):
        return self._real.embed(texts)

    def query(self, *args, **kwargs):
        return self._real.query(*args, **kwargs)


@pytest.fixture(scope="module")
def scorer(embedder, tmp_path_factory):
    examples = list(load_library(EXAMPLE_STORIES).stories)
    docs = story_docs(examples)
    example_vectors = dict(zip([d.id for d in docs], embedder.embed([d.text for d in docs]), strict=True))
    real = ChromaIndex(tmp_path_factory.mktemp("topics-only"), embedder)
    real.sync("topics", topic_docs(knowledge.topics()))
    stories = synthetic_library(examples, 1000)
    yield Retriever(TiledIndex(real, example_vectors), knowledge.frameworks(), knowledge.topics(), stories)
    real.close()


def test_story_retrieval_with_1000_stories(benchmark, scorer, embedder):
    cycle = itertools.cycle(QUESTIONS)

    def query():
        text = next(cycle)
        return scorer.retrieve(text, "behavioral", embedder.embed_one(text))

    cards = benchmark.pedantic(query, rounds=60, iterations=1, warmup_rounds=3)
    assert len(cards.stories) == 3 and all(h.reason for h in cards.stories)
    if benchmark.enabled:
        data = sorted(benchmark.stats.stats.data)
        p95 = data[int(0.95 * len(data)) - 1] * 1000
        print(
            f"\nstory retrieval (embed + score + BM25), 1000 stories: p50 {benchmark.stats.stats.median * 1000:.1f} ms, p95 {p95:.1f} ms"
        )


def test_story_scoring_alone_with_1000_stories(benchmark, scorer, embedder):
    """The same without embedding the question (about 10 ms of the total on an idle 2-core machine,
    several times that when other processes compete for the cores)."""
    vectors = {q: embedder.embed_one(q) for q in QUESTIONS}
    cycle = itertools.cycle(QUESTIONS)

    def query():
        text = next(cycle)
        return scorer.retrieve(text, "behavioral", vectors[text])

    cards = benchmark.pedantic(query, rounds=60, iterations=1, warmup_rounds=3)
    assert len(cards.stories) == 3
    if benchmark.enabled:
        data = sorted(benchmark.stats.stats.data)
        p95 = data[int(0.95 * len(data)) - 1] * 1000
        print(f"\nstory scoring only, 1000 stories: p50 {benchmark.stats.stats.median * 1000:.1f} ms, p95 {p95:.1f} ms")


@pytest.fixture(scope="module")
def classifier(embedder, tmp_path_factory):
    return QuestionClassifier(embedder, cache_dir=tmp_path_factory.mktemp("classifier-cache"))


def _end_to_end(benchmark, classify: ClassifyStage, retrieve: RetrieveStage, label: str) -> None:
    """A question in, its cards out, as the live path runs it (copilot/live/answering.py): classify,
    then retrieve. Every round asks a text never seen before, as a live question is, so no cache helps
    across rounds."""
    counter = itertools.count()

    def query():
        n = next(counter)
        text = f"{QUESTIONS[n % len(QUESTIONS)]} (take {n})"
        typed = next(iter(classify.process(Question(n, text, 0.0))))
        return next(iter(retrieve.process(typed)))

    cards = benchmark.pedantic(query, rounds=60, iterations=1, warmup_rounds=3)
    assert cards.typed.question_type == "behavioral" and len(cards.stories) == 3
    if benchmark.enabled:
        data = sorted(benchmark.stats.stats.data)
        p95 = data[int(0.95 * len(data)) - 1] * 1000
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"\n{label}, 1000 stories: p50 {benchmark.stats.stats.median * 1000:.1f} ms, p95 {p95:.1f} ms "
            f"(load average {load})"
        )


def test_question_to_cards_with_1000_stories(benchmark, scorer, classifier):
    """End to end: the retriever takes the vector the classifier made (one embedding a question)."""
    _end_to_end(benchmark, ClassifyStage(classifier), RetrieveStage(scorer, classifier.vectors), "classify + retrieve")


def test_question_to_cards_embedding_twice(benchmark, scorer, classifier, embedder):
    """The same with the retriever embedding the question again, as before the shared vector: the
    figure the one above is compared with."""
    _end_to_end(
        benchmark, ClassifyStage(classifier), RetrieveStage(scorer, embedder), "classify + retrieve, embedded twice"
    )
