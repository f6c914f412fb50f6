"""The desktop app records its sessions: a live session in the controller, rehearsal-room questions and
answers, and drills end up in the encrypted history; without a usable history the window says why,
once, and the practice goes on unrecorded. (conftest keeps the key in a private file.)"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keyring.backends import fail  # noqa: E402

from copilot.config.settings import Settings  # noqa: E402
from copilot.events import (  # noqa: E402
    INTERVIEWER,
    Bullets,
    CardsReady,
    Hit,
    Question,
    QuestionTyped,
    SourceEnded,
    Transcript,
)
from copilot.history.report import to_html  # noqa: E402
from copilot.history.store import Session, open_default_store  # noqa: E402
from copilot.pipeline import knowledge  # noqa: E402
from copilot.pipeline.knowledge import BankQuestion  # noqa: E402
from copilot.practice.drill import ScoreBook  # noqa: E402
from tests.practice_fakes import feedback, rehearsal  # noqa: E402
from ui.app import LiveController  # noqa: E402
from ui.common.bridge import CoreBridge  # noqa: E402
from ui.live.view_models import LiveViewModel  # noqa: E402
from ui.live.window import LiveWindow  # noqa: E402
from ui.practice.drill_window import DrillWindow  # noqa: E402
from ui.practice.rehearsal_window import RehearsalWindow  # noqa: E402

QUESTION = "Tell me about a time you had to cut the cost of serving a model."
BANK = [
    BankQuestion("Tell me about a time you cut costs.", "behavioral"),
    BankQuestion("What is overfitting?", "technical"),
]
CARDS = rehearsal(
    "Tell me about a time you cut costs.",
    stories=(("distill", "Distilled the intent classifier", 0.71),),
    bullets=("Open with the $38k bill",),
    timings_ms={"classify": 4.0, "retrieve": 20.0},
)
FEEDBACK = feedback(
    "behavioral",
    {"situation_heard": True, "result_heard": True},
    question="Tell me about a time you cut costs.",
    transcript="At my last company I distilled the classifier and cost fell by 76%.",
    words=28,
    words_per_minute=142.0,
    filler_count=2,
    longest_pause_s=1.4,
    duration_s=12.0,
)


def sessions(kind: str) -> list[Session]:
    with open_default_store() as store:
        return [store.load_session(s.id) for s in store.list_sessions() if s.kind == kind]


# --- the live window ------------------------------------------------------------------------------


class FakeSession:
    """Says one question with its cards and bullets from a core-like thread, then its source ends."""

    def __init__(self, core: Any, sources: Any, sink: Any, options: Any = None) -> None:
        self.sink = sink
        self.answerer = SimpleNamespace(wait_idle=lambda timeout: True)
        self.stopped = threading.Event()

    def start(self) -> None:
        framework = knowledge.frameworks()["behavioral"]
        typed = QuestionTyped(Question(1, QUESTION, 3.0), "behavioral", 0.87, latency_ms=9.0)
        events = [
            Transcript(1, INTERVIEWER, QUESTION[:20], False, 0.0, 1.0, latency_ms=400.0),  # partial: not kept
            Transcript(1, INTERVIEWER, QUESTION, True, 0.0, 3.0, latency_ms=480.0),
            Question(1, QUESTION, 3.0),
            CardsReady(typed, (Hit("framework", framework.id, framework.title, 1.0, framework),), (), (), 31.0),
            Bullets(1, ("Lead with the $38k bill",), "composer", True, latency_ms=2.0),
            SourceEnded("file", "end of file"),
        ]
        threading.Thread(target=lambda: [self.sink(e) for e in events], name="fake-core").start()

    def stop(self) -> None:
        self.stopped.set()


class FakeSource:
    speaker, description, dropped_blocks = INTERVIEWER, "fake", 0


@pytest.fixture
def controller(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> LiveController:
    from copilot.live import wiring

    monkeypatch.setattr(wiring, "LiveSession", FakeSession)
    window = LiveWindow(LiveViewModel())
    qtbot.addWidget(window)
    window.show()
    controller = LiveController(window, window.model, CoreBridge())
    controller.core = SimpleNamespace(settings=Settings())
    return controller


def run_replay(qtbot: Any, controller: LiveController) -> Any:
    """Start a session and wait until it has finished and its history session is written and closed."""
    made: list[Any] = []
    factory = controller.recorder_factory
    controller.recorder_factory = lambda kind, on_message: made.append(factory(kind, on_message)) or made[-1]
    controller._start(lambda: [FakeSource()], "replaying")
    assert len(made) == 1 and made[0].kind == "live"
    qtbot.waitUntil(lambda: controller.session is None and made[0].finished.is_set(), timeout=10_000)
    controller.recorder_factory = factory
    return made[0]


def test_a_replayed_live_session_is_recorded_with_its_question_and_cards(
    qtbot: Any, controller: LiveController
) -> None:
    run_replay(qtbot, controller)
    (session,) = sessions("live")
    assert session.ended_at is not None  # ended when the replay finished
    kinds = [item.kind for item in session.items]
    assert kinds == ["transcript", "question", "cards", "bullets"]  # settled events only
    assert session.of_kind("question")[0].payload["text"] == QUESTION
    cards = session.of_kind("cards")[0].payload
    assert cards["question_type"] == "behavioral" and cards["frameworks"] == [knowledge.frameworks()["behavioral"].id]
    assert session.of_kind("bullets")[0].payload["bullets"] == ["Lead with the $38k bill"]
    assert not controller.window.banner.isVisible()
    assert QUESTION in to_html(session)


def test_each_live_session_is_its_own_history_session(qtbot: Any, controller: LiveController) -> None:
    run_replay(qtbot, controller)
    run_replay(qtbot, controller)
    assert len(sessions("live")) == 2


def test_a_broken_history_key_is_said_once_and_the_live_session_goes_on(
    qtbot: Any, controller: LiveController, private_folders: Path
) -> None:
    (private_folders / "history.key").write_text("not a key\n")
    run_replay(qtbot, controller)
    window = controller.window
    qtbot.waitUntil(window.banner.isVisible)
    assert "not saved to history" in window.banner.label.text()
    assert "not a valid history key" in window.banner.label.text()
    assert window.question_label.text() == QUESTION  # the practice went on
    run_replay(qtbot, controller)
    assert window.banner.label.text().count("not saved to history") == 1  # said once per window


# --- the rehearsal room ---------------------------------------------------------------------------


def rehearsal_window(qtbot: Any) -> RehearsalWindow:
    """For tests on the inline executor (the window's jobs); the history recorder keeps its own thread."""
    window = RehearsalWindow(
        SimpleNamespace(transcriber=object()),
        rehearse=lambda core, item, number: CARDS,
        feedback=lambda core, text, samples, transcriber, qtype: FEEDBACK,
        decode=lambda path: np.zeros(16_000, dtype=np.float32),
        bank=BANK,
        probe=lambda: ("No microphone was found", "No audio output was found"),
    )
    qtbot.addWidget(window)
    assert not window.is_busy("devices")
    return window


@pytest.mark.usefixtures("inline_tasks")
def test_a_rehearsed_question_and_its_answer_are_recorded(qtbot: Any, tmp_path: Path) -> None:
    window = rehearsal_window(qtbot)
    assert window.history is None  # nothing opened before the first question
    window.select_bank_question("Tell me about a time you cut costs.")
    window.show_cards()
    assert window.card_titles()
    window.use_answer_file(tmp_path / "answer.wav")
    assert window.transcript_view.toPlainText()
    window.use_typed_question("Why this company?")  # a second question, answered without its cards
    window.use_answer_file(tmp_path / "answer.wav")
    assert not window.is_busy()
    recorder = window.history
    window.close()
    qtbot.waitUntil(recorder.finished.is_set)
    (session,) = sessions("rehearsal")  # one session for the window
    assert session.ended_at is not None
    questions = [item.payload["text"] for item in session.of_kind("question")]
    assert questions == ["Tell me about a time you cut costs.", "Why this company?"]
    first_id = session.of_kind("question")[0].payload["question_id"]
    assert session.of_kind("cards")[0].payload["stories"] == ["distill"]
    assert session.of_kind("bullets")[0].payload["bullets"] == ["Open with the $38k bill"]
    assert session.of_kind("timings")[0].payload["timings_ms"]["retrieve"] == 20.0
    feedback = session.of_kind("feedback")
    assert feedback[0].payload["question_id"] == first_id  # attached to the question it answers
    assert feedback[0].payload["delivery"]["words_per_minute"] == 142.0
    assert len(feedback) == 2 and feedback[1].payload["question_id"] != first_id


@pytest.mark.usefixtures("inline_tasks")
def test_without_a_keychain_the_rehearsal_room_says_so_and_goes_on(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, use_keyring: Any
) -> None:
    monkeypatch.delenv("COPILOT_HISTORY_KEY_FILE")
    use_keyring(fail.Keyring())
    window = rehearsal_window(qtbot)
    window.show()
    window.select_bank_question("Tell me about a time you cut costs.")
    window.show_cards()
    qtbot.waitUntil(window.banner.isVisible)
    text = window.banner.label.text()
    assert "not saved to history" in text
    assert "COPILOT_HISTORY_KEY_FILE" in text and "COPILOT_HISTORY=off" in text  # the two explicit choices
    assert window.card_titles()  # the practice goes on
    assert window.card_titles() == ["STAR", "Distilled the intent classifier"]


@pytest.mark.usefixtures("inline_tasks")
def test_history_turned_off_in_the_settings_records_nothing_and_says_nothing(
    qtbot: Any, tmp_path: Path, private_folders: Path
) -> None:
    from ui.settings.store import SettingsForm, read_form, save_form

    save_form(SettingsForm(history=False))
    assert read_form().history is False
    window = rehearsal_window(qtbot)
    window.select_bank_question("Tell me about a time you cut costs.")
    window.show_cards()
    assert window.card_titles()
    recorder = window.history
    window.close()
    qtbot.waitUntil(recorder.finished.is_set)
    assert recorder.session_id is None and not window.banner.isVisible()
    assert not (private_folders / "data" / "history.sqlite3").exists()


# --- the drill ------------------------------------------------------------------------------------


def fake_assess(question: Any, samples: np.ndarray) -> Any:
    checks = {"definition": True, "example": True}
    return feedback(question.question_type, checks, question=question.text, transcript="an answer", words=90)


@pytest.mark.usefixtures("inline_tasks")
def test_a_drill_run_is_recorded(qtbot: Any, tmp_path: Path) -> None:
    window = DrillWindow(
        SimpleNamespace(transcriber=None, classifier=None),
        book=ScoreBook(tmp_path / "drill_scores.json"),
        bank=BANK,
        assess=fake_assess,
        probe=lambda: ("No microphone was found", "No audio output was found"),
        seed=1,
    )
    qtbot.addWidget(window)
    assert not window.is_busy("devices")
    window.count_spin.setValue(2)
    window.start_drill()
    assert window.session is not None and window.played_as is not None
    recorder = window.history
    asked = []
    for n in (1, 2):
        asked.append(window.session.current.text)
        window.use_answer_samples(np.ones(5000, dtype=np.float32))
        assert len(window.session.results) == n
        window.next_question()
        assert not window.is_busy()
    assert window.session.done
    qtbot.waitUntil(recorder.finished.is_set)  # the run's session ends with the drill
    (session,) = sessions("drill")
    assert session.ended_at is not None
    assert [item.payload["text"] for item in session.of_kind("question")] == asked
    assert [item.payload["question_type"] for item in session.of_kind("feedback")] == [
        next(b.label for b in BANK if b.text == text) for text in asked
    ]
