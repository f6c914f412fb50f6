"""The mock interviewer's core: loops, follow-ups from the answer's own words, rubric, red flags."""

from __future__ import annotations

import pytest

from copilot.pipeline.knowledge import question_bank
from copilot.practice.mock.follow_ups import GAPS
from copilot.practice.mock.loops import loops, plan_mock, planned_minutes, topic_for
from copilot.practice.mock.rubric import RUBRICS
from copilot.practice.mock.session import MockInterview, assess

BANK = {q.text: q.label for q in question_bank()}


@pytest.mark.parametrize("role", ["ml_engineer", "software_engineer", "data_scientist"])
def test_a_full_loop_follows_the_roles_rounds_with_bank_questions(role: str) -> None:
    plan = plan_mock(role, "senior", seed=3)
    assert [q.round for q in plan] == [r for r in loops().roles[role].rounds for _ in loops().rounds[r].types], (
        "every round asks as many questions as its types"
    )
    assert len({q.text for q in plan}) == len(plan), "no question twice"
    for q in plan:
        assert BANK[q.text] == q.question_type  # drawn from the shipped bank with its own label


def test_role_decides_the_topics_of_fundamentals() -> None:
    ml = plan_mock("ml_engineer", "senior", ["fundamentals"], seed=1)
    swe = plan_mock("software_engineer", "senior", ["fundamentals"], seed=1)
    assert all(q.topic is not None and q.topic.id in loops().roles["ml_engineer"].topics for q in ml)
    ml_only = loops().roles["ml_engineer"].topics - loops().roles["software_engineer"].topics
    assert not any(q.topic is not None and q.topic.id in ml_only for q in swe)


def test_quick_mix_fits_fifteen_minutes_and_is_reproducible() -> None:
    plan = plan_mock("data_scientist", "junior", ["quick"], seed=7)
    assert [q.question_type for q in plan] == ["motivation", "technical", "behavioral", "system_design"]
    assert planned_minutes(plan) <= 16
    assert plan == plan_mock("data_scientist", "junior", ["quick"], seed=7)


def test_staff_behavioral_questions_lean_on_its_focus() -> None:
    plan = plan_mock("ml_engineer", "staff", ["behavioral"], seed=2)
    focus = loops().levels["staff"].behavioral_focus.split("|")
    assert all(any(word in q.text.lower() for word in focus) for q in plan)


def test_unknown_role_level_or_round_is_named() -> None:
    with pytest.raises(ValueError, match="unknown role 'pm'"):
        plan_mock("pm", "senior")
    with pytest.raises(ValueError, match="unknown level 'principal'.*junior"):
        plan_mock("ml_engineer", "principal")
    with pytest.raises(ValueError, match="unknown round 'lunch'"):
        plan_mock("ml_engineer", "senior", ["lunch"])


def test_topic_card_found_from_the_question() -> None:
    topic = topic_for("Why does dropout behave differently at training time and at inference time?", "technical")
    assert topic is not None and topic.id == "dropout"
    assert topic_for("What's the difference between a process and a thread?", "technical") is None


# --- follow-ups -------------------------------------------------------------------------------------


def test_mostly_we_probe_quotes_the_answer() -> None:
    answer = "We migrated the search index to a new cluster. We tuned the shards and we cut latency by 40%."
    probes = assess("Tell me about a time you cut latency.", "behavioral", answer).follow_ups
    assert probes[0].gap == "mostly_we"
    assert '"We migrated the search index to a new cluster"' in probes[0].text
    assert "your part" in probes[0].text


def test_a_claim_without_a_number_is_asked_how_it_was_measured() -> None:
    answer = (
        "I owned our checkout service. I rewrote the retry logic because it hammered the database, "
        "instead of adding more replicas. After that checkout was much faster. I learned to profile first."
    )
    probes = assess("Tell me about a time you improved a system.", "behavioral", answer).follow_ups
    assert probes[0].gap == "no_number"
    assert '"faster"' in probes[0].text and "measure" in probes[0].text


def test_technical_answer_missing_key_points_is_probed_on_the_first_one_missed() -> None:
    q = "Why does dropout behave differently at training time and at inference time?"
    result = assess(q, "technical", "Dropout is a regularization trick that makes the network more robust.")
    first = result.follow_ups[0]
    assert first.gap == "missing_key_points"
    assert first.text == "What about zero each activation with probability? How does that fit into your answer?"


def test_design_answer_that_skips_constraints_is_asked_for_them_quoting_its_model() -> None:
    answer = "I would fine-tune a BERT model on labelled comments and serve it behind an API."
    result = assess("Design a system that detects spam comments on a video platform.", "system_design", answer)
    assert result.follow_ups[0].gap == "no_constraints"
    assert "BERT model" in result.follow_ups[0].text and "latency and scale" in result.follow_ups[0].text
    assert "model_before_constraints" in [f.id for f in result.red_flags]


def test_coding_answer_without_complexity_quotes_its_approach() -> None:
    answer = "I would use a hash map from value to index and return the pair when the complement is there."
    first = assess("Two sum.", "coding", answer).follow_ups[0]
    assert first.gap == "no_complexity" and "hash map" in first.text


