"""Mock interview window (Ctrl+M): pick a role, a level and rounds; each question is spoken, answered
out loud (or typed, or from a file) against a visible timer, and followed by one probe chosen from the
answer; each answer is graded on the rubric of its type with the words that earned each score.

The interview itself is copilot/mock's `MockInterview` (the same one `copilot mock` runs): this window
only asks, listens and renders. Speaking, stopping the microphone and transcribing run in a
`BackgroundTask`; the voice, the microphone and the transcriber are injected so tests drive the window
without devices or models.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from copilot.practice.mock.listen import IncrementalTranscript
from copilot.practice.mock.loops import loops
from copilot.practice.mock.report import record_mock
from copilot.practice.mock.session import AnsweredQuestion, MockInterview
from ui.common.theme import set_window_sheet
from ui.common.widgets import (
    REHEARSAL_STYLE,
    ElidedComboBox,
    TaskRunner,
    WindowErrors,
    section_title,
    set_central,
    wrapped_label,
)
from ui.practice.answer_recording import (
    HistoryMessages,
    MicRecorder,
    ask_answer_file,
    default_decode,
    default_microphone,
)

log = logging.getLogger(__name__)
FULL_LOOP = "Full loop"
MAX_RECORDING_S = 600.0  # ten minutes: twice any loop's longest answer time, then the mic stops
MOCK_STYLE = (
    REHEARSAL_STYLE
    + """
QPlainTextEdit { background: @pane; border: 1px solid @border; border-radius: 5px; padding: 4px 6px; }
QLabel#question { font-size: 18px; font-weight: 600; }
QLabel#followup { font-size: 16px; color: @emphasis; }
QLabel#timer { font-size: 16px; font-family: monospace; }
QLabel#timer[over="true"] { color: @alarm; font-weight: 700; }
"""
)
Speak = Callable[[str], None]
Transcribe = Callable[[np.ndarray], "tuple[str, float | None]"]


def default_speak(text: str) -> None:
    """The local voice through the speaker when there is one, played from memory; silent otherwise."""
    from copilot.practice.mock.voice import say_aloud

    say_aloud(text)


def core_transcribe(core: Any) -> Transcribe:
    """The core's speech model, with word timings for the spoken length (rambling is judged on it)."""

    def transcribe(samples: np.ndarray) -> tuple[str, float | None]:
        from copilot.practice.feedback import spoken_span_s, transcript_of

        transcriber = getattr(core, "transcriber", None)
        if transcriber is None:
            raise RuntimeError("the speech model is not loaded yet; type the answer or wait for the models")
        words = transcriber.words(samples)
        return transcript_of(words), spoken_span_s(words)

    return transcribe


class _Tap:
    """Where the microphone's frames also go while an answer is recorded: the incremental transcript."""

    def __init__(self) -> None:
        self.listen: IncrementalTranscript | None = None


class _TappedMic:
    """A microphone source whose frames are also fed to the tap's transcript as they arrive."""

    def __init__(self, inner: Any, tap: _Tap) -> None:
        self._inner, self._tap = inner, tap

    def start(self, on_frame: Callable[[Any], None], on_end: Callable[[Any], None]) -> None:
        tap = self._tap

        def frame(f: Any) -> None:
            if tap.listen is not None:
                tap.listen.feed(f.samples)
            on_frame(f)

        self._inner.start(frame, on_end)

    def stop(self) -> None:
        self._inner.stop()


