"""Drills without models: weighted sampling, scoring an answer's feedback, the score book on disk,
and the answer recorder's stop rule on synthetic frames."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import numpy as np
import pytest

from copilot.audio import SAMPLE_RATE
from copilot.pipeline.knowledge import question_bank
from copilot.practice.drill import (
    PACE_HIGH_WPM,
    PACE_LOW_WPM,
    AnswerRecorder,
    DrillPlan,
    DrillQuestion,
    ScoreBook,
    bank_questions,
    score_answer,
    type_weights,
)
from copilot.wording import PACE_BAND_WPM
from tests.practice_fakes import feedback as typed_feedback


def candidates(per_type: int = 50) -> list[DrillQuestion]:
    return [DrillQuestion(f"{t} question {i}", t) for t in ("behavioral", "technical") for i in range(per_type)]


def test_weak_types_are_drawn_more_often_over_many_seeded_draws():
    counts: Counter[str] = Counter()
    for seed in range(400):
        plan = DrillPlan.sample(candidates(), 5, {"behavioral": 0.2, "technical": 0.9}, seed=seed)
        counts.update(q.question_type for q in plan.questions)
    # Expected share of behavioral: (0.15 + 0.8) / (0.95 + 0.25) = 0.79.
    share = counts["behavioral"] / sum(counts.values())
    assert 0.74 < share < 0.84, counts


def test_an_untried_type_sits_between_a_weak_and_a_strong_one():
    w = type_weights({"behavioral": 0.2, "technical": 0.9}, ["behavioral", "technical", "coding"])
    assert w["technical"] < w["coding"] < w["behavioral"]


def test_the_same_seed_gives_the_same_plan_and_never_repeats_a_question():
    a = DrillPlan.sample(candidates(), 8, {}, seed=7)
    b = DrillPlan.sample(candidates(), 8, {}, seed=7)
    assert a.questions == b.questions and len(set(a.questions)) == 8


def test_the_plan_stops_when_the_candidates_run_out():
    assert len(DrillPlan.sample(candidates(per_type=2), 10, {}, seed=1).questions) == 4


def test_bank_questions_filter_by_type_and_competency():
    bank = question_bank()
    technical = bank_questions(bank, ["technical"])
    assert technical and {q.question_type for q in technical} == {"technical"}
    conflict = bank_questions(bank, ["behavioral"], ["conflict-resolution"])
    assert conflict and all("disagree" in q.text.lower() or "conflict" in q.text.lower() for q in conflict)
    assert not any(q.question_type == "other" for q in bank_questions(bank))


def feedback(question_type: str, checks: dict, wpm: float = 150, filler_rate: float = 0.0) -> Any:
    return typed_feedback(question_type, checks, words_per_minute=wpm, filler_rate_per_min=filler_rate)


STRONG_STAR = {
    "situation_heard": True,
    "task_heard": True,
    "action_heard": True,
    "result_heard": True,
    "star_in_order": True,
    "i_count": 9,
    "we_count": 2,
    "number_stated": True,
    "result_has_number": True,
}


def test_a_strong_behavioral_answer_outscores_a_weak_one():
    weak_checks = {**STRONG_STAR, "result_heard": False, "task_heard": False, "star_in_order": False}
    weak_checks.update(i_count=1, we_count=8, number_stated=False)
    strong = score_answer(feedback("behavioral", STRONG_STAR))
    weak = score_answer(feedback("behavioral", weak_checks, wpm=210, filler_rate=9))
    assert strong == 1.0 and weak < 0.3 and 0.0 <= weak


def test_each_weakness_costs_something():
    base = score_answer(feedback("behavioral", STRONG_STAR))
    assert score_answer(feedback("behavioral", {**STRONG_STAR, "we_count": 12})) < base
    assert score_answer(feedback("behavioral", STRONG_STAR, wpm=100)) < base
    assert score_answer(feedback("behavioral", STRONG_STAR, filler_rate=6)) < base
    assert score_answer(feedback("behavioral", {**STRONG_STAR, "number_stated": False})) < base


def test_other_types_are_scored_on_their_own_checks():
    full = {"definition": True, "example": True, "limitation": True}
    half = {"definition": True, "example": False, "limitation": False}
    assert score_answer(feedback("technical", full)) > score_answer(feedback("technical", half))
    assert score_answer(feedback("closing", {"questions_asked": 3})) > score_answer(
        feedback("closing", {"questions_asked": 0})
    )
    # Situational has no content checks: delivery alone decides.
    assert score_answer(feedback("situational", {})) == 1.0


def test_an_empty_answer_scores_zero():
    empty = typed_feedback("behavioral", STRONG_STAR, transcript="  ")
    assert score_answer(empty) == 0.0


def test_the_drill_scores_pace_on_the_band_the_feedback_advises():
    assert (PACE_LOW_WPM, PACE_HIGH_WPM) == PACE_BAND_WPM
    inside = score_answer(feedback("technical", {"definition": True}, wpm=158))
    above = score_answer(feedback("technical", {"definition": True}, wpm=168))
    assert inside == 1.0 and above < inside  # 168 was a full pace score before, while the advice said 130-160


def test_scores_persist_and_only_recent_ones_count(tmp_path):
    path = tmp_path / "drill_scores.json"
    book = ScoreBook(path)
    for s in (0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0):
        book.add("coding", s)
    book.add("behavioral", 0.25)
    book.save()
    again = ScoreBook(path)
    assert again.recent_mean("coding") == 1.0  # the two early zeros fell out of the last five
    assert again.scores("behavioral") == [0.25] and again.weakest(1) == ["behavioral"]
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temporary file behind


def test_a_failed_save_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    from copilot.errors import UserError

    path = tmp_path / "drill_scores.json"
    book = ScoreBook(path)
    book.add("coding", 0.5)
    book.save()
    before = path.read_bytes()
    book.add("coding", 0.9)

    def disk_full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.fsync", disk_full)
    with pytest.raises(UserError, match="previous version is unchanged"):
        book.save()
    assert path.read_bytes() == before


def test_a_corrupt_file_is_kept_aside_and_the_drill_starts_afresh(tmp_path):
    path = tmp_path / "drill_scores.json"
    path.write_text('{"scores": {"coding": [0.5', encoding="utf-8")
    warnings: list[str] = []
    book = ScoreBook(path, warn=warnings.append)
    assert book.means() == {}
    assert len(warnings) == 1 and str(path) in warnings[0] and "corrupt" in warnings[0]
    assert (tmp_path / "drill_scores.json.corrupt").read_text(encoding="utf-8") == '{"scores": {"coding": [0.5'
    book.add("coding", 0.7)
    book.save()
    assert json.loads(path.read_text(encoding="utf-8"))["scores"] == {"coding": [0.7]}


def test_a_damaged_entry_is_dropped_alone_and_other_data_kept(tmp_path):
    path = tmp_path / "drill_scores.json"
    path.write_text(
        json.dumps({"version": 1, "note": "mine", "scores": {"coding": "oops", "technical": [0.4, 0.6]}}),
        encoding="utf-8",
    )
    warnings: list[str] = []
    book = ScoreBook(path, warn=warnings.append)
    assert book.means() == {"technical": 0.5} and "coding" in warnings[0]
    book.save()
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["note"] == "mine" and saved["scores"] == {"technical": [0.4, 0.6]}


def tone(seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def feed_blocks(recorder: AnswerRecorder, samples: np.ndarray) -> bool:
    return any([recorder.feed(samples[i : i + 512]) for i in range(0, len(samples), 512)])


def test_the_recorder_waits_for_speech_then_stops_after_the_silence():
    recorder = AnswerRecorder(silence_s=1.0, max_s=60)
    assert not feed_blocks(recorder, tone(5.0, 0.0))  # a quiet room before the answer never ends it
    assert not feed_blocks(recorder, tone(2.0, 0.3))
    assert not feed_blocks(recorder, tone(0.5, 0.0))  # a thinking pause
    assert feed_blocks(recorder, tone(1.2, 0.0))
    assert recorder.samples().size >= int(8.7 * SAMPLE_RATE) - 512


def test_the_recorder_stops_at_the_maximum_length():
    recorder = AnswerRecorder(silence_s=3.0, max_s=2.0)
    assert feed_blocks(recorder, tone(2.5, 0.3))


def test_only_a_type_below_the_best_is_called_weakest(tmp_path):
    book = ScoreBook(tmp_path / "scores.json")
    book.add("behavioral", 0.4)
    assert book.weakest(1) == ["behavioral"] and book.weaker_types() == []  # the only type drilled
    book.add("technical", 0.4)
    assert book.weaker_types() == []  # all alike
    book.add("technical", 1.0)
    assert book.weaker_types() == ["behavioral"]
