"""copilot/wording.py: the one number pattern and the one pace band that the coach, the cue composer,
the answer feedback and the drill share (issue 10: there were three number patterns and two bands)."""

from __future__ import annotations

import pytest

from copilot.wording import NUMBER, PACE_BAND_WPM, SPOKEN_WPM, has_number, pace_band_text


@pytest.mark.parametrize(
    "text",
    [
        "latency fell from 240 to 80 ms",
        "cut the bill by 76%",
        "saved $38k a month",
        "we halved the error rate",
        "three engineers for a quarter",
        "it doubled click-through",
        "twelve teams adopted it",
        "hundreds of tickets a week",
        "a third of the traffic",
    ],
)
def test_results_with_a_figure_have_a_number(text: str) -> None:
    assert has_number(text)


@pytest.mark.parametrize(
    "text", ["no one noticed", "one of them left", "the team shipped it", "oneself", "often", "tenure", "halfway"]
)
def test_words_that_only_look_like_numbers_are_not(text: str) -> None:
    assert not has_number(text)


def test_the_coach_the_composer_and_the_feedback_use_the_same_pattern() -> None:
    import importlib

    composer = importlib.import_module("copilot.pipeline.cues.composer")
    feedback = importlib.import_module("copilot.practice.feedback")
    coach = importlib.import_module("copilot.stories.coach")  # the package also exports a function of that name
    assert composer._HAS_NUMBER is NUMBER
    assert coach.has_number is has_number and feedback.has_number is has_number


def test_one_pace_band_for_advice_score_and_report() -> None:
    from copilot.practice import drill

    low, high = PACE_BAND_WPM
    assert low < SPOKEN_WPM < high and pace_band_text() == "130-160"
    assert (drill.PACE_LOW_WPM, drill.PACE_HIGH_WPM) == PACE_BAND_WPM
    assert drill.pace_score(low) == drill.pace_score(high) == 1.0 and drill.pace_score(high + 10) < 1.0
