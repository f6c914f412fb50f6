"""The rehearsal room, driven with a fake core and fake pipeline functions: no model loads."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from fakes import FakeMic  # noqa: E402

from copilot.errors import UserError  # noqa: E402
from copilot.pipeline.knowledge import BankQuestion  # noqa: E402
from copilot.practice.feedback import AnswerFeedback, StoryMatch  # noqa: E402
from copilot.practice.rehearse import RehearsalResult  # noqa: E402
from tests.practice_fakes import feedback, rehearsal  # noqa: E402
from ui.practice.rehearsal_window import RehearsalWindow  # noqa: E402

BANK = [
    BankQuestion("Tell me about a time you cut costs.", "behavioral"),
    BankQuestion("Design a URL shortener.", "system_design"),
    BankQuestion("What is overfitting?", "technical"),
]
CARDS = rehearsal(
    "Tell me about a time you cut costs.",
    "behavioral",
    type_confidence=0.91,
    frameworks=(("star", "STAR"),),
    stories=(("distill", "Distilled the intent classifier", 0.71),),
    topics=(("cost", "Serving cost"),),
    bullets=("Open with the $38k bill", "Say why you chose distillation"),
)
FEEDBACK = feedback(
    "behavioral",
    {"situation_heard": True, "result_has_number": False},
    transcript="At my last company I distilled the classifier and cost fell by 76%.",
    suggestions=("Put a number on the result.",),
    matched=StoryMatch("distill", "Distilled the intent classifier", 0.64),
    words=28,
    words_per_minute=142.0,
    filler_count=2,
    longest_pause_s=1.4,
    duration_s=12.0,
)


class Calls:
    def __init__(self) -> None:
        self.rehearse: list[Any] = []
        self.feedback: list[Any] = []


@pytest.fixture
def calls() -> Calls:
    return Calls()


def make_window(qtbot: Any, calls: Calls, rehearse: Any = None, **kwargs: Any) -> RehearsalWindow:
    core = SimpleNamespace(transcriber=object())

    def fake_rehearse(core_: Any, item: Any, number: int) -> RehearsalResult:
        calls.rehearse.append((core_, item, number))
        return CARDS

    def fake_feedback(core_: Any, text: str, samples: np.ndarray, transcriber: Any, qtype: Any) -> AnswerFeedback:
        calls.feedback.append((text, samples.shape, transcriber, qtype))
        return FEEDBACK

    window = RehearsalWindow(
        core,
        rehearse=rehearse or fake_rehearse,
        feedback=fake_feedback,
        decode=kwargs.pop("decode", lambda path: np.zeros(16_000, dtype=np.float32)),
        bank=BANK,
        probe=kwargs.pop("probe", lambda: ("No microphone was found", "No audio output was found")),
        **kwargs,
    )
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: not window.is_busy("devices"))  # at once on the inline executor
    return window


@pytest.mark.usefixtures("inline_tasks")
def test_filter_by_type(qtbot: Any, calls: Calls) -> None:
    window = make_window(qtbot, calls)
    assert window.question_list.count() == 3
    window.type_combo.setCurrentIndex(window.type_combo.findData("technical"))
    assert [window.question_list.item(i).text() for i in range(window.question_list.count())] == [
        "What is overfitting?"
    ]


@pytest.mark.usefixtures("inline_tasks")
def test_show_cards_renders_fake_result(qtbot: Any, calls: Calls) -> None:
    window = make_window(qtbot, calls)
    window.select_bank_question("Tell me about a time you cut costs.")
    assert window.cards_button.isEnabled()
    window.cards_button.click()
    assert window.card_titles()
    assert window.card_titles() == ["STAR", "Distilled the intent classifier", "Serving cost"]
    assert window.type_chip.text() == "behavioral"
    assert "91%" in window.confidence_label.text()
    assert "Open with the $38k bill" in window.bullets_label.text()
    ((_, item, _),) = calls.rehearse
    assert item.text == "Tell me about a time you cut costs." and item.audio is None


@pytest.mark.usefixtures("inline_tasks")
def test_answer_file_renders_fake_feedback(qtbot: Any, calls: Calls, tmp_path: Path) -> None:
    window = make_window(qtbot, calls)
    window.use_typed_question("Why this company?")
    window.use_answer_file(tmp_path / "answer.wav")
    assert window.transcript_view.toPlainText()
    assert "distilled the classifier" in window.transcript_view.toPlainText()
    assert window.metric_labels["pace"].text() == "142"
    assert window.metric_labels["fillers"].text() == "2"
    assert window.metric_labels["pause"].text() == "1.4 s"
    assert "situation heard" in window.checks_label.text()
    assert "Put a number on the result." in window.suggestions_label.text()
    assert "Distilled the intent classifier" in window.story_label.text()
    ((text, shape, transcriber, _),) = calls.feedback
    assert text == "Why this company?" and shape == (16_000,) and transcriber is window.core.transcriber


@pytest.mark.usefixtures("inline_tasks")
def test_recording_question_is_transcribed_before_feedback(qtbot: Any, calls: Calls, tmp_path: Path) -> None:
    window = make_window(qtbot, calls)
    window.add_recordings([tmp_path / "q1.wav"])
    assert window.question_list.item(0).text() == "🎧 q1.wav"
    window.use_answer_file(tmp_path / "answer.wav")
    assert calls.feedback
    assert calls.rehearse[0][1].audio == tmp_path / "q1.wav"
    assert calls.feedback[0][0] == CARDS.transcript and calls.feedback[0][3] == "behavioral"


@pytest.mark.usefixtures("inline_tasks")
def test_failing_rehearse_shows_banner(qtbot: Any, calls: Calls) -> None:
    def broken(*_: Any) -> RehearsalResult:
        raise UserError("q.wav: no speech was recognised; check the recording")

    window = make_window(qtbot, calls, rehearse=broken)
    window.show()
    window.select_bank_question("Design a URL shortener.")
    window.show_cards()
    assert window.banner.isVisible()
    assert "no speech was recognised" in window.banner.label.text()
    assert not window.card_titles()
    assert window.cards_button.isEnabled()  # it can be tried again


@pytest.mark.usefixtures("inline_tasks")
def test_bad_answer_file_shows_banner(qtbot: Any, calls: Calls, tmp_path: Path) -> None:
    from copilot.audio.decode import load_audio

    bad = tmp_path / "answer.wav"
    bad.write_bytes(b"not audio at all")
    window = make_window(qtbot, calls, decode=load_audio)
    window.show()
    window.select_bank_question("What is overfitting?")
    window.use_answer_file(bad)
    assert window.banner.isVisible()
    assert "answer.wav" in window.banner.label.text()
    assert not calls.feedback


def test_gui_thread_is_not_blocked(qtbot: Any, calls: Calls) -> None:
    release = threading.Event()
    started = threading.Event()

    def slow(*_: Any) -> RehearsalResult:
        started.set()
        assert release.wait(10)
        return CARDS

    window = make_window(qtbot, calls, rehearse=slow)
    window.show()
    window.select_bank_question("Tell me about a time you cut costs.")
    window.show_cards()
    try:
        assert started.wait(5)
        ticks: list[int] = []
        from PySide6.QtCore import QTimer

        timer = QTimer(window)
        timer.timeout.connect(lambda: ticks.append(1))
        timer.start(10)
        qtbot.waitUntil(lambda: len(ticks) >= 5)  # the event loop keeps turning while rehearse waits
        timer.stop()
        assert window.busy_bar.isVisible()
        assert window.is_busy("cards") and not window.cards_button.isEnabled()
        window.type_combo.setCurrentIndex(window.type_combo.findData("technical"))  # still responsive
        assert window.question_list.count() == 1
    finally:
        release.set()
    qtbot.waitUntil(lambda: bool(window.card_titles()))
    assert not window.busy_bar.isVisible()


@pytest.mark.usefixtures("inline_tasks")
def test_no_devices_disable_buttons_with_reasons(qtbot: Any, calls: Calls, tmp_path: Path) -> None:
    window = make_window(qtbot, calls)
    window.add_recordings([tmp_path / "q1.wav"])
    assert not window.play_button.isEnabled()
    assert "No audio output" in window.play_button.toolTip()
    assert not window.record_button.isEnabled()
    assert "No microphone" in window.record_button.toolTip()
    assert window.answer_file_button.isEnabled()


@pytest.mark.usefixtures("inline_tasks")
def test_record_and_stop_with_fake_microphone(qtbot: Any, calls: Calls) -> None:
    played: list[int] = []

    window = make_window(
        qtbot,
        calls,
        probe=lambda: (None, None),
        microphone=lambda: FakeMic(frames=3, size=512),
        play=lambda s: played.append(len(s)),
    )
    window.select_bank_question("Tell me about a time you cut costs.")
    window.record_button.click()
    assert window.record_button.text() == "■ Stop"
    window.record_button.click()
    assert calls.feedback
    assert calls.feedback[0][1] == (1536,)
    assert window.record_button.isEnabled()
    assert window.record_button.text() == "● Record answer"


@pytest.mark.usefixtures("inline_tasks")
def test_play_question_decodes_and_plays_in_background(qtbot: Any, calls: Calls, tmp_path: Path) -> None:
    played: list[int] = []
    window = make_window(qtbot, calls, probe=lambda: (None, None), play=lambda s: played.append(len(s)))
    window.select_bank_question("What is overfitting?")
    assert not window.play_button.isEnabled()  # a text question has nothing to play
    window.add_recordings([tmp_path / "q1.wav"])
    assert window.play_button.isEnabled()
    window.play_button.click()
    assert played == [16_000]
    assert window.play_button.isEnabled()


@pytest.mark.usefixtures("inline_tasks")
def test_shared_core_is_used_and_left_open(qtbot: Any) -> None:
    """Ctrl+R reuses the live window's core: the story index has one owner per process."""
    from ui.practice.rehearsal_window import open_rehearsal_window

    class SharedCore:
        closed = False

        def close(self) -> None:
            self.closed = True

    core = SharedCore()
    window = open_rehearsal_window(core=core)
    qtbot.addWidget(window)
    assert window.core is core
    window.close()
    assert core.closed is False  # the live window owns it and closes it on exit


