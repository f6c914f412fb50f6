"""A second decode replaces the first text only when it is a plausible decode of the same speech.

The texts are what the long-turn bench's rate-limiter turn gave (tune half): the live text, and the
three things its full-window second pass heard depending on the prompt.
"""

import numpy as np
import pytest

from copilot.live.revision import rejection, worth_a_second_decode

FIRST = (
    "Please talk through your thinking of your goal. Matmata's more to us than finishing. Right a function "
    "not implement, sorry, it limit and up most 100 requests. The user in its life and wind of one minute."
)


@pytest.mark.parametrize(
    ("revised", "reason"),
    [
        # Whisper heard the same words (punctuation aside): nothing to replace.
        (FIRST.replace(".", "").lower(), "same words"),
        ("  ", "empty"),
        # A loop inside one hyphenated "word", which collapsing repeated words cannot see.
        (
            "Please talk through your thinking of your goal, not much of a dangerous definition. Right a "
            "function of implement 3-3-3-3-3-3-3-3-3-3-3-3-3-3-3-3-3-3-3-3",
            "a loop",
        ),
        # The window ended early: the question itself is gone.
        ("Please talk through your thinking of your goal.", "8 words where the first decode had 37"),
    ],
)
def test_a_revision_that_lost_looped_or_changed_nothing_is_kept_off_screen(revised: str, reason: str) -> None:
    assert rejection(FIRST, revised) == reason


@pytest.mark.parametrize(
    ("first", "revised"),
    [
        (
            FIRST,
            "Please talk through your thinking as you go, that matters more to us than finishing. Write a "
            "function that implements a rate limiter allowing at most 100 requests per user in any sliding "
            "window of one minute.",
        ),
        # A short question: one word more is a quarter more, and still the same question.
        ("What's your biggest weakness?", "What is your biggest weakness?"),
        ("Why this team?", "Why do you want this?"),
    ],
)
def test_a_revision_that_heard_the_same_speech_better_replaces_the_text(first: str, revised: str) -> None:
    assert rejection(first, revised) is None


def _seconds(*lengths: float) -> list[np.ndarray]:
    return [np.zeros(round(s * 16_000), np.float32) for s in lengths]


def test_only_a_question_heard_in_pieces_or_at_length_is_decoded_again():
    # One short stretch: the live final heard it whole; the full window would only add padding.
    assert not worth_a_second_decode(_seconds(4.1))
    assert not worth_a_second_decode(_seconds(6.0))
    # Longer, or several utterances: the full window gives each sentence the ones around it.
    assert worth_a_second_decode(_seconds(6.5))
    assert worth_a_second_decode(_seconds(2.0, 2.5))