class MockWindow(QMainWindow):
    closing = Signal()

    def __init__(
        self,
        core: Any = None,
        *,
        speak: Speak = default_speak,
        transcribe: Transcribe | None = None,
        words_model: Any = None,
        microphone: Callable[[], Any] = default_microphone,
        decode: Callable[[Any], np.ndarray] = default_decode,
        seed: int | None = None,
        history: Callable[[str, Callable[[str], None]], Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Mock interview — Interview Copilot")
        # Session history: a finished mock is kept as a "mock" session (its answers and summary), on
        # the recorder's own thread; its messages come back through the bridge to the banner.
        self._history = history or _session_recorder
        self._history_bridge = HistoryMessages(self)
        self._history_bridge.error.connect(self.show_error)
        set_window_sheet(self, MOCK_STYLE)
        self.resize(1100, 800)
        self._speak, self._decode, self._seed = speak, decode, seed
        self._transcribe = transcribe or core_transcribe(core)
        # The microphone's answer is transcribed while spoken when a model with word timings is at hand
        # (the core's, unless a plain `transcribe` was given): after the stop only the tail is left.
        self._words_model = (
            words_model
            if words_model is not None
            else (getattr(core, "transcriber", None) if transcribe is None else None)
        )
        self._tap = _Tap()
        tap = self._tap
        mic_factory = microphone
        self.mock: MockInterview | None = None
        self.phase = "idle"  # idle -> answer -> follow_up -> between -> ... -> done
        self.last: AnsweredQuestion | None = None
        self.spoken: list[str] = []  # what the interviewer said, in order
        self._started_at = 0.0
        self.recorder = MicRecorder(self, lambda: _TappedMic(mic_factory(), tap))
        self.recorder.error.connect(self.show_error)
        self.recorder.lost.connect(self.toggle_recording)
        self._build()
        self.tasks = TaskRunner(self, self.show_error)
        self.tasks.changed.connect(self._update_buttons)
        self._timer = QTimer(self)
        self._timer.setInterval(500)
        self._timer.timeout.connect(self._tick)
        self._actions()
        self._update_buttons()

    # --- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.banner = WindowErrors(log, "mock interview")
        loop = loops()
        self.role_box = _combo([(r.title, r.id) for r in loop.roles.values()])
        self.level_box = _combo([(lv.id.capitalize(), lv.id) for lv in loop.levels.values()])
        self.level_box.setCurrentIndex(self.level_box.findData("senior"))
        self.rounds_box = _combo([(FULL_LOOP, None), *((r.title, r.id) for r in loop.rounds.values())])
        self.start_button = QPushButton("Start mock")
        self.start_button.clicked.connect(self.start)
        pickers = QHBoxLayout()
        for caption, box in (("Role", self.role_box), ("Level", self.level_box), ("Rounds", self.rounds_box)):
            pickers.addWidget(QLabel(caption))
            pickers.addWidget(box)
        pickers.addStretch(1)
        pickers.addWidget(self.start_button)
        self.progress = wrapped_label("Pick a role, a level and rounds, then start.", "progress")
        self.question = wrapped_label("", "question")
        self.follow_up = wrapped_label("", "followup")
        self.timer_label = QLabel("0:00")
        self.timer_label.setObjectName("timer")
        self.answer_box = QPlainTextEdit()
        self.answer_box.setPlaceholderText("Your answer's transcript appears here; you can also type it.")
        self.answer_box.setAccessibleName("Answer transcript")
        self.record_button = QPushButton("Record (Space)")
        self.record_button.clicked.connect(self.toggle_recording)
        self.file_button = QPushButton("Use a recorded answer…")
        self.file_button.clicked.connect(self.use_file)
        self.submit_button = QPushButton("Submit answer (Ctrl+Return)")
        self.submit_button.clicked.connect(self.submit_typed)
        self.next_button = QPushButton("Next question (Ctrl+Right)")
        self.next_button.clicked.connect(self.next_question)
        self.report_button = QPushButton("Save report…")
        self.report_button.clicked.connect(self.save_report)
        # Two rows: answering, then moving on; one row of five was 1,000 px wide.
        answering, moving_on = QHBoxLayout(), QHBoxLayout()
        for b in (self.record_button, self.file_button, self.submit_button):
            answering.addWidget(b)
        answering.addStretch(1)
        answering.addWidget(self.timer_label)
        for b in (self.next_button, self.report_button):
            moving_on.addWidget(b)
        moving_on.addStretch(1)
        self.results = QTextBrowser()
        self.results.setAccessibleName("Grades")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addLayout(pickers)
        layout.addWidget(self.progress)
        layout.addWidget(self.question)
        layout.addWidget(self.follow_up)
        layout.addWidget(self.answer_box, 1)
        layout.addLayout(answering)
        layout.addLayout(moving_on)
        layout.addWidget(section_title("Grades"))
        layout.addWidget(self.results, 2)
        set_central(self, self.banner, body)

    def _actions(self) -> None:
        for text, keys, slot in (
            ("Record / stop", Qt.Key.Key_Space, self.toggle_recording),
            ("Submit answer", "Ctrl+Return", self.submit_typed),
            ("Next question", "Ctrl+Right", self.next_question),
        ):
            action = QAction(text, self, shortcut=QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

    # --- the interview --------------------------------------------------------------------------

    def start(self) -> None:
        rounds = self.rounds_box.currentData()
        self.mock = MockInterview(
            self.role_box.currentData(), self.level_box.currentData(), [rounds] if rounds else None, self._seed
        )
        self.results.clear()
        self._ask_current()

    def _ask_current(self) -> None:
        assert self.mock is not None
        question = self.mock.current
        if question is None:
            self._finish()
            return
        n, total = len(self.mock.answered) + 1, len(self.mock.plan)
        title, kind = loops().rounds[question.round].title, question.question_type.replace("_", " ")
        where = title if title.lower() == kind else f"{title} · {kind}"  # not "Behavioral · behavioral"
        self.progress.setText(f"Question {n} of {total} · {where}")
        self.question.setText(question.text)
        self.follow_up.clear()
        self.answer_box.clear()
        self.phase = "answer"
        self._say(question.text)
        self._restart_timer()
        self._update_buttons()

    def _say(self, text: str) -> None:
        self.spoken.append(text)
        self.tasks.run("speak", "the interviewer is speaking…", lambda _p: self._speak(text), lambda _r: None)

    def submit_typed(self) -> None:
        text = self.answer_box.toPlainText().strip()
        if self.phase not in ("answer", "follow_up") or self.tasks.is_busy("listen"):
            return
        if not text:
            self.show_error("Nothing to grade yet: record your answer, use a recorded one, or type it.")
            return
        self.submit(text, None)

    def submit(self, text: str, duration_s: float | None) -> None:
        """Grade the answer (or the follow-up answer, with its question) and say what comes next."""
        if self.mock is None or self.phase not in ("answer", "follow_up"):
            return
        self._timer.stop()
        if self.phase == "answer":
            self.last = self.mock.answer(text, duration_s)
            probes = self.last.assessment.follow_ups
            if probes:
                self.phase = "follow_up"
                self.follow_up.setText(f"Follow-up: {probes[0].text}")
                self.answer_box.clear()
                self._say(probes[0].text)
                self._restart_timer()
            else:
                self.phase = "between"
        else:
            self.last = self.mock.answer_follow_up(text, duration_s)
            self.phase = "between"
        self.results.setHtml(grades_html(self.last))
        self._update_buttons()

    def next_question(self) -> None:
        if self.mock is None or self.phase not in ("follow_up", "between") or self.tasks.is_busy("listen"):
            return
        self._ask_current()

    def _finish(self) -> None:
        assert self.mock is not None
        self.phase = "done"
        self._timer.stop()
        self.progress.setText("The mock is over: the summary is below.")
        self.question.clear()
        self.follow_up.clear()
        self.results.setHtml(summary_html(self.mock.summary()))
        self._update_buttons()
        recorder = self._recorder = self._history("mock", self._history_bridge.sink)
        record_mock(recorder, [a.to_dict() for a in self.mock.answered], self.mock.summary())
        recorder.close()  # the end time and the store's closing happen on its own thread

    def save_report(self, path: Any = None) -> None:
        """The HTML report (copilot/practice/mock/report.py) with the trend of the mocks in the history."""
        if self.mock is None or self.phase != "done":
            return
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(self, "Save the mock report", "mock-report.html", "HTML (*.html)")
            if not chosen:
                return
            path = chosen
        answered = [a.to_dict() for a in self.mock.answered]
        summary = self.mock.summary()
        target = Path(path)
        recorder = getattr(self, "_recorder", None)

        def work(_progress: Any) -> Path:
            if recorder is not None and hasattr(recorder, "wait"):
                recorder.wait(10)  # this mock's own summary is in the history before the trend is read
            from copilot.atomic import write_text_atomic
            from copilot.practice.mock.report import report_html, trend

            write_text_atomic(target, report_html(answered, summary, trend(_history_points())))
            return target

        self.tasks.run("report", "writing the report…", work, lambda p: self.tasks.set_status(f"report saved: {p}"))

    # --- listening ------------------------------------------------------------------------------

    def toggle_recording(self) -> None:
        if self.recorder.recording:
            samples = self.recorder.stop()
            if samples is not None:
                self._listen("stopping the microphone and transcribing…", samples, live=True)
        elif self.phase in ("answer", "follow_up") and not self.tasks.is_busy("listen"):
            self._tap.listen = IncrementalTranscript(self._words_model) if self._words_model is not None else None
            self.recorder.start()
        self._update_buttons()

    def use_file(self) -> None:
        path = ask_answer_file(self)
        if path is not None and self.phase in ("answer", "follow_up"):
            self._listen(f"transcribing {path.name}…", lambda: self._decode(path))

    def _listen(self, status: str, samples: Callable[[], np.ndarray], live: bool = False) -> None:
        listen, self._tap.listen = (self._tap.listen if live else None), None

        def work(_progress: Any) -> tuple[str, float | None]:
            audio = samples()  # stops the microphone (or decodes the file) off the GUI thread
            if listen is None:
                return self._transcribe(audio)
            heard = listen.finish()  # only the tail is left: the rest was decoded while it was said
            return heard.text, heard.duration_s

        self.tasks.run("listen", status, work, self._heard)

    def _heard(self, result: tuple[str, float | None]) -> None:
        text, duration = result
        self.answer_box.setPlainText(text)
        if not text.strip():
            self.show_error("No speech was recognised in that answer; try again closer to the microphone.")
            return
        self.submit(text, duration)

    # --- rendering ------------------------------------------------------------------------------

    def _restart_timer(self) -> None:
        self._started_at = time.monotonic()
        self._tick()
        self._timer.start()

    def _tick(self) -> None:
        elapsed = time.monotonic() - self._started_at
        limit = loops().levels[self.mock.level].answer_minutes * 60 if self.mock else 180.0
        if self.recorder.recording and elapsed > MAX_RECORDING_S:
            self.show_error(f"Stopped recording after {MAX_RECORDING_S // 60:.0f} minutes; the answer is graded as is.")
            self.toggle_recording()  # a forgotten microphone must not fill memory
        over = elapsed > limit
        self.timer_label.setText(f"{_clock(elapsed)} / {_clock(limit)}" + (" over time" if over else ""))
        if self.timer_label.property("over") != over:
            self.timer_label.setProperty("over", over)
            self.timer_label.style().unpolish(self.timer_label)
            self.timer_label.style().polish(self.timer_label)

    def _update_buttons(self) -> None:
        answering = self.phase in ("answer", "follow_up")
        listening = self.tasks.is_busy("listen") if hasattr(self, "tasks") else False
        self.record_button.setText("Stop (Space)" if self.recorder.recording else "Record (Space)")
        self.record_button.setEnabled(answering and not listening)
        self.file_button.setEnabled(answering and not listening and not self.recorder.recording)
        self.submit_button.setEnabled(answering and not listening and not self.recorder.recording)
        self.next_button.setEnabled(self.phase in ("follow_up", "between") and not listening)
        self.start_button.setText("Restart mock" if self.phase != "idle" else "Start mock")
        self.report_button.setEnabled(self.phase == "done" and not self.tasks.is_busy("report"))

    def show_error(self, exc: BaseException | str) -> None:
        self.banner.show_error(exc)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self._history_bridge.close()
        self._timer.stop()
        self.recorder.close("mock-mic-stop")
        self.closing.emit()
        super().closeEvent(event)


def _history_points() -> list[tuple[str, dict[str, Any]]]:
    """Past mocks for the trend; none when history is off or cannot be opened (the report goes on)."""
    from copilot.errors import UserError
    from copilot.history.session import history_wanted
    from copilot.history.store import open_default_store
    from copilot.practice.mock.report import past_summaries

    if not history_wanted():
        return []
    try:
        with open_default_store() as store:
            return past_summaries(store)
    except UserError:
        return []


def _session_recorder(kind: str, on_message: Callable[[str], None]) -> Any:
    from copilot.history.session import SessionRecorder

    return SessionRecorder(kind, on_message)


def _combo(items: list[tuple[str, Any]]) -> QComboBox:
    box = ElidedComboBox()
    for text, data in items:
        box.addItem(text, data)
    # As wide as a short name, not the longest: the three pickers and Start fit an 800 px window.
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(10)
    box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return box


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def grades_html(answered: AnsweredQuestion) -> str:
    """The rubric (score and the quoted words per criterion), red flags and the probes asked."""
    a = answered.assessment
    rows = "".join(
        f"<tr><td>{html.escape(name.replace('_', ' '))}</td><td><b>{s.score}/4</b></td>"
        f"<td>{'<br>'.join('“' + html.escape(q) + '”' for q in s.evidence) or '<i>nothing heard for it</i>'}</td></tr>"
        for name, s in a.rubric.items()
    )
    flags = "".join(f"<li>⚑ {html.escape(f.message)}</li>" for f in a.red_flags) or "<li>none</li>"
    probes = "".join(f"<li>{html.escape(f.text)}</li>" for f in a.follow_ups)
    follow = "".join(f"<li>{html.escape(t)}</li>" for t in answered.follow_up_answers)
    return (
        f"<p><b>Your answer</b>: {html.escape(answered.transcript)}</p>"
        f"<table cellpadding='4'><tr><th align='left'>criterion</th><th>score</th><th align='left'>evidence</th></tr>"
        f"{rows}</table><p><b>Red flags</b></p><ul>{flags}</ul><p><b>Follow-ups</b></p><ul>{probes}</ul>"
        + (f"<p><b>Your follow-up answer</b></p><ul>{follow}</ul>" if follow else "")
    )


def summary_html(summary: dict[str, Any]) -> str:
    rounds = "".join(
        f"<p><b>{html.escape(loops().rounds[r].title)}</b>: "
        + ", ".join(f"{html.escape(c.replace('_', ' '))} {m:.1f}" for c, m in crit.items())
        + "</p>"
        for r, crit in summary["rounds"].items()
    )
    flags = ", ".join(summary["red_flags"]) or "none"
    drills = ", ".join(d.replace("_", " ") for d in summary["next_drills"]) or "–"
    return (
        f"<h3>{summary['questions']} questions answered</h3>{rounds}"
        f"<p><b>Red flags</b>: {html.escape(flags)}</p><p><b>Drill next</b>: {html.escape(drills)}</p>"
    )


def open_mock_window(parent: QWidget | None = None, core: Any = None) -> MockWindow:
    """The mock interview on the live window's core (its speech model transcribes the answers)."""
    window = MockWindow(core, parent=parent)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    return window