@pytest.mark.usefixtures("inline_tasks")
def test_story_cards_are_shown_best_match_first(qtbot: Any, calls: Calls) -> None:
    window = make_window(qtbot, calls)
    stories = (("a", "Launch disagreement", 0.39), ("b", "Halved serving cost", 0.49), ("c", "Eval harness", 0.41))
    window.select_bank_question("Tell me about a time you cut costs.")
    window.render_cards(rehearsal(topics=(("cost", "Serving cost"),), stories=stories))
    titles = window.card_titles()
    assert titles[1:4] == ["Halved serving cost", "Eval harness", "Launch disagreement"]  # after the framework


@pytest.mark.usefixtures("inline_tasks")
@pytest.mark.parametrize("width", [800, 1024])
def test_feedback_fits_the_panel_on_a_laptop_screen(qtbot: Any, calls: Calls, width: int) -> None:
    from PySide6.QtWidgets import QScrollArea

    window = make_window(qtbot, calls)
    window.select_bank_question("Tell me about a time you cut costs.")
    window.render_cards(CARDS)
    window.render_feedback(FEEDBACK)
    window.show()
    window.resize(width, 600)
    qtbot.waitUntil(lambda: window.width() == width)
    for area in window.findChildren(QScrollArea):
        assert not area.horizontalScrollBar().isVisible(), f"a panel scrolls sideways at {width} px"


def test_a_recorded_question_of_only_whispers_inventions_is_refused(qtbot: Any, calls: Calls, tmp_path: Path) -> None:
    """Issue 13: `copilot rehearse` refused "you you you" heard on silence; the window showed cards for it."""
    window = make_window(qtbot, calls, rehearse=lambda *_: rehearsal("you you you Thank you.", "other"))
    window.show()
    window.add_recordings([tmp_path / "silence.wav"])
    window.show_cards()
    qtbot.waitUntil(window.banner.isVisible)
    assert "silence.wav: no question was heard" in window.banner.label.text()
    assert not window.card_titles()


def test_an_answer_of_only_whispers_inventions_is_named_in_the_feedback(qtbot: Any, calls: Calls) -> None:
    window = make_window(qtbot, calls)
    window.select_bank_question("What is overfitting?")
    window.render_feedback(feedback("technical", {}, transcript="Thank you.", suggestions=("Give an example.",)))
    assert "no answer was heard" in window.suggestions_label.text()
    assert "Give an example." not in window.suggestions_label.text()
