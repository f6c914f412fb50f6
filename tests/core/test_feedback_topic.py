"""The off-topic hint of copilot/practice/feedback.py (issue 9, item 8): an answer for another question gets a
warning even when every STAR part is heard. Figures on the report and holdout halves of
tests/data/mock_eval; the thresholds were chosen on the tune half."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fakes import VectorEmbedder

from copilot.practice.drill import score_answer
from copilot.practice.feedback import OFF_TOPIC_BELOW, OFF_TOPIC_NO_SHARED_WORD_BELOW, topic_check, topic_words
from tests.practice_fakes import feedback

EVAL = Path(__file__).resolve().parents[1] / "data" / "mock_eval"
COST_QUESTION = "Tell me about a time you cut the cost of serving a model."
LAUNCH_ANSWER = (
    "Last year I disagreed with my product manager about launching our new search ranking before the holiday "
    "freeze. She wanted it live in November; I thought the offline gains had not been checked online. I proposed "
    "a two-week A/B test because a bad ranker in December would hurt the busiest weeks. We ran it, click-through "
    "rose 4 percent, and we launched with the data behind us. I learned to bring evidence, not opinions."
)


def test_an_answer_far_from_the_question_is_flagged_and_scored_lower() -> None:
    embedder = VectorEmbedder({"q": [1.0, 0.0], "near": [0.9, 0.3], "far": [0.05, 1.0]})
    assert not topic_check("q", "near", embedder).off_topic
    far = topic_check("q", "far", embedder)
    assert far.off_topic and (far.relevance or 1) < OFF_TOPIC_BELOW and far.advice[0].startswith("Off topic?")
    assert not topic_check("q", "", embedder).off_topic and topic_check("q", "far", None).relevance is None
    checks = {"definition": True, "example": True}
    on = feedback("technical", checks, transcript="far", words=90)
    off = feedback("technical", checks, transcript="far", words=90, off_topic=True)
    assert score_answer(off) < score_answer(on)


def test_a_low_cosine_and_none_of_the_questions_topic_words_is_off_topic() -> None:
    # Issue 9, item 8: the cosine alone (0.20 here) sat above OFF_TOPIC_BELOW.
    vectors = {COST_QUESTION: [1.0, 0.0], LAUNCH_ANSWER: [0.2, 0.98], "cost answer": [0.2, 0.98]}
    embedder = VectorEmbedder(vectors)
    assert topic_words(COST_QUESTION) == {"cut", "cost", "serv"}
    assert topic_check(COST_QUESTION, LAUNCH_ANSWER, embedder, "behavioral").off_topic
    # The same cosine with one of the question's words ("serving") is a weak answer, not another question's.
    embedder.vectors["We cut serving spend."] = [0.2, 0.98]
    assert not topic_check(COST_QUESTION, "We cut serving spend.", embedder, "behavioral").off_topic
    # "Why do you want to work here?" has no topic words of its own: only the cosine can say.
    embedder.vectors["Why do you want to work here?"] = [1.0, 0.0]
    assert not topic_check("Why do you want to work here?", LAUNCH_ANSWER, embedder, "motivation").off_topic
    assert OFF_TOPIC_BELOW < OFF_TOPIC_NO_SHARED_WORD_BELOW


def _items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for path in sorted(EVAL.glob("answers_*.toml")):
        items += tomllib.loads(path.read_text(encoding="utf-8"))["answer"]
    return items


def _figures(items: list[dict[str, Any]], embedder: Any, split: str) -> tuple[int, float, float]:
    """(real answers flagged, share of other questions' answers caught, the same among same-type pairs)."""
    texts = sorted({i["question"] for i in items} | {i["answer"] for i in items})
    cached = VectorEmbedder(dict(zip(texts, embedder.embed(texts).tolist(), strict=True)))
    half = [i for i in items if i["split"] == split]
    false_alarms = sum(topic_check(i["question"], i["answer"], cached, i["type"]).off_topic for i in half)
    pairs = [(a, q) for a in half for q in half if a["question"] != q["question"]]
    flags = [(a["type"] == q["type"], topic_check(q["question"], a["answer"], cached, q["type"]).off_topic) for a, q in pairs]
    return false_alarms, float(np.mean([f for _, f in flags])), float(np.mean([f for same, f in flags if same]))


@pytest.mark.slow
def test_report_and_holdout_figures(embedder: Any) -> None:
    items = _items()
    # Measured (MiniLM int8) when the word rule was added, the cosine rule alone in brackets:
    #   tune:    3 of 21 real answers flagged (2), 0.85 of other questions' answers caught (0.74), same type 0.64 (0.48)
    #   report:  2 of 21 (1), 0.91 (0.78), same type 0.77 (0.45)
    #   holdout: 1 of 12 (1), 0.89 (0.83), same type 0.68 (0.43)
    report = _figures(items, embedder, "report")
    holdout = _figures(items, embedder, "holdout")
    assert report[0] <= 2 and report[1] >= 0.85 and report[2] >= 0.7, report
    assert holdout[0] <= 1 and holdout[1] >= 0.85 and holdout[2] >= 0.6, holdout
    # The issue's own case: a cosine of about 0.20, above OFF_TOPIC_BELOW, and no "cost", "cut" or "serving".
    case = topic_check(COST_QUESTION, LAUNCH_ANSWER, embedder, "behavioral")
    assert 0.1 < (case.relevance or 0) < OFF_TOPIC_NO_SHARED_WORD_BELOW and case.off_topic
