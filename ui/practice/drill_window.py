"""Drill mode: N questions by type or competency, from the bank or a folder of recorded questions; each is
played, answered out loud and scored, and the types answered worst come back more often.

The loop itself is copilot/practice/drill.py's `DrillSession` (the same one `copilot drill` runs): this window
only asks for the answers and renders the results. Everything slow (transcribing the recorded
questions, playing a question, stopping the microphone, the feedback models) runs in a
`BackgroundTask`. Devices and the core's functions are injected, as in the rehearsal room, so tests
drive the window with answer files or samples instead of a microphone.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from copilot.pipeline.knowledge import question_bank
from copilot.practice.coverage import COMPETENCY_RULES
from copilot.practice.drill import (
    DRILL_TYPES,
    Assess,
    DrillAnswer,
    DrillSession,
    DrillSummary,
    ScoreBook,
    assess_with,
    drill_candidates,
    type_weights,
)
from ui.common.bridge import Progress
from ui.common.theme import color, set_window_sheet
from ui.common.widgets import (
    REHEARSAL_STYLE,
    SharedSplitter,
    TaskRunner,
    WindowErrors,
    metric_box,
    score_html,
    score_level,
    section_title,
    set_central,
    type_chip_row,
    wrapped_label,
)
from ui.practice.answer_recording import (
    AnswerRecording,
    FeedbackPanel,
    HistoryMessages,
    default_decode,
    default_microphone,
    default_play,
    probe_audio_devices,
)

log = logging.getLogger(__name__)
ANY_COMPETENCY = "Any competency"
DRILL_STYLE = (
    REHEARSAL_STYLE
    + """
