"""The off-topic hint of copilot/practice/feedback.py (issue 9, item 8): an answer for another question gets a
warning even when every STAR part is heard. Figures on the report half of tests/data/mock_eval, which
the threshold was not chosen on."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from copilot.practice.drill import score_answer
from copilot.practice.feedback import OFF_TOPIC_BELOW, topic_check
from tests.practice_fakes import feedback

EVAL = Path(__file__).resolve().parents[1] / "data" / "mock_eval"
COST_QUESTION = "Tell me about a time you cut the cost of serving a model."
LAUNCH_ANSWER = (
    "Last year I disagreed with my product manager about launching our new search ranking before the holiday "
    "freeze. She wanted it live in November; I thought the offline gains had not been checked online. I proposed "
    "a two-week A/B test because a bad ranker in December would hurt the busiest weeks. We ran it, click-through "
    "rose 4 percent, and we launched with the data behind us. I learned to bring evidence, not opinions."
)


class FakeEmbedder:
    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = vectors

    def embed(self, texts: Any) -> np.ndarray:
        rows = np.array([self.vectors[t] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_an_answer_far_from_the_question_is_flagged_and_scored_lower() -> None:
    embedder = FakeEmbedder({"q": [1.0, 0.0], "near": [0.9, 0.3], "far": [0.05, 1.0]})
    assert not topic_check("q", "near", embedder).off_topic
    far = topic_check("q", "far", embedder)
    assert far.off_topic and (far.relevance or 1) < OFF_TOPIC_BELOW and far.advice[0].startswith("Off topic?")
    assert not topic_check("q", "", embedder).off_topic and topic_check("q", "far", None).relevance is None
    checks = {"definition": True, "example": True}
    on = feedback("technical", checks, transcript="far", words=90)
    off = feedback("technical", checks, transcript="far", words=90, off_topic=True)
    assert score_answer(off) < score_answer(on)


def _pairs(split: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for path in sorted(EVAL.glob("answers_*.toml")):
        items += tomllib.loads(path.read_text(encoding="utf-8"))["answer"]
    return [i for i in items if i["split"] == split]


@pytest.mark.slow
def test_report_half_figures(embedder: Any) -> None:
    items = _pairs("report")
    questions = embedder.embed([i["question"] for i in items])
    answers = embedder.embed([i["answer"] for i in items])
    sims = answers @ questions.T
    own = np.diag(sims)
    others = [
        sims[a, q] for a in range(len(items)) for q in range(len(items)) if items[a]["question"] != items[q]["question"]
    ]
    false_alarms = int((own < OFF_TOPIC_BELOW).sum())
    caught = float(np.mean(np.array(others) < OFF_TOPIC_BELOW))
    # Measured when the threshold was set: 1 of 21 real answers flagged, 0.78 of other questions' answers caught.
    assert false_alarms <= 2 and caught >= 0.7, (false_alarms, caught)
    # The issue's own case sits at a cosine of about 0.20: above the threshold, so it is not flagged.
    # A higher threshold (or adding a word-overlap rule) caught it but flagged 4-5 of the 21 real
    # answers of the tune half; a false "off topic" on a real answer was judged worse than a miss.
    assert 0.1 < (topic_check(COST_QUESTION, LAUNCH_ANSWER, embedder).relevance or 0) < 0.3
