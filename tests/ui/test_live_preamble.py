"""The live window shows a long turn's preamble greyed above the question, and applies the second
decode of a question in place (issue 12)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from copilot.events import CardsReady, Question, QuestionTyped  # noqa: E402
from ui.live.view_models import CARDS, LiveViewModel  # noqa: E402
from ui.live.window import PREAMBLE_WORDS, LiveWindow  # noqa: E402

PREAMBLE = "Okay, let us switch gears to the design portion. We have about forty minutes for it."
QUESTION = "We run a furniture marketplace. How would you investigate this drop in clicks?"


@pytest.fixture
def window(qtbot) -> LiveWindow:
    win = LiveWindow(LiveViewModel())
    qtbot.addWidget(win)
    win.show()
    return win


def _cards(question: Question) -> CardsReady:
    return CardsReady(QuestionTyped(question, "situational", 0.9, 5.0), (), (), (), 10.0)


def test_the_preamble_is_greyed_above_the_question_and_hidden_without_one(window: LiveWindow) -> None:
    window.model.apply(Question(1, QUESTION, 40.0, preamble=PREAMBLE))
    assert window.question_label.text() == QUESTION
    assert window.preamble_label.isVisible() and window.preamble_label.text() == PREAMBLE
    assert window.preamble_label.objectName() == "muted"  # the grey italic style
    window.model.apply(Question(2, "What is dropout?", 50.0))
    assert not window.preamble_label.isVisible()


def test_a_long_preamble_shows_its_last_words_and_the_rest_in_the_tooltip(window: LiveWindow) -> None:
    long = " ".join(f"word{i}" for i in range(PREAMBLE_WORDS + 25))
    window.model.apply(Question(1, QUESTION, 40.0, preamble=long))
    assert window.preamble_label.text().startswith("… word25 ")
    assert window.preamble_label.toolTip() == long


def test_a_revised_question_replaces_the_text_and_keeps_type_and_cards(window: LiveWindow) -> None:
    first = Question(1, QUESTION, 40.0, preamble=PREAMBLE)
    window.model.apply(first)
    window.model.apply(_cards(first))
    changed: list[str] = []
    window.model.subscribe(changed.append)
    revised = Question(1, QUESTION.replace("clicks", "click-through rate"), 40.0, preamble=PREAMBLE, revised=True)
    window.model.apply(revised)
    assert window.question_label.text() == revised.text
    assert window.type_chip.text() == "Situational"  # the type stays on screen
    assert CARDS not in changed  # no card is rebuilt: no flicker