QTableWidget { background: @pane; border: 1px solid @divider; border-radius: 6px; gridline-color: @control; }
QHeaderView::section { background: @surface; color: @text_muted; border: none; padding: 4px 6px; font-size: 11px; }
QLabel#progress { color: @link; font-weight: 600; }
QLabel#score { font-size: 28px; font-weight: 700; }
QFrame#summary { background: @callout; border: 1px solid @accent; border-radius: 8px; }
"""
)
Synthesize = Callable[[str], "np.ndarray | None"]


def default_synthesize(text: str) -> np.ndarray | None:
    from copilot.practice.drill import synthesize

    return synthesize(text)


class DrillWindow(QMainWindow):
    closing = Signal()

    def __init__(
        self,
        core: Any = None,
        *,
        book: ScoreBook | None = None,
        bank: Sequence[Any] | None = None,
        decode: Callable[[Path], np.ndarray] = default_decode,
        probe: Callable[[], tuple[str | None, str | None]] = probe_audio_devices,
        microphone: Callable[[], Any] = default_microphone,
        play: Callable[[np.ndarray], None] = default_play,
        synthesize: Synthesize = default_synthesize,
        assess: Assess | None = None,
        seed: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Drill — Interview Copilot")
        set_window_sheet(self, DRILL_STYLE)
        self.resize(1360, 860)
        self.core = core
        self._bank = list(bank) if bank is not None else list(question_bank())
        self._decode, self._probe = decode, probe
        self._play, self._synthesize, self._seed = play, synthesize, seed
        self._assess = assess  # None: the core's feedback (copilot.practice.feedback via copilot.practice.drill.assess_with)
        self.session: DrillSession | None = None
        self.last_answer: DrillAnswer | None = None
        self.played_as: str | None = None  # how the current question was delivered
        self._recordings: Path | None = None
        self._no_mic: str | None = "Checking for a microphone…"
        self._no_output: str | None = "Checking for an audio output…"
        self.answering = AnswerRecording(
            self,
            microphone,
            decode,
            self._may_record,
            doing="scoring",
            stop_tip="Stop and score it (Space)",
            start_tip="Answer (Space)",
        )
        self.answering.error.connect(self.show_error)
        self.answering.started.connect(self._recording_started)
        self.answering.answer.connect(self._answer)
        self.recorder = self.answering.recorder
        # Session history: one "drill" session per drill run, opened at its first answer.
        self.history: Any = None  # copilot.history.session.SessionRecorder of the current run
        self._history_bridge = HistoryMessages(self)
        self._history_bridge.error.connect(self.show_error)
        self.record_action = QAction("Record / stop", self, shortcut=QKeySequence(Qt.Key.Key_Space))
        self.record_action.triggered.connect(self.toggle_recording)
        self.addAction(self.record_action)
        self.next_action = QAction("Next question", self, shortcut=QKeySequence("Ctrl+Return"))
        self.next_action.triggered.connect(self.next_question)
        self.addAction(self.next_action)
        self._build()
        self.book = book if book is not None else ScoreBook.default(warn=self.show_error)
        self.tasks = TaskRunner(self, self.show_error, quiet_jobs=("devices",))
        self.tasks.changed.connect(self._update_buttons)
        self._render_types()
        self._update_buttons()
        self.tasks.run("devices", "checking audio devices…", lambda _: probe(), self._devices_probed, self._no_devices)

    # --- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.banner = WindowErrors(log, "drill")
        splitter = SharedSplitter((180, 310, 240), (0.22, 0.42, 0.36))  # all three fit an 800 px screen
        splitter.addWidget(self._build_setup())
        splitter.addWidget(self._build_run())
        splitter.addWidget(self._build_results())
        set_central(self, self.banner, splitter)

    def _build_setup(self) -> QWidget:
        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, 20)
        self.count_spin.setValue(5)
        self.count_spin.setSuffix(" questions")
        self.count_spin.setAccessibleName("Number of questions")
        self.type_boxes: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        for i, kind in enumerate(DRILL_TYPES):
            box = QCheckBox(kind.replace("_", " "))
            self.type_boxes[kind] = box
            grid.addWidget(box, i, 0)  # one column: two cut "situational" and "system design" on a laptop screen
        types_hint = QLabel("None ticked: every type, the weak ones more often.")
        types_hint.setObjectName("hint")
        types_hint.setWordWrap(True)
        self.competency_combo = QComboBox()
        self.competency_combo.addItem(ANY_COMPETENCY, None)
        for competency in sorted(COMPETENCY_RULES):
            self.competency_combo.addItem(competency.replace("-", " "), competency)
        self.bank_radio = QRadioButton("Question bank")
        self.bank_radio.setChecked(True)
        self.folder_radio = QRadioButton("Recordings in a folder")
        self.folder_radio.setToolTip("Recorded questions (audio files) in a folder of yours")
        group = QButtonGroup(self)
        group.addButton(self.bank_radio)
        group.addButton(self.folder_radio)
        self.folder_radio.toggled.connect(lambda _: self._update_buttons())
        self.folder_button = QPushButton("Choose folder…")
        self.folder_button.clicked.connect(self._folder_dialog)
        self.folder_label = wrapped_label("No folder chosen.", "hint")
        self.start_button = QPushButton("Start drill")
        self.start_button.setObjectName("primary")
        self.start_button.clicked.connect(self.start_drill)
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addWidget(section_title("Drill"))
        layout.addWidget(self.count_spin)
        layout.addSpacing(6)
        layout.addWidget(section_title("Question types"))
        layout.addLayout(grid)
        layout.addWidget(types_hint)
        layout.addSpacing(6)
        layout.addWidget(section_title("Competency"))
        layout.addWidget(self.competency_combo)
        layout.addSpacing(6)
        layout.addWidget(section_title("Questions from"))
        layout.addWidget(self.bank_radio)
        layout.addWidget(self.folder_radio)
        layout.addWidget(self.folder_button)
        layout.addWidget(self.folder_label)
        layout.addSpacing(10)
        layout.addWidget(self.start_button)
        layout.addStretch(1)
        return panel

    def _build_run(self) -> QWidget:
        self.progress_label = QLabel("No drill running")
        self.progress_label.setObjectName("progress")
        self.question_label = wrapped_label("Choose the questions on the left and press Start drill.", "question")
        self.type_chip, self.delivery_label, chips = type_chip_row()
        self.delivery_label.setWordWrap(True)  # "read it: no audio output…" would widen the panel past the screen
        self.type_chip.hide()
        self.replay_button = QPushButton("▶ Play again")
        self.replay_button.clicked.connect(self.play_current)
        self.record_button, self.answer_file_button = self.answering.record_button, self.answering.file_button
        self.next_button = QPushButton("Next question →")
        self.next_button.setObjectName("primary")
        self.next_button.setToolTip("Ctrl+Return")
        self.next_button.clicked.connect(self.next_question)
        # Two rows, so the panel still fits beside the others on an 800 px screen.
        buttons = QGridLayout()
        buttons.addWidget(self.replay_button, 0, 0)
        buttons.addWidget(self.record_button, 0, 1)
        buttons.addWidget(self.answer_file_button, 1, 0)
        buttons.addWidget(self.next_button, 1, 1)
        buttons.setColumnStretch(2, 1)
        hint = QLabel("Space starts and stops the recording.")
        hint.setObjectName("hint")
        score_box, self.score_label = metric_box("score")
        self.score_label.setObjectName("score")
        self.score_label.setTextFormat(Qt.TextFormat.RichText)
        metrics = QGridLayout()  # the score on a row of its own: "1.00 · strong" beside three boxes overflows
        metrics.addWidget(score_box, 0, 0, 1, 3)
        self.feedback_panel = FeedbackPanel(
            (("pace", "words / min"), ("fillers", "fillers"), ("pause", "longest pause")), transcript_height=(90, 140)
        )
        panel = self.feedback_panel
        for column, box in enumerate(panel.metric_boxes):
            metrics.addWidget(box, 1, column)
        self.transcript_view, self.metric_labels = panel.transcript_view, panel.metric_labels
        self.suggestions_label, self.checks_label = panel.suggestions_label, panel.checks_label
        host = QWidget()
        host.setObjectName("panelHost")
        layout = QVBoxLayout(host)
        layout.setContentsMargins(10, 0, 10, 8)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.question_label)
        layout.addLayout(chips)
        layout.addLayout(buttons)
        layout.addWidget(hint)
        layout.addSpacing(6)
        layout.addWidget(section_title("Your answer"))
        layout.addLayout(metrics)
        layout.addWidget(self.transcript_view)
        layout.addWidget(section_title("Suggestions"))
        layout.addWidget(self.suggestions_label)
        layout.addSpacing(4)
        layout.addWidget(section_title("Checks"))
        layout.addWidget(self.checks_label)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(host)
        return scroll

    def _build_results(self) -> QWidget:
        self.answers_list = QListWidget()
        self.answers_list.setAccessibleName("Answers in this drill")
        self.answers_list.setWordWrap(True)
        self.answers_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.answers_list.setMinimumHeight(120)
        self.summary_frame = QFrame()
        self.summary_frame.setObjectName("summary")
        self.summary_label = wrapped_label("")
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        sl = QVBoxLayout(self.summary_frame)
        sl.setContentsMargins(12, 8, 12, 8)
        sl.addWidget(section_title("Drill done"))
        sl.addWidget(self.summary_label)
        self.summary_frame.hide()
        self.types_table = QTableWidget(0, 4)
        # Two short lines a cell, so the four columns fit the right-hand panel of an 800 px window.
        self.types_table.setHorizontalHeaderLabels(["Type", "This\ndrill", "Recent\ndrills", "Drawn"])
        self.types_table.setWordWrap(True)
        self.types_table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.types_table.verticalHeader().hide()
        self.types_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.types_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.types_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.types_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # "system design" wraps when narrow
        header.sectionResized.connect(lambda *_: self._fit_types_table())
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        types_hint = wrapped_label(
            "Recent drills: the mean of your last five answers of that type. Drawn: how often the type comes "
            "up next time, relative to the others; weak types come back more often.",
            "hint",
        )
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addWidget(section_title("This drill"))
        layout.addWidget(self.answers_list, 1)
        layout.addWidget(self.summary_frame)
        layout.addSpacing(4)
        layout.addWidget(section_title("By type"))
        layout.addWidget(self.types_table)
        layout.addWidget(types_hint)
        # Scrolls on a short screen instead of squeezing the table over its own caption.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(panel)
        panel.setObjectName("panelHost")
        return scroll

    # --- plumbing -------------------------------------------------------------------------------

    def is_busy(self, job: str | None = None) -> bool:
        return self.tasks.is_busy(job)

    def show_error(self, exc: BaseException | str) -> None:
        self.banner.show_error(exc)

    def _end_history(self) -> None:
        history, self.history = self.history, None
        if history is not None:
            history.close()  # the end time and the store's closing happen on its own thread

    def set_core(self, core: Any) -> None:
        self.core = core
        self._update_buttons()

    def _devices_probed(self, reasons: tuple[str | None, str | None]) -> None:
        self._no_mic, self._no_output = reasons

    def _no_devices(self, exc: BaseException) -> None:
        self._no_mic = self._no_output = f"Audio devices unavailable: {exc}"

    def _update_buttons(self) -> None:
        if not hasattr(self, "tasks"):
            return  # still building
        ready = self.core is not None
        running = self.session is not None and not self.session.done
        waiting = running and self.last_answer is None  # the current question still needs its answer
        recording = self.recorder.recording
        answering = self.is_busy("answer")
        self.start_button.setEnabled(ready and not self.is_busy("plan") and not recording and not answering)
        self.start_button.setToolTip("" if ready else "The models are still loading")
        self.start_button.setText("Start a new drill" if self.session is not None else "Start drill")
        self.folder_button.setEnabled(self.folder_radio.isChecked())
        can_record = self.answering.update(
            can_answer=waiting and not answering, no_mic=self._no_mic, can_record_now=not self.is_busy("play")
        )
        self.record_action.setEnabled(can_record)
        self.replay_button.setEnabled(
            running and self._no_output is None and not self.is_busy("play") and not recording
        )
        self.replay_button.setToolTip(self._no_output or "Hear the question again")
        can_next = running and self.last_answer is not None and not answering
        self.next_button.setEnabled(can_next)
        self.next_action.setEnabled(can_next)

    # --- setting up a drill ---------------------------------------------------------------------

    def selected_types(self) -> list[str]:
        return [kind for kind, box in self.type_boxes.items() if box.isChecked()]

    def set_types(self, types: Sequence[str]) -> None:
        for kind, box in self.type_boxes.items():
            box.setChecked(kind in types)

    def set_recordings_folder(self, folder: Path | str | None) -> None:
        self._recordings = Path(folder) if folder else None
        self.folder_radio.setChecked(self._recordings is not None)
        self.bank_radio.setChecked(self._recordings is None)
        self.folder_label.setText(str(self._recordings) if self._recordings else "No folder chosen.")
        self._update_buttons()

    def _folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of recorded questions")
        if folder:
            self.set_recordings_folder(folder)

    def start_drill(self) -> None:
        if self.core is None or self.is_busy("plan") or self.recorder.recording:
            return
        recordings = self._recordings if self.folder_radio.isChecked() else None
        if self.folder_radio.isChecked() and recordings is None:
            self.show_error("Choose the folder of recorded questions first, or draw from the question bank.")
            return
        core, book, bank, decode, seed, assess = (
            self.core,
            self.book,
            self._bank,
            self._decode,
            self._seed,
            self._assess,
        )
        types, count = self.selected_types(), self.count_spin.value()
        competency = self.competency_combo.currentData()
        from copilot.history.session import SessionRecorder

        self._end_history()  # the previous run's session, if any
        history = self.history = SessionRecorder("drill", self._history_bridge.sink)

        def work(progress: Progress) -> DrillSession:
            transcriber = getattr(core, "transcriber", None)

            def transcribe(path: Path) -> str:
                progress(f"transcribing {path.name}…")
                return str(transcriber.text(decode(path))) if transcriber is not None else ""

            candidates = drill_candidates(
                bank=bank,
                recordings=recordings,
                types=types,
                competencies=[competency] if competency else [],
                transcribe=transcribe,
                classify=lambda text: core.classifier.classify(text).question_type,
            )
            assess_fn = assess or assess_with(core, transcriber)
            return DrillSession.start(candidates, count, book, assess_fn, history=history, seed=seed, cover=types)

        self.session = None
        self._clear_answer()
        self.answers_list.clear()
        self.summary_frame.hide()
        self.progress_label.setText("Preparing the drill…")
        self.tasks.run("plan", "picking the questions…", work, self._drill_ready, self._drill_failed)

    def _drill_failed(self, exc: BaseException) -> None:
        self.progress_label.setText("No drill running")
        self.show_error(exc)

    def _drill_ready(self, session: DrillSession) -> None:
        self.session = session
        self._show_question()

    # --- one question ---------------------------------------------------------------------------

    def _show_question(self) -> None:
        session = self.session
        question = session.current if session is not None else None
        if session is None or question is None:
            return
        self.last_answer = None
        self.played_as = None
        self._clear_answer()
        self.progress_label.setText(f"Question {session.index} of {session.total}")
        self.question_label.setText(question.text)
        self.type_chip.setText(question.question_type.replace("_", " "))
        self.type_chip.show()
        self.delivery_label.setText("")
        self._update_buttons()
        self.play_current()

    def play_current(self) -> None:
        question = self.session.current if self.session is not None else None
        if question is None or self.is_busy("play"):
            return
        if self._no_output is not None:
            self._played("text")
            return
        decode, play, synthesize = self._decode, self._play, self._synthesize

        def work(_: Progress) -> str:
            if question.audio is not None:
                play(decode(question.audio))
                return "recording"
            spoken = synthesize(question.text)
            if spoken is None:
                return "text"
            play(spoken)
            return "tts"

        what = "playing the recording…" if question.audio is not None else "speaking the question…"
        self.tasks.run("play", what, work, self._played, lambda exc: self._play_failed(exc))

    def _play_failed(self, exc: BaseException) -> None:
        self._played("text")
        self.show_error(exc)

    def _played(self, how: str) -> None:
        self.played_as = how
        self.delivery_label.setText(
            {
                "recording": "played from your recording",
                "tts": "spoken by espeak-ng",
                "text": "read it: no audio output, or no text-to-speech installed",
            }.get(how, how)
        )

    # --- the answer -----------------------------------------------------------------------------

    def use_answer_file(self, path: Path | str) -> None:
        self.answering.use_file(path)

    def use_answer_samples(self, samples: np.ndarray) -> None:
        self.answering.use_samples(samples)

    def toggle_recording(self) -> None:
        self.answering.toggle()

    def start_recording(self) -> None:
        self.answering.start()

    def stop_recording(self) -> None:
        self.answering.stop()

    def _may_record(self) -> bool:
        waiting = self.session is not None and not self.session.done and self.last_answer is None
        return self._no_mic is None and waiting and not self.is_busy("answer")

    def _recording_started(self) -> None:
        self.tasks.set_status("recording… press Space or Stop when you are done")
        self._update_buttons()

    def _answer(self, get_samples: Callable[[], np.ndarray], audio: Path | None, status: str) -> None:
        session = self.session
        if session is None or session.done or self.last_answer is not None or self.is_busy("answer"):
            return

        def work(progress: Progress) -> DrillAnswer:
            samples = get_samples()
            progress(status)
            return session.answer(samples, audio)

        self._clear_answer()
        self.feedback_panel.waiting(status)
        self.tasks.run("answer", status, work, lambda result: self._answered(session, result), self._answer_failed)

    def _answer_failed(self, exc: BaseException) -> None:
        self.feedback_panel.failed()
        self.show_error(exc)

    def _answered(self, session: DrillSession, result: DrillAnswer) -> None:
        if session is not self.session:
            return  # a new drill was started meanwhile
        self.last_answer = result
        self.render_answer(result)
        self._add_result_row(result)
        self._render_types()
        if session.done:
            self._render_summary(session)
            self._end_history()
        self._update_buttons()

    def next_question(self) -> None:
        if self.session is not None and not self.session.done and self.last_answer is not None:
            self._show_question()

    # --- rendering ------------------------------------------------------------------------------

    def _clear_answer(self) -> None:
        self.feedback_panel.clear()
        self.score_label.setText("–")

    def render_answer(self, result: DrillAnswer) -> None:
        self.feedback_panel.render(result.feedback)
        self.score_label.setText(score_html(result.score))

    def _add_result_row(self, result: DrillAnswer) -> None:
        word, colour = score_level(result.score)
        kind = result.question.question_type.replace("_", " ")
        item = QListWidgetItem(f"Q{result.index} · {kind} · {result.score:.2f} {word}\n{result.question.text}")
        item.setForeground(QColor(colour))
        item.setToolTip("\n".join(result.feedback.suggestions) or "Nothing to add")
        self.answers_list.addItem(item)
        self.answers_list.scrollToBottom()

    def _render_types(self) -> None:
        this_drill = self.session.mean_by_type() if self.session is not None else {}
        means = self.book.means()
        weights = type_weights(means, DRILL_TYPES)
        total = sum(weights.values())
        self.types_table.setRowCount(len(DRILL_TYPES))
        for row, kind in enumerate(sorted(DRILL_TYPES, key=lambda t: means.get(t, 2.0))):
            cells = [
                (kind.replace("_", " "), None),
                self._score_cell(this_drill.get(kind)),
                self._score_cell(means.get(kind), untried="not\nyet"),
                (f"{weights[kind] / total:.0%}", None),
            ]
            for col, (text, colour) in enumerate(cells):
                item = QTableWidgetItem(text)
                if colour:
                    item.setForeground(QColor(colour))
                self.types_table.setItem(row, col, item)
        self._fit_types_table()

    def _fit_types_table(self) -> None:
        """As tall as its rows, which wrap to the column's width: the spare height goes to the answers."""
        table = self.types_table
        table.resizeRowsToContents()
        table.setFixedHeight(
            table.horizontalHeader().sizeHint().height() + table.verticalHeader().length() + 2 * table.frameWidth()
        )

    @staticmethod
    def _score_cell(score: float | None, untried: str = "–") -> tuple[str, str | None]:
        if score is None:
            return untried, color("text_muted")
        word, colour = score_level(score)
        return f"{score:.2f}\n{word}", colour

    def _render_summary(self, session: DrillSession) -> None:
        summary: DrillSummary = session.summary()
        rows = "".join(
            f"<tr><td style='padding-right:12px'>{html.escape(kind.replace('_', ' '))}</td><td>{score_html(mean)}</td></tr>"
            for kind, mean in summary.mean_score_by_type.items()
        )
        drilled = self.book.means()
        if len(drilled) < 2:  # one type drilled so far: "weakest" would name the only one there is
            only = ", ".join(t.replace("_", " ") for t in drilled) or "–"
            verdict = f"Only {html.escape(only)} drilled so far: drill other types too to see which is weakest."
        else:
            weakest = ", ".join(t.replace("_", " ") for t in summary.weakest_types)
            weakest = weakest or "none: your types score the same"
            verdict = f"Weakest over recent drills: <b>{html.escape(weakest)}</b>; they come back more often next time."
        self.summary_label.setText(f"{summary.questions} questions answered.<table>{rows}</table><p>{verdict}</p>")
        self.summary_frame.show()
        self.progress_label.setText(f"Drill done: {session.total} of {session.total} answered")
        self.tasks.set_status("drill done; scores saved")

    def summary_text(self) -> str:
        return self.summary_label.text() if self.summary_frame.isVisibleTo(self) else ""

    # --- closing --------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self._history_bridge.close()
        self._end_history()
        self.answering.close("drill-mic-stop")
        self.closing.emit()
        super().closeEvent(event)


def open_drill_window(parent: QWidget | None = None, core: Any = None) -> DrillWindow:
    """The drill on the live window's core (already loaded; the story index has one owner per process)."""
    window = DrillWindow(core, parent=parent)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    return window
