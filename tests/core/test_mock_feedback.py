"""`copilot feedback --json` also carries the mock interviewer's view: follow_ups, rubric, red_flags."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from copilot.adapters.transcribe import TimedWord
from copilot.cli.feedback import _print_human
from copilot.practice.feedback import answer_feedback

ANSWER = "We rebuilt the ranking pipeline and we moved it to a feature store. It was much faster after that."


class FakeWords:
    """Words 0.4 s apart, as a transcriber would time them."""

    def __init__(self, text: str) -> None:
        self.text = text

    def words(self, samples: np.ndarray) -> list[TimedWord]:
        return [TimedWord(w, i * 0.4, i * 0.4 + 0.3) for i, w in enumerate(self.text.split())]


def core() -> SimpleNamespace:
    return SimpleNamespace(classifier=None, embedder=None, library=SimpleNamespace(stories=[]))


def test_feedback_returns_follow_ups_rubric_and_red_flags() -> None:
    result = answer_feedback(
        core(), "Tell me about a time you cut latency.", np.zeros(16000), FakeWords(ANSWER), "behavioral"
    ).to_dict()
    assert result["follow_ups"] and all(isinstance(f, str) for f in result["follow_ups"])
    assert "your part" in result["follow_ups"][0] and '"We rebuilt the ranking pipeline' in result["follow_ups"][0]
    assert set(result["rubric"]) == {
        "situation_and_stakes",
        "ownership",
        "decision_and_reasoning",
        "measured_result",
        "reflection",
    }
    assert all(set(v) == {"score", "evidence"} for v in result["rubric"].values())
    assert [f["id"] for f in result["red_flags"]] == ["no_ownership"]
    assert result["suggestions"], "the existing fields are still there"


def test_a_long_spoken_answer_is_flagged_as_rambling_from_its_timing() -> None:
    long = " ".join(["I measured the latency and I fixed the cache, which cut p99 by 40%."] * 40)
    result = answer_feedback(core(), "Tell me about a fix.", np.zeros(16000), FakeWords(long), "behavioral").to_dict()
    assert result["delivery"]["duration_s"] > 180
    assert "rambling" in [f["id"] for f in result["red_flags"]]


def test_human_output_names_the_next_question(capsys) -> None:  # type: ignore[no-untyped-def]
    result = answer_feedback(
        core(), "Tell me about a time you cut latency.", np.zeros(16000), FakeWords(ANSWER), "behavioral"
    ).to_dict()
    _print_human(result)
    out = capsys.readouterr().out
    assert f"An interviewer would ask next: {result['follow_ups'][0]}" in out
    assert "! No ownership" in out
