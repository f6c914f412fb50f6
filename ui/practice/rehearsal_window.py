"""The rehearsal room: pick a question (from the bank, typed, or a recording), see its cards, answer it
out loud and read the feedback.

Everything slow (the pipeline, transcribing the answer, decoding files, playing audio, stopping the
microphone) runs in a `BackgroundTask`; the window only renders results. What an answer is judged
against is copilot/practice/answering.py's; the Record and Answer-file buttons and the feedback panel
are the drill's too (ui/practice/answer_recording.py). The core's functions are injected (`rehearse`,
`feedback`, `decode`, `probe`, `microphone`, `play`), so tests drive the window with fakes and no
model loads.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from copilot.pipeline.knowledge import question_bank
from copilot.practice.answering import (
    Feedback,
    Rehearse,
    cards_for,
    default_feedback,
    feedback_on_answer,
    question_heard,
)
from copilot.practice.feedback import AnswerFeedback
from copilot.practice.rehearse import RehearsalInput, RehearsalResult, rehearse_one
from ui.common.bridge import Progress
from ui.common.theme import set_window_sheet
from ui.common.widgets import (
    REHEARSAL_STYLE,
    Card,
    SharedSplitter,
    TaskRunner,
    WindowErrors,
    bullet_html,
    section_title,
    set_central,
    type_chip_row,
    wrapped_label,
)
from ui.practice.answer_recording import (
    AUDIO_FILTER,
    AnswerRecording,
    FeedbackPanel,
    HistoryMessages,
    default_decode,
    default_microphone,
    default_play,
    probe_audio_devices,
)

log = logging.getLogger(__name__)
ALL_TYPES = "All types"


@dataclass(frozen=True)
class PickedQuestion:
    """A bank or typed question (`text`) or a recording (`audio`)."""

    text: str | None = None
    label: str | None = None
    audio: Path | None = None

    @property
    def display(self) -> str:
        return self.text if self.text is not None else f"🎧 {self.audio.name if self.audio else ''}"


class RehearsalWindow(QMainWindow):
    closing = Signal()

    def __init__(
        self,
        core: Any = None,
        *,
        rehearse: Rehearse = rehearse_one,
        feedback: Feedback = default_feedback,
        decode: Callable[[Path], np.ndarray] = default_decode,
        bank: Sequence[Any] | None = None,
        probe: Callable[[], tuple[str | None, str | None]] = probe_audio_devices,
        microphone: Callable[[], Any] = default_microphone,
        play: Callable[[np.ndarray], None] = default_play,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rehearsal room — Interview Copilot")
        set_window_sheet(self, REHEARSAL_STYLE)
        self.resize(1360, 860)
        self.core = core
        self._rehearse, self._feedback, self._decode = rehearse, feedback, decode
        self._play = play
        self._bank = list(bank) if bank is not None else list(question_bank())
        self._question: PickedQuestion | None = None
        self._extras: list[PickedQuestion] = []  # typed questions and recordings, newest first
        self._cards: RehearsalResult | None = None  # the last rehearse result for the current question
        self._question_id = 0
        self._no_mic: str | None = "Checking for a microphone…"
        self._no_output: str | None = "Checking for an audio output…"
        self.answering = AnswerRecording(self, microphone, decode, self._may_record)
        self.answering.error.connect(self.show_error)
        self.answering.started.connect(self._recording_started)
        self.answering.answer.connect(self._answer)
        self.recorder = self.answering.recorder
        # Session history: one "rehearsal" session per window, opened at the first question.
        self.history: Any = None  # copilot.history.session.SessionRecorder, once a question was asked
        self._cards_id: int | None = None  # the question id the current cards were recorded under
        self._history_bridge = HistoryMessages(self)
        self._history_bridge.error.connect(self.show_error)
        self._build()
        self.open_action = QAction("Open recordings…", self, shortcut=QKeySequence("Ctrl+O"))
        self.open_action.triggered.connect(self._open_recordings_dialog)
        self.addAction(self.open_action)
        self._fill_list()
        self._update_buttons()
        self.tasks.run(
            "devices", "checking audio devices…", lambda _: probe(), self._devices_probed, self._devices_failed
        )

    # --- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.banner = WindowErrors(log, "rehearsal")
        splitter = SharedSplitter((170, 270, 300), (0.26, 0.38, 0.36))  # all three fit an 800 px screen
        splitter.addWidget(self._build_picker())
        splitter.addWidget(self._build_cards())
        splitter.addWidget(self._build_answer())
        set_central(self, self.banner, splitter)
        self.tasks = TaskRunner(self, self.show_error, quiet_jobs=("devices",))
        self.tasks.changed.connect(self._update_buttons)
        self.busy_bar, self.status_label = self.tasks.busy_bar, self.tasks.status_label

    def _build_picker(self) -> QWidget:
        self.type_combo = QComboBox()
        self.type_combo.addItem(ALL_TYPES, None)
        for label in sorted({q.label for q in self._bank}):
            self.type_combo.addItem(label.replace("_", " "), label)
        self.type_combo.currentIndexChanged.connect(lambda _: self._fill_list())
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search the bank…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setAccessibleName("Search the question bank")
        self.search_edit.textChanged.connect(lambda _: self._fill_list())
        self.question_list = QListWidget()
        self.question_list.setAccessibleName("Questions")
        self.question_list.setWordWrap(True)
        self.question_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.question_list.currentItemChanged.connect(self._on_pick)
        self.typed_edit = QLineEdit()
        self.typed_edit.setPlaceholderText("Or type your own question and press Enter")
        self.typed_edit.setAccessibleName("Your own question")
        self.typed_edit.returnPressed.connect(lambda: self.use_typed_question(self.typed_edit.text()))
        self.open_button = QPushButton("Open recordings…")
        self.open_button.setToolTip("Add recorded questions (audio files) to the list (Ctrl+O)")
        self.open_button.clicked.connect(self._open_recordings_dialog)
        self.count_label = QLabel()
        self.count_label.setObjectName("hint")
        self.count_label.setWordWrap(True)  # "480 of 480 bank questions · 3 of yours" is wider than the list at 800 px
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(section_title("Questions"))
        layout.addWidget(self.type_combo)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.question_list, 1)
        layout.addWidget(self.count_label)
        layout.addWidget(self.typed_edit)
        layout.addWidget(self.open_button)  # its own row: beside the type filter it was cut on a laptop screen
        return panel

    def _build_cards(self) -> QWidget:
        self.question_label = wrapped_label("Pick a question on the left.", "question")
        self.play_button = QPushButton("▶ Play question")
        self.play_button.clicked.connect(self.play_question)
        self.cards_button = QPushButton("Show cards")
        self.cards_button.setObjectName("primary")
        self.cards_button.clicked.connect(self.show_cards)
        buttons = QHBoxLayout()
        buttons.addWidget(self.play_button)
        buttons.addWidget(self.cards_button)
        buttons.addStretch(1)
        self.type_chip, self.confidence_label, chips = type_chip_row()
        self.bullets_frame = QFrame()
        self.bullets_frame.setObjectName("bullets")
        self.bullets_label = wrapped_label("", "bulletText")
        self.bullets_label.setTextFormat(Qt.TextFormat.RichText)
        bl = QVBoxLayout(self.bullets_frame)
        bl.setContentsMargins(12, 8, 12, 8)
        bl.addWidget(section_title("Say this"))
        bl.addWidget(self.bullets_label)
        self.cards_layout = QVBoxLayout()
        self.cards_layout.setSpacing(8)
        host = QWidget()
        host.setObjectName("cardsHost")
        layout = QVBoxLayout(host)
        layout.setContentsMargins(8, 0, 12, 8)
        layout.addWidget(self.question_label)
        layout.addLayout(buttons)
        layout.addLayout(chips)
        layout.addWidget(self.bullets_frame)
        layout.addLayout(self.cards_layout)
        layout.addStretch(1)
        self._clear_cards()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(host)
        return scroll

    def _build_answer(self) -> QWidget:
        self.record_button, self.answer_file_button = self.answering.record_button, self.answering.file_button
        buttons = QHBoxLayout()
        buttons.addWidget(self.record_button)
        buttons.addWidget(self.answer_file_button)
        buttons.addStretch(1)
        self.feedback_panel = FeedbackPanel(
            (("pace", "words / min"), ("fillers", "fillers"), ("pause", "longest pause"), ("duration", "duration")),
            transcript_height=(110, 170),
        )
        panel = self.feedback_panel
        self.transcript_view, self.metric_labels = panel.transcript_view, panel.metric_labels
        self.checks_label, self.suggestions_label = panel.checks_label, panel.suggestions_label
        metrics = QGridLayout()  # two by two: four boxes in a row would not fit a laptop screen's panel
        for i, box in enumerate(panel.metric_boxes):
            metrics.addWidget(box, i // 2, i % 2)
        self.story_label = wrapped_label("")
        host = QWidget()
        host.setObjectName("panelHost")
        layout = QVBoxLayout(host)
        layout.setContentsMargins(10, 0, 10, 8)
        layout.addWidget(section_title("Your answer"))
        layout.addLayout(buttons)
        layout.addWidget(self.transcript_view)
        layout.addSpacing(4)
        layout.addWidget(section_title("Delivery"))
        layout.addLayout(metrics)
        layout.addSpacing(4)
        layout.addWidget(section_title("Checks"))
        layout.addWidget(self.checks_label)
        layout.addSpacing(4)
        layout.addWidget(section_title("Suggestions"))
        layout.addWidget(self.suggestions_label)
        layout.addSpacing(4)
        layout.addWidget(section_title("Matched story"))
        layout.addWidget(self.story_label)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(host)
        return scroll

    # --- background plumbing --------------------------------------------------------------------

    def is_busy(self, job: str | None = None) -> bool:
        return self.tasks.is_busy(job)

    def show_error(self, exc: BaseException | str) -> None:
        self.banner.show_error(exc)

    def history_recorder(self) -> Any:
        """The window's history session, made at the first use; it opens the store on its own thread."""
        if self.history is None:
            from copilot.history.session import SessionRecorder

            self.history = SessionRecorder("rehearsal", self._history_bridge.sink)
        return self.history

    def set_core(self, core: Any) -> None:
        self.core = core
        self._update_buttons()

    def _update_buttons(self) -> None:
        q = self._question
        ready = self.core is not None
        self.cards_button.setEnabled(ready and q is not None and not self.is_busy("cards"))
        self.cards_button.setToolTip("" if ready else "The models are still loading")
        can_play = q is not None and q.audio is not None and self._no_output is None and not self.is_busy("play")
        self.play_button.setEnabled(can_play)
        if self._no_output is not None:
            self.play_button.setToolTip(self._no_output)
        elif q is not None and q.audio is None:
            self.play_button.setToolTip("Bank and typed questions have no recording; read it aloud")
        else:
            self.play_button.setToolTip("Play the recorded question")
        answering = self.is_busy("feedback") or self.is_busy("stop")
        self.answering.update(can_answer=ready and q is not None and not answering, no_mic=self._no_mic)

    def _devices_probed(self, reasons: tuple[str | None, str | None]) -> None:
        self._no_mic, self._no_output = reasons

    def _devices_failed(self, exc: BaseException) -> None:
        self._no_mic = self._no_output = f"Audio devices unavailable: {exc}"

    # --- picking a question ---------------------------------------------------------------------

    def _fill_list(self) -> None:
        wanted = self.type_combo.currentData()
        needle = self.search_edit.text().strip().lower()
        current = self._question
        self.question_list.blockSignals(True)
        self.question_list.clear()
        extra = list(self._extras)
        shown = 0
        for q in extra + [PickedQuestion(b.text, b.label) for b in self._bank]:
            if q.audio is None and q not in extra:
                if wanted is not None and q.label != wanted:
                    continue
                if needle and needle not in (q.text or "").lower():
                    continue
                shown += 1
            item = QListWidgetItem(q.display)
            item.setData(Qt.ItemDataRole.UserRole, q)
            item.setToolTip(str(q.audio) if q.audio else (q.label or "typed").replace("_", " "))
            self.question_list.addItem(item)
            if q == current:
                self.question_list.setCurrentItem(item)
        self.question_list.blockSignals(False)
        self.count_label.setText(f"{shown} of {len(self._bank)} bank questions · {len(extra)} of yours")

    def _on_pick(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None:
            self.select_question(item.data(Qt.ItemDataRole.UserRole))

    def select_question(self, question: PickedQuestion) -> None:
        if question == self._question:
            return
        self._question = question
        self._cards, self._cards_id = None, None
        self.question_label.setText(question.text if question.text is not None else str(question.audio))
        self.question_label.setObjectName("question" if question.text is not None else "questionPartial")
        self.question_label.style().polish(self.question_label)
        self._clear_cards()
        self._clear_feedback()
        self._update_buttons()

    def select_bank_question(self, text: str) -> None:
        for row in range(self.question_list.count()):
            item = self.question_list.item(row)
            if item.data(Qt.ItemDataRole.UserRole).text == text:
                self.question_list.setCurrentItem(item)
                return
        raise KeyError(text)

    def use_typed_question(self, text: str) -> None:
        text = " ".join(text.split())
        if not text:
            return
        self._add_extra(PickedQuestion(text, None))
        self.typed_edit.clear()

    def add_recordings(self, paths: Sequence[Path | str]) -> None:
        for path in paths:
            self._add_extra(PickedQuestion(audio=Path(path)))

    def _add_extra(self, question: PickedQuestion) -> None:
        extras = self._extras
        if question not in extras:
            extras.insert(0, question)
        self._question = None  # so _fill_list + select re-render
        self.select_question(question)
        self._fill_list()

    def _open_recordings_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open recorded questions", "", AUDIO_FILTER)
        if paths:
            self.add_recordings(paths)

    def play_question(self) -> None:
        q = self._question
        if q is None or q.audio is None:
            return
        decode, play, path = self._decode, self._play, q.audio
        self.tasks.run("play", f"playing {path.name}…", lambda _: play(decode(path)), lambda _: None)

    # --- cards ----------------------------------------------------------------------------------

    def show_cards(self) -> None:
        q = self._question
        if q is None or self.core is None or self.is_busy("cards"):
            return
        self._question_id += 1
        core, rehearse, number = self.core, self._rehearse, self._question_id
        item = RehearsalInput(audio=q.audio, text=q.text)
        self._clear_cards()
        self.bullets_label.setText("<i>Thinking…</i>")
        self.bullets_frame.show()
        self.tasks.run(
            "cards",
            "running the pipeline…",
            lambda _: cards_for(core, item, number, rehearse),
            lambda result: self._cards_ready(q, result, number),
            lambda exc: self._cards_failed(q, exc),
        )

    def _cards_ready(self, question: PickedQuestion, result: RehearsalResult, number: int) -> None:
        self.history_recorder().record_rehearsal(result.to_dict(), number)  # question, cards, bullets, timings
        if question != self._question:
            return  # the user moved on while it ran
        self._cards, self._cards_id = result, number
        self.render_cards(result)

    def _cards_failed(self, question: PickedQuestion, exc: BaseException) -> None:
        if question == self._question:
            self._clear_cards()
        self.show_error(exc)

    def _clear_cards(self) -> None:
        self.type_chip.hide()
        self.confidence_label.clear()
        self.bullets_frame.hide()
        while self.cards_layout.count():
            item = self.cards_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()

    def render_cards(self, result: RehearsalResult) -> None:
        self._clear_cards()
        if self._question is not None and self._question.audio is not None:
            self.question_label.setText(result.transcript or str(self._question.audio))
            self.question_label.setObjectName("question")
            self.question_label.style().polish(self.question_label)
        self.type_chip.setText(result.question_type.replace("_", " "))
        self.type_chip.show()
        self.confidence_label.setText(f"confidence {result.type_confidence:.0%}")
        self.bullets_label.setText(bullet_html(list(result.bullets)) or "<i>No bullets for this one.</i>")
        self.bullets_frame.show()
        # Best match first, as the live window shows them (the result lists them in retrieval order).
        for kind, hits in (
            ("framework", result.frameworks),
            ("story", result.stories_best_first()),
            ("topic", result.topics),
        ):
            for hit in hits:
                body = f"score {hit.score:.2f}" if hit.score is not None else ""
                card = Card(kind, hit.title or hit.id, html.escape(body))
                card.setProperty("card_id", hit.id)
                self.cards_layout.addWidget(card)

    def card_titles(self) -> list[str]:
        titles = []
        for i in range(self.cards_layout.count()):
            item = self.cards_layout.itemAt(i)
            widget = item.widget() if item is not None else None
            if isinstance(widget, Card):
                titles.append(widget.title.text())
        return titles

    # --- the answer -----------------------------------------------------------------------------

    def use_answer_file(self, path: Path | str) -> None:
        self.answering.use_file(path)

    def toggle_recording(self) -> None:
        self.answering.toggle()

    def start_recording(self) -> None:
        self.answering.start()

    def stop_recording(self) -> None:
        self.answering.stop()

    def _may_record(self) -> bool:
        return self._no_mic is None and self._question is not None

    def _recording_started(self) -> None:
        self.status_label.setText("recording… press Stop when you are done")
        self._update_buttons()

    def _answer(self, get_samples: Callable[[], np.ndarray], _answer_file: Path | None, status: str) -> None:
        q = self._question
        if q is None or self.core is None or self.is_busy("feedback"):
            return
        core, rehearse, feedback = self.core, self._rehearse, self._feedback
        cards, cards_id = self._cards, self._cards_id
        self._question_id += 1
        number = self._question_id

        def work(progress: Progress) -> AnswerFeedback:
            samples = get_samples()
            if q.text is None and cards is None:
                progress("transcribing the question…")
            heard = question_heard(core, q.text, q.audio, cards, number, rehearse)
            progress(status)
            return feedback_on_answer(core, heard, samples, feedback)

        self.feedback_panel.waiting(status)
        self.story_label.clear()
        self.tasks.run(
            "feedback",
            status,
            work,
            lambda result: self._feedback_ready(
                q, result, number if cards_id is None else cards_id, cards_id is not None
            ),
            self._feedback_failed,
        )

    def _feedback_failed(self, exc: BaseException) -> None:
        self.feedback_panel.failed()
        self.show_error(exc)

    def _feedback_ready(
        self, question: PickedQuestion, result: AnswerFeedback, question_id: int, had_cards: bool
    ) -> None:
        history = self.history_recorder()
        if not had_cards:  # the question was recorded with its cards; else record it now
            text = question.text or result.question
            history.record("question", {"question_id": question_id, "final": True, "text": text})
        history.record("feedback", {"question_id": question_id, **result.to_dict()})
        if question != self._question:
            return
        self.render_feedback(result)

    def _clear_feedback(self) -> None:
        self.feedback_panel.clear()
        self.story_label.clear()

    def render_feedback(self, result: AnswerFeedback) -> None:
        self.feedback_panel.render(result)
        story = result.matched_story
        if story:
            self.story_label.setText(f"{story.title or story.id}  ·  score {story.score:.2f}")
        else:
            self.story_label.setText("No story from your library matched this answer.")

    # --- closing --------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self._history_bridge.close()
        if self.history is not None:
            self.history.close()  # the end time and the store's closing happen on its own thread
        self.answering.close("rehearsal-mic-stop")
        self.closing.emit()
        super().closeEvent(event)


def open_rehearsal_window(
    stories: str | None = None, parent: QWidget | None = None, core: Any = None
) -> RehearsalWindow:
    """The window, shown at once. With `core` (the live window's, already loaded) it shares those models:
    the story index has one owner per process, so a second core would be refused. Without one it loads
    its own (no generator: grounded bullets) in the background and closes it with the window."""
    window = RehearsalWindow(parent=parent)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if core is not None:
        window.set_core(core)
        window.show()
        return window

    def load(progress: Progress) -> Any:
        from copilot.composition import open_core
        from copilot.config.settings import load_settings

        return open_core(load_settings(), stories, with_generator=False, progress=progress)

    window.tasks.run("core", "loading the models…", load, window.set_core)
    window.closing.connect(lambda: window.core is not None and window.core.close())
    window.show()
    return window
