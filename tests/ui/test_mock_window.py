"""The mock interview window driven through its real widgets: typed and spoken (fake microphone) answers,
the follow-up asked from the answer's words, grades with evidence, the timer and the summary."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from types import SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from fakes import FakeMic  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from copilot.practice.mock.loops import plan_mock  # noqa: E402
from ui.practice.mock_window import MockWindow  # noqa: E402

# Speaking, listening and writing the report run as the window's jobs: inline here, done on return.
pytestmark = pytest.mark.usefixtures("inline_tasks")

WEAK = "We rebuilt the ranking pipeline and we moved it to a feature store. It was much faster after that."
FOLLOW = "It went from 300 ms to 90 ms at p99, and I wrote the caching layer myself because reads dominated."


def mic() -> FakeMic:
    return FakeMic(frames=4, size=1600)  # 0.4 s of loud audio


def make(qtbot: Any, **kwargs: Any) -> tuple[MockWindow, list[str]]:
    said: list[str] = []
    window = MockWindow(
        speak=said.append,
        transcribe=kwargs.pop("transcribe", lambda samples: (WEAK, 12.0)),
        microphone=mic,
        seed=3,
        **kwargs,
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # window shortcuts need the active window
    return window, said


def pick(window: MockWindow, role: str, level: str, rounds: str | None) -> None:
    window.role_box.setCurrentIndex(window.role_box.findData(role))
    window.level_box.setCurrentIndex(window.level_box.findData(level))
    window.rounds_box.setCurrentIndex(window.rounds_box.findData(rounds))


def test_a_typed_answer_gets_a_follow_up_from_its_words_then_grades(qtbot: Any) -> None:
    window, said = make(qtbot)
    pick(window, "ml_engineer", "senior", "behavioral")
    qtbot.mouseClick(window.start_button, Qt.MouseButton.LeftButton)
    plan = plan_mock("ml_engineer", "senior", ["behavioral"], seed=3)
    assert window.question.text() == plan[0].text
    assert "Question 1 of 3 · Behavioral" in window.progress.text()
    assert said == [plan[0].text]  # spoken by the interviewer's voice
    assert window.timer_label.text().startswith("0:0") and "/ 3:00" in window.timer_label.text()

    qtbot.keyClicks(window.answer_box, WEAK)
    assert not window.recorder.recording, "Space typed in the answer box is a space, not Record"
    qtbot.keyClick(window.answer_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.phase == "follow_up"
    assert "We rebuilt the ranking pipeline" in window.follow_up.text()
    assert len(said) == 2 and said[1] in window.follow_up.text()
    grades = window.results.toPlainText()
    assert "ownership" in grades and "No ownership" in grades
    before = window.last.assessment.rubric["measured_result"].score  # type: ignore[union-attr]

    qtbot.keyClicks(window.answer_box, FOLLOW)
    qtbot.mouseClick(window.submit_button, Qt.MouseButton.LeftButton)
    assert window.phase == "between"
    assert window.last.assessment.rubric["measured_result"].score > before  # type: ignore[union-attr]
    assert "300 ms to 90 ms" in window.results.toPlainText()

    qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert window.question.text() == plan[1].text and window.follow_up.text() == ""


def test_a_spoken_answer_by_space_is_transcribed_and_graded(qtbot: Any) -> None:
    heard: list[int] = []

    def transcribe(samples: np.ndarray) -> tuple[str, float]:
        heard.append(samples.size)
        return WEAK, 200.0  # spoken for 3 min 20 s: over the senior limit

    window, _said = make(qtbot, transcribe=transcribe)
    pick(window, "software_engineer", "senior", "behavioral")
    window.start()
    window.results.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.recorder.recording and window.record_button.text() == "Stop (Space)"
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.phase == "follow_up"
    assert heard == [4 * 1600]
    assert f"Your answer: {WEAK}" in window.results.toPlainText()
    assert window.answer_box.toPlainText() == "", "the box is cleared for the follow-up's answer"
    assert "Ran 3.3 minutes" in window.results.toPlainText()


def test_the_timer_says_when_an_answer_runs_over(qtbot: Any, monkeypatch: Any) -> None:
    window, _ = make(qtbot)
    pick(window, "data_scientist", "junior", "quick")
    window.start()
    window._started_at -= 151  # junior answers have 2:30
    window._tick()
    assert window.timer_label.text() == "2:31 / 2:30 over time"
    assert window.timer_label.property("over") is True


def test_a_whole_quick_mock_ends_with_its_summary(qtbot: Any, tmp_path: Any) -> None:
    from copilot.history.session import SessionRecorder
    from copilot.history.store import open_default_store

    recorders: list[SessionRecorder] = []

    def history(kind: str, on_message: Any) -> SessionRecorder:
        recorders.append(SessionRecorder(kind, on_message))
        return recorders[-1]

    window, _ = make(qtbot, history=history)
    pick(window, "data_scientist", "senior", "quick")
    window.start()
    for _ in range(4):
        window.answer_box.setPlainText("I don't know.")
        window.submit_typed()
        window.next_question()
    assert window.phase == "done"
    summary = window.results.toPlainText()
    assert "4 questions answered" in summary and "Quick 15-minute mix" in summary
    assert "bare_dont_know" in summary and "Drill next" in summary
    assert not window.submit_button.isEnabled() and not window.record_button.isEnabled()
    assert len(recorders) == 1 and recorders[0].wait(10)
    with open_default_store() as store:  # kept in the (test's own) encrypted history, for the trend
        session = store.load_session(recorders[0].session_id)  # type: ignore[arg-type]
    assert session.kind == "mock"
    assert [i.kind for i in session.items] == ["mock_answer"] * 4 + ["mock_summary"]
    assert session.items[-1].payload["questions"] == 4
    report = tmp_path / "mock.html"
    window.save_report(report)
    assert report.exists()
    page = report.read_text(encoding="utf-8")
    assert "Trend over past mocks" in page and "1 mock</td>" in page and "I don&#x27;t know." in page


def test_an_empty_answer_is_refused_with_a_message(qtbot: Any) -> None:
    window, _ = make(qtbot)
    window.start()
    window.submit_typed()
    assert window.phase == "answer"
    assert "Nothing to grade yet" in window.banner.label.text()


def test_ctrl_m_in_the_live_windows_practice_menu_opens_the_mock(qtbot: Any, monkeypatch: Any) -> None:
    from ui import app as app_module

    monkeypatch.setattr(app_module.LiveController, "load_core", lambda self: None)
    monkeypatch.setattr(app_module.LiveController, "load_devices", lambda self: None)
    monkeypatch.setattr(app_module, "is_first_run", lambda: False)
    monkeypatch.setattr(app_module.QApplication, "quit", staticmethod(lambda: None))
    live = app_module.App(app_module.parse_args([]), 0.0)
    qtbot.addWidget(live.window)
    rows = {action: (menu, keys) for menu, action, keys in live.window.shortcut_rows()}
    assert rows["Mock interview…"] == ("Practice", "Ctrl+M")
    keys = [k for _, k in rows.values()]
    assert keys.count("Ctrl+M") == 1
    live.mock_action.trigger()  # models not loaded yet: the status bar says it opens once they are
    assert "mock interview" in live.model.status
    live.controller.core = SimpleNamespace(transcriber=None)
    live.mock_action.trigger()
    window = live._core_windows["the mock interview"]
    qtbot.addWidget(window)
    assert isinstance(window, MockWindow) and window.isVisible()


def test_the_core_model_transcribes_the_answer_while_it_is_spoken(qtbot: Any) -> None:
    from copilot.adapters.transcribe import TimedWord

    calls: list[int] = []

    class Words:
        def words(self, samples: np.ndarray) -> list[TimedWord]:
            calls.append(samples.size)
            return [TimedWord(w, i * 0.3, i * 0.3 + 0.2) for i, w in enumerate(WEAK.split())]

    said: list[str] = []
    window = MockWindow(SimpleNamespace(transcriber=Words()), speak=said.append, microphone=mic, seed=3)
    qtbot.addWidget(window)
    pick(window, "ml_engineer", "senior", "behavioral")
    window.start()
    window.toggle_recording()
    window.toggle_recording()
    assert window.phase == "follow_up"
    assert calls == [4 * 1600], "the frames went to the incremental transcript, the tail decoded at the stop"
    assert window.last is not None and window.last.transcript == WEAK
    assert window.last.duration_s == pytest.approx(4 * 0.1), "the spoken length is the loud audio's span"


def test_a_forgotten_recording_stops_by_itself(qtbot: Any) -> None:
    from ui.practice.mock_window import MAX_RECORDING_S

    window, _ = make(qtbot)
    window.start()
    window.toggle_recording()
    assert window.recorder.recording
    window._started_at -= MAX_RECORDING_S + 1
    window._tick()
    assert not window.recorder.recording
    assert "Stopped recording after 10 minutes" in window.banner.label.text()
    assert window.phase == "follow_up"
