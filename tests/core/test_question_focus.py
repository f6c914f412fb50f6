"""Splitting an interviewer's turn into the preamble and the question to answer."""

from __future__ import annotations

import pytest

from copilot.live.long_turns import TURNS
from copilot.pipeline.question_focus import QuestionFocus, is_asking, sentences, split_question

AGENDA = "Okay, let us switch gears to the design portion. We have about forty minutes for this part."
SCENARIO = (
    "We run a marketplace for second hand furniture with about eight million listings. "
    "Last quarter the click through rate went down after a new ranking model shipped."
)


def test_a_bare_question_is_all_question():
    assert split_question("Tell me about a time you failed.") == QuestionFocus("", "Tell me about a time you failed.")


def test_the_agenda_before_a_question_is_the_preamble():
    focus = split_question(f"{AGENDA} What is the difference between L1 and L2 regularization?")
    assert focus.preamble == AGENDA
    assert focus.question == "What is the difference between L1 and L2 regularization?"


def test_a_question_that_points_back_keeps_its_scenario_but_not_the_agenda():
    focus = split_question(f"{AGENDA} {SCENARIO} How would you investigate this drop?")
    assert focus.preamble == AGENDA
    assert focus.question == f"{SCENARIO} How would you investigate this drop?"


def test_a_two_part_question_keeps_both_parts():
    text = f"{AGENDA} {SCENARIO} How would you investigate it? And what would you change so it does not happen again?"
    focus = split_question(text)
    assert focus.question.endswith(
        "How would you investigate it? And what would you change so it does not happen again?"
    )
    assert focus.question.startswith("We run a marketplace")


def test_a_self_contained_question_after_small_talk_drops_it():
    focus = split_question(
        "Thanks, that project sounds really interesting. I know it has been a long day for you. "
        "Explain how dropout works and why it helps a network generalize."
    )
    assert focus.question == "Explain how dropout works and why it helps a network generalize."
    assert focus.preamble.startswith("Thanks")


def test_a_short_question_leans_on_the_sentence_before_it():
    focus = split_question("I'd like to hear about your last project. What was the hardest part?")
    assert focus == QuestionFocus("", "I'd like to hear about your last project. What was the hardest part?")


def test_what_follows_the_question_belongs_to_it():
    focus = split_question(f"{AGENDA} Design a rate limiter for our public API. Assume ten thousand clients.")
    assert focus.preamble == AGENDA
    assert focus.question == "Design a rate limiter for our public API. Assume ten thousand clients."


def test_text_without_a_question_is_all_question():
    # A partial still in its preamble: something is always there to classify.
    assert split_question("  Okay, let us switch gears  to the design portion ") == QuestionFocus(
        "", "Okay, let us switch gears to the design portion"
    )
    assert split_question("") == QuestionFocus("", "")


def test_the_split_loses_and_repeats_nothing():
    for turn in TURNS:
        focus = split_question(turn.script)
        assert f"{focus.preamble} {focus.question}".strip() == " ".join(turn.script.split()), turn.turn_id


def test_asking_sentences():
    assert is_asking("So, how would you design it")
    assert is_asking("Walk me through your approach.")
    # whisper's homophone for the coding prompt (a long-turn tune-half turn waited 2 s on it)
    assert is_asking("Right a function that returns the median of a stream.")
    assert not is_asking("Right, a few words about the team first.")
    assert is_asking("Anything else?")
    assert not is_asking("We run a marketplace.")
    assert not is_asking("Tell me.")  # too short to be a question on its own
    assert sentences("One. Two? Three") == ["One.", "Two?", "Three"]


@pytest.mark.parametrize("turn", [t for t in TURNS if t.half == "tune"], ids=lambda t: t.turn_id)
def test_the_question_of_each_tuning_turn_is_found(turn):
    """On the scripts of the long-turn bench's tuning half: the question proper is found whole, and
    the agenda and small talk before it are left out."""
    focus = split_question(turn.script)
    asked = " ".join((*turn.question, *turn.second_part))
    assert focus.question.endswith(asked)
    assert not focus.question.startswith(turn.preamble[0]) or len(turn.preamble) == 1