def test_at_most_the_levels_number_of_follow_ups() -> None:
    mock = MockInterview("ml_engineer", "junior", ["behavioral"], seed=1)
    result = mock.answer("We did a migration and we fixed things.")
    assert len(result.assessment.follow_ups) == 1
    assert all(f.gap in GAPS for f in result.assessment.follow_ups)


# --- rubric and red flags ---------------------------------------------------------------------------


STRONG = (
    "At my last company our fraud service had a p99 of 180 ms and the payments team, our biggest customer, was at risk. "
    "I was responsible for the serving path. I considered caching whole responses but rejected it because "
    "scores had to be fresh. Instead I moved the slow features to Redis. As a result p99 fell from 180 to 62 ms. "
    "I learned to profile first, and since then I always start with a trace."
)


def test_rubric_scores_each_criterion_with_quoted_evidence() -> None:
    rubric = assess("Tell me about cutting latency.", "behavioral", STRONG).rubric
    assert list(rubric) == list(RUBRICS["behavioral"])
    assert {s.score for s in rubric.values()} == {4}
    for score in rubric.values():
        assert score.evidence, "a 4 is earned by words the candidate said"
        for quote in score.evidence:
            assert quote.removesuffix(" ...") in STRONG
    weak = assess("Tell me about cutting latency.", "behavioral", "We made it faster, the team was happy.").rubric
    assert weak["ownership"].score == 1 and weak["ownership"].evidence == []
    assert weak["measured_result"].score < 3 and weak["reflection"].score == 1


@pytest.mark.parametrize("qtype", ["behavioral", "technical", "system_design", "coding", "motivation"])
def test_every_type_has_three_to_five_criteria_scored_one_to_four(qtype: str) -> None:
    rubric = assess("Tell me.", qtype, "I think it depends.").rubric
    assert 3 <= len(rubric) <= 5
    assert all(1 <= s.score <= 4 for s in rubric.values())


def test_red_flags_blaming_bare_dont_know_and_rambling() -> None:
    blame = assess("A conflict?", "behavioral", "It was his fault, he never listened. I escalated it.").red_flags
    assert "blaming" in [f.id for f in blame]
    assert next(f for f in blame if f.id == "blaming").evidence == "It was his fault, he never listened."
    assert [f.id for f in assess("Explain CAP.", "technical", "I don't know.").red_flags] == ["bare_dont_know"]
    long = assess("Tell me.", "behavioral", STRONG, duration_s=200).red_flags
    assert [f.id for f in long] == ["rambling"]
    assert assess("Tell me.", "behavioral", STRONG, duration_s=120).red_flags == []


def test_the_follow_up_answer_is_graded_with_the_question() -> None:
    mock = MockInterview("ml_engineer", "senior", ["behavioral"], seed=1)
    first = mock.answer("I rewrote our batch scoring job because it kept timing out. After that it was faster.")
    before = first.assessment.rubric["measured_result"].score
    probes = list(first.assessment.follow_ups)
    after = mock.answer_follow_up("It went from 40 minutes to 6 minutes, so we cut cost by 80%.")
    assert after.assessment.rubric["measured_result"].score > before
    assert after.assessment.follow_ups == probes, "the probes asked stay on record"
    assert mock.current is mock.plan[1]


def test_summary_by_round_and_next_drills() -> None:
    mock = MockInterview("ml_engineer", "senior", ["quick"], seed=4)
    while not mock.done:
        mock.answer("We did it and it went fine.")
    summary = mock.summary()
    assert set(summary["rounds"]) == {"quick"}
    assert summary["questions"] == 4 and summary["next_drills"]
    with pytest.raises(ValueError, match="over"):
        mock.answer("one more")


def test_an_outcome_stated_as_a_quantity_is_heard_not_flagged() -> None:
    """A regret story whose result is a cost ("two points of recall"), with no result cue word."""
    regret = (
        "On a search project with a deadline, I chose to build our own cache instead of the shared one, because "
        "its queue was long. Within a year the copies had drifted and a stale entry cost us two points of recall "
        "on the main query set. I planned the move back, which took a quarter. My lesson is to give every "
        "shortcut an exit date."
    )
    result = assess("A decision you regret?", "behavioral", regret)
    assert "no_outcome" not in [f.id for f in result.red_flags]
    assert result.rubric["measured_result"].score >= 2
    assert "cost us two points of recall" in " ".join(result.rubric["measured_result"].evidence)


def test_a_quantity_in_the_scene_or_in_a_step_is_not_an_outcome() -> None:
    """Numbers that set the scene (first half) or count what the candidate did are no result."""
    no_result = (
        "Our team of five had three weeks to move the billing jobs to the new scheduler. "
        "The old scheduler kept dropping runs at night and the finance people were worried. "
        "I wrote the migration plan and I moved two jobs a day, starting with the smallest ones."
    )
    result = assess("Tell me about a migration.", "behavioral", no_result)
    assert "no_outcome" in [f.id for f in result.red_flags]
    assert result.rubric["measured_result"].score == 1
