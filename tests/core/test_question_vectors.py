"""One embedding per question: the classifier's vector is the retriever's."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from copilot.pipeline.question_vectors import QuestionVectors


class CountingEmbedder:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts):
        self.calls.append(list(texts))
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)


def test_a_question_is_embedded_once():
    embedder = CountingEmbedder()
    vectors = QuestionVectors(embedder)
    first = vectors.vector("Tell me about a time you failed.")
    again = vectors.embed(["Tell me about a time you failed."])
    assert embedder.calls == [["Tell me about a time you failed."]]
    assert np.array_equal(again[0], first) and again.shape == (1, 2)


def test_batches_pass_through_uncached():
    embedder = CountingEmbedder()
    vectors = QuestionVectors(embedder)
    assert vectors.embed(["a b", "c d e"]).shape == (2, 2)
    vectors.embed(["a b", "c d e"])
    assert len(embedder.calls) == 2


def test_only_the_most_recent_questions_are_kept():
    embedder = CountingEmbedder()
    vectors = QuestionVectors(embedder, size=2)
    for text in ("one", "two", "one", "three"):  # "one" was used again, so "two" is the oldest
        vectors.vector(text)
    vectors.vector("one")
    vectors.vector("two")
    assert [c[0] for c in embedder.calls] == ["one", "two", "three", "two"]


def test_a_shared_vector_cannot_be_changed_in_place():
    vectors = QuestionVectors(CountingEmbedder())
    with pytest.raises(ValueError):
        vectors.vector("question")[0] = 5.0


def test_threads_asking_at_once_get_the_same_vector():
    vectors = QuestionVectors(CountingEmbedder())
    results: list[np.ndarray] = []

    def ask() -> None:
        for n in range(50):
            results.append(vectors.vector(f"question {n % 5}"))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 200
    assert {float(v[0]) for v in results} == {float(len("question 0"))}
