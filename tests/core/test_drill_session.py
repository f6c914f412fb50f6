"""DrillSession, the one drill loop behind `copilot drill` and the app's drill window: no models, a fake
assessor that returns typed feedback."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from copilot.errors import UsageError
from copilot.pipeline.knowledge import BankQuestion
from copilot.practice.drill import DrillPlan, DrillQuestion, DrillSession, ScoreBook, drill_candidates
from copilot.practice.feedback import AnswerFeedback
from tests.practice_fakes import feedback

GOOD = {"definition": True, "example": True, "limitation": True}
BAD = {"definition": False, "example": False, "limitation": False}


def fake_feedback(question: DrillQuestion, samples: np.ndarray) -> AnswerFeedback:
    checks = GOOD if samples.mean() > 0 else BAD
    return feedback(
        question.question_type,
        checks,
        question=question.text,
        transcript="an answer",
        words=100,
        suggestions=() if checks is GOOD else ("Give a concrete example.",),
    )


class History:
    def __init__(self) -> None:
        self.items: list[tuple[str, dict]] = []

    def record(self, kind: str, payload: dict) -> None:
        self.items.append((kind, payload))


QUESTIONS = [DrillQuestion("What is overfitting?", "technical"), DrillQuestion("Why us?", "motivation")]


def test_the_session_walks_the_plan_and_saves_each_score_at_once(tmp_path):
    path = tmp_path / "drill_scores.json"
    history = History()
    session = DrillSession(DrillPlan(list(QUESTIONS)), ScoreBook(path), fake_feedback, history)
    assert (session.index, session.total, session.current) == (1, 2, QUESTIONS[0])
    first = session.answer(np.ones(10, dtype=np.float32), tmp_path / "a1.wav")
    # Saved before the drill is over: a drill stopped half-way still counts what was answered.
    assert json.loads(path.read_text())["scores"] == {"technical": [first.score]}
    assert first.index == 1 and first.score == 1.0
    assert first.to_dict()["answer_audio"].endswith("a1.wav") and first.to_dict()["checks"] == GOOD
    assert session.current == QUESTIONS[1] and not session.done
    second = session.answer(np.zeros(10, dtype=np.float32))
    assert second.score < first.score and session.done and session.current is None
    assert session.summary().to_dict() == {
        "summary": True,
        "questions": 2,
        "mean_score_by_type": {"technical": 1.0, "motivation": second.score},
        "weakest_types": ["motivation"],  # technical scored higher: not "weakest"
    }
    assert [kind for kind, _ in history.items] == ["question", "feedback", "question", "feedback"]
    assert history.items[3][1]["score"] == second.score and history.items[2][1]["question_id"] == 2
    # History gets plain JSON, with the keys `copilot feedback --json` has always had.
    assert history.items[3][1]["content"]["checks"] == BAD and history.items[3][1]["transcript"] == "an answer"
    assert json.loads(json.dumps(history.items[3][1]))["delivery"]["words"] == 100
    with pytest.raises(UsageError, match="over"):
        session.answer(np.ones(10, dtype=np.float32))


def test_weak_types_from_earlier_drills_come_back_more_often(tmp_path):
    book = ScoreBook(tmp_path / "scores.json")
    for _ in range(5):
        book.add("technical", 0.1)
        book.add("motivation", 0.95)
    pool = [DrillQuestion(f"{t} {i}", t) for t in ("technical", "motivation") for i in range(40)]
    counts: Counter[str] = Counter()
    for seed in range(200):
        session = DrillSession.start(pool, 4, book, fake_feedback, seed=seed)
        counts.update(q.question_type for q in session.questions)
    assert counts["technical"] > 3 * counts["motivation"]


def test_a_drill_needs_questions(tmp_path):
    with pytest.raises(UsageError):
        DrillSession.start([], 3, ScoreBook(tmp_path / "s.json"), fake_feedback)
    with pytest.raises(UsageError):
        DrillSession.start(QUESTIONS, 0, ScoreBook(tmp_path / "s.json"), fake_feedback)


def test_candidates_from_a_folder_use_sidecar_text_and_filter_by_type_and_competency(tmp_path):
    for name, text in (
        ("q1", "Tell me about a time you disagreed with your manager."),
        ("q2", "What is a feature store?"),
        ("q3", None),
    ):
        (tmp_path / f"{name}.wav").write_bytes(b"")
        if text:
            (tmp_path / f"{name}.txt").write_text(text)
    transcribed: list[str] = []

    def transcribe(path):
        transcribed.append(path.name)
        return "Tell me about a time you mentored someone."

    def classify(text):
        return "technical" if text.startswith("What") else "behavioral"

    every = drill_candidates(recordings=tmp_path, transcribe=transcribe, classify=classify)
    assert [q.audio.name for q in every] == ["q1.wav", "q2.wav", "q3.wav"] and transcribed == ["q3.wav"]
    assert [q.question_type for q in every] == ["behavioral", "technical", "behavioral"]
    behavioral = drill_candidates(recordings=tmp_path, types=["behavioral"], transcribe=transcribe, classify=classify)
    assert [q.audio.name for q in behavioral] == ["q1.wav", "q3.wav"]
    conflict = drill_candidates(
        recordings=tmp_path, competencies=["conflict-resolution"], transcribe=transcribe, classify=classify
    )
    assert [q.audio.name for q in conflict] == ["q1.wav"]
    with pytest.raises(UsageError, match="recordings"):
        drill_candidates(recordings=tmp_path, types=["coding"], transcribe=transcribe, classify=classify)


def test_candidates_from_the_bank():
    bank = [BankQuestion("What is L2?", "technical"), BankQuestion("Hi there", "other")]
    assert drill_candidates(bank=bank) == [DrillQuestion("What is L2?", "technical")]
    with pytest.raises(UsageError, match="bank"):
        drill_candidates(bank=bank, types=["coding"])


def test_the_cli_drill_covers_every_type_named(tmp_path):
    """`copilot drill --type behavioral --type system_design --count 2` gave two behavioral questions about
    half the time (issue 9); the window already covered both."""
    import argparse

    from copilot.cli.drill import register, start_drill

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    pool = [DrillQuestion(f"{t} {i}", t) for t in ("behavioral", "system_design") for i in range(30)]
    for seed in range(12):
        args = parser.parse_args(
            ["drill", "--type", "behavioral", "--type", "system_design", "--count", "2", "--seed", str(seed)]
        )
        book = ScoreBook(tmp_path / f"scores{seed}.json")
        book.add("system_design", 0.95)  # a strong type is drawn least: it must still come up when named
        drill = start_drill(args, pool, book, fake_feedback, None)
        assert sorted(q.question_type for q in drill.questions) == ["behavioral", "system_design"], seed
