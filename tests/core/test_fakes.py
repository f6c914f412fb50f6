"""The shared fakes keep the promises the tests that use them rely on."""

from __future__ import annotations

import numpy as np
from fakes import DIMENSIONS, HashEmbedder, KeywordClassifier, run_stage


def test_the_hash_embedder_gives_unit_rows_that_score_shared_words_higher() -> None:
    rows = HashEmbedder().embed(["ported a Fortran climate model", "the Fortran climate port", "baked sourdough", ""])
    assert rows.shape == (4, DIMENSIONS) and rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0)  # an empty text too
    assert rows[0] @ rows[1] > 0.3 > rows[0] @ rows[2]
    assert np.array_equal(HashEmbedder().embed_one("ported a Fortran climate model"), rows[0])  # deterministic


def test_the_hash_embedder_counts_what_it_embeds() -> None:
    embedder = HashEmbedder()
    embedder.embed(["a", "b"])
    embedder.embed_one("c")
    assert embedder.texts_embedded == 3


def test_the_keyword_classifier_takes_the_first_matching_rule() -> None:
    classifier = KeywordClassifier([("design", "system_design"), ("time you", "behavioral")], default="other")
    assert classifier.classify("Design a feed, and tell me a time you did").question_type == "system_design"
    assert classifier.classify("Tell me about a time you failed").question_type == "behavioral"
    assert classifier.classify("Can you hear me?").question_type == "other"


class Doubler:
    def process(self, event: int) -> list[int]:
        return [event, event] if event % 2 else []


def test_run_stage_collects_every_output_in_order() -> None:
    assert run_stage(Doubler(), [1, 2, 3]) == [1, 1, 3, 3]
