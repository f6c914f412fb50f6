"""The live window: transcripts, the current question, its cards and cue bullets.

It renders `LiveViewModel` and turns user actions into signals (`start_requested`, ...); the app's
controller connects those to the session. The window never talks to the core directly, so a test
can drive it with synthetic events and no models. The toolbar's device pickers and pause control
start from the saved settings (the controller calls `select_devices` and `set_pause`) and report
the user's changes (`devices_chosen`, `pause_changed`), which the controller saves.
"""

from __future__ import annotations

import html
from functools import partial

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from copilot.config.settings import NO_MICROPHONE, PAUSE_RANGE
from copilot.events import CANDIDATE, INTERVIEWER, Hit
from ui.common.theme import color, set_window_sheet
from ui.common.widgets import (
    STYLE,
    Card,
    CardContent,
    ElidedComboBox,
    ElidedLabel,
    ErrorBanner,
    LaneView,
    bullet_html,
    section_title,
    set_central,
    type_chip_row,
    wrapped_label,
)
from ui.live.view_models import (
    BULLETS,
    CARDS,
    ERRORS,
    LANES,
    LATENCY,
    QUESTION,
    STATUS,
    LiveViewModel,
    latency_text,
)

METER_INTERVAL_MS = 50  # 20 fps: smooth enough for a level bar, nothing for the CPU
AUDIO_FILTER = "Recordings (*.wav *.flac *.mp3 *.ogg *.m4a);;All files (*)"
STAR = ("situation", "task", "action", "result", "lessons")
MENUS = ("File", "Practice", "Library", "View", "Help")
DEFAULT_SYSTEM = "Default output (monitor)"
DEFAULT_MIC = "Default microphone"
PREAMBLE_WORDS = 40  # of the context before the question shown above it
CARD_SLOTS = 7  # cards made with the window: a framework, three stories and three topics (the defaults)


class LiveWindow(QMainWindow):
    start_requested = Signal()
    stop_requested = Signal()
    replay_requested = Signal(str)
    answer_now_requested = Signal()
    devices_chosen = Signal(str, str)  # the user picked a device: (system audio, microphone) by name
    pause_changed = Signal(float)  # the user changed the pause that ends a question, in seconds
    closing = Signal()

    def __init__(self, model: LiveViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setWindowTitle("Interview Copilot")
        self.resize(1280, 800)
        set_window_sheet(self, STYLE)
        # Card widgets are made once and refilled, slot by slot: under the window's style sheet, making
        # and polishing a card costs 5-15 ms of GUI time, and each question's cards arrive several times.
        self._card_pool: list[Card] = []
        self._build_actions()
        self._build_toolbar()
        self._build_menus()
        self._build_central()
        self._grow_card_pool(CARD_SLOTS)  # made (and styled) before the first question, not during it
        self._build_status_bar()
        self.set_core_ready(False)
        self.set_running(False)
        model.subscribe(self._on_model_changed)
        self._meter_timer = QTimer(self)
        self._meter_timer.timeout.connect(self._refresh_meters)
        self._meter_timer.start(METER_INTERVAL_MS)
        for what in (LANES, QUESTION, CARDS, BULLETS, LATENCY, STATUS, ERRORS):
            self._on_model_changed(what)

    # --- building -------------------------------------------------------------------------------

    def _action(self, text: str, shortcut: str, tip: str) -> QAction:
        """An action whose tooltip names its shortcut; menus show the shortcut beside the text."""
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{tip} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})")
        self.addAction(action)  # the shortcut works with the menu bar hidden too
        return action

    def _build_actions(self) -> None:
        self.start_action = self._action(
            "▶ Start", "F5", "Listen to system audio (interviewer) and the microphone (you)"
        )
        self.start_action.triggered.connect(self.start_requested)
        self.stop_action = self._action("■ Stop", "Shift+F5", "Stop listening")
        self.stop_action.triggered.connect(self.stop_requested)
        self.replay_action = self._action(
            "Replay file…", "Ctrl+O", "Play a recording as the interviewer, to try the app without a call"
        )
        self.replay_action.triggered.connect(self._ask_replay_file)
        self.answer_action = self._action(
            "Answer now", "Ctrl+Return", "Treat what the interviewer said so far as the question"
        )
        self.answer_action.triggered.connect(self.answer_now_requested)
        self.on_top_action = self._action("Always on top", "Ctrl+T", "Keep this window above the call")
        self.on_top_action.setCheckable(True)
        self.on_top_action.toggled.connect(self.set_always_on_top)
        self.quit_action = self._action("Quit", "Ctrl+Q", "Close the app")
        self.quit_action.triggered.connect(self.close)
        self.shortcuts_action = self._action("Keyboard shortcuts", "F1", "Every action and its key")
        self.shortcuts_action.triggered.connect(self.show_shortcuts)

    def _build_menus(self) -> None:
        """File, Practice, Library, View, Help; the app adds the windows it opens (`add_menu_action`)."""
        bar = self.menuBar()
        self.menus: dict[str, QMenu] = {name: bar.addMenu(f"&{name}") for name in MENUS}
        self.menus["File"].addAction(self.replay_action)
        self.menus["Practice"].addActions([self.start_action, self.stop_action, self.answer_action])
        self.menus["Practice"].addSeparator()
        view = self.menus["View"]
        view.addAction(self.on_top_action)
        toolbar_toggle = self.session_bar.toggleViewAction()
        toolbar_toggle.setText("Toolbar")
        view.addAction(toolbar_toggle)
        self.menus["Help"].addAction(self.shortcuts_action)

    def add_menu_action(self, menu: str, action: QAction) -> None:
        """A window or dialog the app opens, in its menu; its shortcut works whether the menu is open or not."""
        self.menus[menu].addAction(action)
        self.addAction(action)

    def finish_menus(self) -> None:
        """Quit goes last in File, once the app has added its entries."""
        self.menus["File"].addSeparator()
        self.menus["File"].addAction(self.quit_action)

    def shortcut_rows(self) -> list[tuple[str, str, str]]:
        """(menu, action, shortcut) for every menu entry that has a shortcut, in menu order."""
        rows = []
        for name, menu in self.menus.items():
            for action in menu.actions():
                keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                if keys and not action.isSeparator():
                    rows.append((name, action.text().replace("&", "").lstrip("▶■ "), keys))
        return rows

    def show_shortcuts(self) -> None:
        rows = "".join(
            f"<tr><td>{html.escape(m)}</td><td>{html.escape(a)}</td><td><b>{html.escape(k)}</b></td></tr>"
            for m, a, k in self.shortcut_rows()
        )
        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts — Interview Copilot")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(
            f"<table cellpadding='4'>{rows}</table><p>Tab moves between controls; Enter opens a story card.</p>"
        )
        box.open()

    def _build_toolbar(self) -> None:
        bar = QToolBar("Session")
        bar.setObjectName("sessionBar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.start_action, self.stop_action, self.replay_action, self.answer_action):
            bar.addAction(action)
        self.session_bar = bar
        self.addToolBar(bar)
        # The devices on a toolbar of their own, which moves to a second row when the window is too
        # narrow for both (see resizeEvent): nothing is ever cut off the right edge.
        bar = QToolBar("Audio")
        bar.setObjectName("audioBar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.audio_bar = bar
        self.system_combo = ElidedComboBox()
        self.system_combo.setToolTip("Where the interviewer's voice comes from")
        self.system_combo.setAccessibleName("Interviewer audio device")
        self.mic_combo = ElidedComboBox()
        self.mic_combo.setToolTip("Your microphone")
        self.mic_combo.setAccessibleName("Your microphone")
        for combo in (self.system_combo, self.mic_combo):
            # Long device names would widen the toolbar past a laptop screen; the list shows them whole.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(16)
        bar.addWidget(_buddy(" Interviewer ", self.system_combo))
        bar.addWidget(self.system_combo)
        bar.addWidget(_buddy("  You ", self.mic_combo))
        bar.addWidget(self.mic_combo)
        self.pause_spin = QDoubleSpinBox()
        self.pause_spin.setRange(*PAUSE_RANGE)
        self.pause_spin.setSingleStep(0.05)
        self.pause_spin.setDecimals(2)
        self.pause_spin.setSuffix(" s")
        self.pause_spin.setToolTip(
            "How long the interviewer must pause before the question is answered; shorter is faster "
            "but may cut a question that has a hesitation in it"
        )
        self.pause_spin.setAccessibleName("Pause that ends a question, in seconds")
        self._setting_pause = False
        self.pause_spin.valueChanged.connect(self._on_pause_edited)
        bar.addWidget(_buddy("  Pause ", self.pause_spin))
        bar.addWidget(self.pause_spin)
        # `activated` fires for the user's picks only, not when the list is filled or preselected.
        self.system_combo.activated.connect(self._on_device_picked)
        self.mic_combo.activated.connect(self._on_device_picked)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)  # pushes the toggle right
        bar.addWidget(spacer)
        bar.addAction(self.on_top_action)
        self.addToolBar(bar)
        for toolbar in (self.session_bar, self.audio_bar):
            for action in toolbar.actions():
                if (button := toolbar.widgetForAction(action)) is not None and not action.isSeparator():
                    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a tool button is skipped by Tab otherwise
        self.set_devices([], [], None)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._wrap_toolbars()

    def _wrap_toolbars(self) -> None:
        """One toolbar row when both fit, else the audio pickers on a second row (an overflow without a menu)."""
        need = self.session_bar.sizeHint().width() + self.audio_bar.sizeHint().width()
        wrapped = self.toolBarBreak(self.audio_bar)
        if need > self.width() and not wrapped:
            self.insertToolBarBreak(self.audio_bar)
        elif need <= self.width() and wrapped:
            self.removeToolBarBreak(self.audio_bar)

    def _build_central(self) -> None:
        self.banner = ErrorBanner()
        self.banner.dismissed.connect(self.model.dismiss_errors)
        self.interviewer_lane = LaneView("Interviewer", "What the interviewer says appears here as they speak.")
        self.you_lane = LaneView("You", "Your own answer is transcribed here, for feedback.")
        lanes = QSplitter(Qt.Orientation.Vertical)
        lanes.addWidget(self.interviewer_lane)
        lanes.addWidget(self.you_lane)
        lanes.setSizes([500, 250])
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(lanes)
        splitter.addWidget(self._build_answer_panel())
        splitter.setSizes([420, 860])
        set_central(self, self.banner, splitter)

    def _build_answer_panel(self) -> QWidget:
        self.question_label = wrapped_label("", "question")
        self.preamble_label = wrapped_label("", "muted")  # the turn's context, greyed above the question
        self.preamble_label.hide()
        self.type_chip, self.confidence_label, chips = type_chip_row()
        self.bullets_box = Card("Cue bullets", "")
        self.bullets_box.setObjectName("bullets")
        self.bullets_box.title.setObjectName("bulletSource")
        self.bullets_box.body.setObjectName("bulletText")
        self.bullets_label = self.bullets_box.body
        self.bullets_source = self.bullets_box.title
        self.cards_layout = QVBoxLayout()
        self.cards_layout.setSpacing(8)
        cards_host = QWidget()
        cards_host.setObjectName("cardsHost")  # styled dark: a scroll area's content is light by default
        host_layout = QVBoxLayout(cards_host)
        host_layout.setContentsMargins(0, 0, 6, 0)
        host_layout.addLayout(self.cards_layout)
        self.no_cards_label = wrapped_label("No cards yet.", "muted")
        host_layout.addWidget(self.no_cards_label)
        host_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(cards_host)
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(10, 0, 0, 0)
        layout.addWidget(section_title("Question"))
        layout.addWidget(self.preamble_label)
        layout.addWidget(self.question_label)
        layout.addLayout(chips)
        layout.addSpacing(6)
        layout.addWidget(self.bullets_box)
        layout.addSpacing(6)
        layout.addWidget(section_title("Framework, your stories, topics"))
        layout.addWidget(scroll, 1)
        return panel

    def _build_status_bar(self) -> None:
        # The status text gives way on a narrow window ("…" in its middle, full text in its tooltip);
        # the timings do not.
        self.status_label = ElidedLabel()
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.latency_label = QLabel()
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.latency_label)

    # --- state the controller sets --------------------------------------------------------------

    def set_core_ready(self, ready: bool) -> None:
        self._core_ready = ready
        self._update_actions()

    def set_running(self, running: bool) -> None:
        self._running = running
        self._update_actions()

    def _update_actions(self) -> None:
        ready, running = getattr(self, "_core_ready", False), getattr(self, "_running", False)
        self.start_action.setEnabled(ready and not running)
        self.replay_action.setEnabled(ready and not running)
        self.stop_action.setEnabled(running)
        self.answer_action.setEnabled(running)
        self.system_combo.setEnabled(not running)
        self.mic_combo.setEnabled(not running)
        self.pause_spin.setEnabled(not running)  # a session keeps the pause it started with

    def set_devices(self, systems: list[tuple[str, object]], mics: list[tuple[str, object]], note: str | None) -> None:
        """Fill the pickers; the first entry of each is the system default. `note` explains a problem."""
        for combo, rows, default in (
            (self.system_combo, systems, DEFAULT_SYSTEM),
            (self.mic_combo, mics, DEFAULT_MIC),
        ):
            combo.clear()
            combo.addItem(default, None)
            for label, data in rows:
                combo.addItem(label, data)
        self.mic_combo.addItem("No microphone", NO_MICROPHONE)
        if note:
            self.mic_combo.setToolTip(note)

    def select_devices(self, system_audio: str, microphone: str) -> list[str]:
        """Preselect saved devices, given by name ("" = the default); a missing one leaves the default.

        Returns a note for each saved device that is not in the lists, naming it.
        """
        missing = []
        for combo, saved, what, default in (
            (self.system_combo, system_audio, "interviewer audio device", DEFAULT_SYSTEM),
            (self.mic_combo, microphone, "microphone", DEFAULT_MIC),
        ):
            index = 0 if not saved else combo.findData(saved)
            if index < 0:
                index = combo.findText(saved, Qt.MatchFlag.MatchExactly)  # microphones carry an index
            if index < 0:
                missing.append(
                    f"The saved {what} “{saved}” is not connected; using “{default}” instead. "
                    "Plug it in and restart, or pick another one in the toolbar."
                )
                index = 0
            combo.setCurrentIndex(index)
        return missing

    def device_choice(self) -> tuple[str, str]:
        """The pickers as they are saved: (system audio, microphone) by name, "" for the default."""
        system = "" if self.system_combo.currentData() is None else self.system_combo.currentText()
        mic_data = self.mic_combo.currentData()
        mic = "" if mic_data is None else NO_MICROPHONE if mic_data == NO_MICROPHONE else self.mic_combo.currentText()
        return system, mic

    def selected_devices(self) -> tuple[object, object]:
        """(system device, microphone device); None means the default, "off" no microphone."""
        return self.system_combo.currentData(), self.mic_combo.currentData()

    def set_pause(self, seconds: float) -> None:
        """Show a saved pause; unlike the user's edits, this does not emit `pause_changed`."""
        self._setting_pause = True
        try:
            self.pause_spin.setValue(seconds)
        finally:
            self._setting_pause = False

    def pause_s(self) -> float:
        return float(self.pause_spin.value())

    def _on_pause_edited(self, value: float) -> None:
        if not self._setting_pause:
            self.pause_changed.emit(float(value))

    def _on_device_picked(self, _index: int) -> None:
        self.devices_chosen.emit(*self.device_choice())

    def set_always_on_top(self, on: bool) -> None:
        # Only the stay-on-top hint: the window stays an ordinary, capturable window (DESIGN.md).
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, on)
        self.show()  # changing a window flag hides the window until it is shown again

    # --- rendering ------------------------------------------------------------------------------

    def _on_model_changed(self, what: str) -> None:
        render = {
            LANES: self._render_lanes,
            QUESTION: self._render_question,
            CARDS: self._render_cards,
            BULLETS: self._render_bullets,
            LATENCY: self._render_latency,
            STATUS: self._render_status,
            ERRORS: lambda: self.banner.show_errors(self.model.errors),
        }.get(what)
        if render is not None:
            render()

    def _render_lanes(self) -> None:
        self.interviewer_lane.show_lines(self.model.lanes[INTERVIEWER].lines)
        self.you_lane.show_lines(self.model.lanes[CANDIDATE].lines)

    def _render_question(self) -> None:
        question = self.model.question
        self._render_preamble(question.preamble if question is not None and question.text else "")
        if question is None or not question.text:
            self.question_label.setText("Waiting for the interviewer's question…")
            self.question_label.setObjectName("questionPartial")
            self.type_chip.hide()
            self.confidence_label.clear()
        else:
            self.question_label.setText(question.text)
            self.question_label.setObjectName("question" if question.is_final else "questionPartial")
            self.type_chip.setText(question.question_type.replace("_", " ").capitalize())
            self.type_chip.setVisible(bool(question.question_type))
            confidence = question.confidence
            self.confidence_label.setText("" if confidence is None else f"{confidence:.0%} confident")
        self.question_label.style().polish(self.question_label)  # re-apply the style for the new name

    def _render_preamble(self, preamble: str) -> None:
        words = preamble.split()
        # Half a minute of context would push the question down: its last words, the rest in the tooltip.
        shown = preamble if len(words) <= PREAMBLE_WORDS else "… " + " ".join(words[-PREAMBLE_WORDS:])
        self.preamble_label.setText(shown)
        self.preamble_label.setToolTip(preamble if shown != preamble else "")
        self.preamble_label.setVisible(bool(preamble))

    def _render_bullets(self) -> None:
        bullets = self.model.bullets
        if not bullets.bullets:
            self.bullets_source.setText("Cue bullets appear here once a question is heard.")
            self.bullets_box.set_body("")
            return
        origin = (
            "rewritten by the local model" if bullets.source == "llm" else "drafted from your story and the framework"
        )
        self.bullets_source.setText(f"{origin}{'' if bullets.done else ' · still writing…'}")
        self.bullets_box.set_body(bullet_html(bullets.bullets))

    def _render_cards(self) -> None:
        cards = self.model.cards
        contents = [self._card_content(hit) for hit in (*cards.frameworks, *cards.stories, *cards.topics)]
        self._grow_card_pool(len(contents))
        for card, content in zip(self._card_pool, contents, strict=False):
            card.fill(*content)  # a no-op for a slot whose card is unchanged (a re-sent CardsReady)
            card.show()  # as hide() below: nothing to do for a card already so
        for card in self._card_pool[len(contents) :]:
            card.hide()
        self.no_cards_label.setVisible(not contents)

    def _card_content(self, hit: Hit) -> CardContent:
        if hit.kind == "framework":
            return CardContent("Framework", hit.title, framework_html(hit))
        if hit.kind == "topic":
            return CardContent("Topic", hit.title, topic_html(hit))
        expanded = hit.id in self.model.expanded_stories
        what = "Click or press Enter to collapse" if expanded else "Click or press Enter for the full STAR story"
        return CardContent(story_kind(hit), hit.title, story_html(hit, expanded), what, hit.id)

    def _grow_card_pool(self, size: int) -> None:
        while len(self._card_pool) < size:
            card = Card("", "")
            card.hide()
            card.ensurePolished()
            card.clicked.connect(partial(self._on_card_clicked, card))
            self._card_pool.append(card)
            self.cards_layout.addWidget(card)

    def _on_card_clicked(self, card: Card) -> None:
        if card.tag:  # a story card: the same widget shows its other state, so the focus stays on it
            self.model.toggle_story(card.tag)

    def _render_latency(self) -> None:
        self.latency_label.setText(latency_text(self.model.latency_ms))

    def _render_status(self) -> None:
        self.status_label.set_full_text(self.model.status)

    def _refresh_meters(self) -> None:
        self.interviewer_lane.set_level(self.model.meters[INTERVIEWER].fraction())
        self.you_lane.set_level(self.model.meters[CANDIDATE].fraction())

    # --- user actions ---------------------------------------------------------------------------

    def _ask_replay_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Replay a recorded interviewer turn", "", AUDIO_FILTER)
        if path:
            self.replay_requested.emit(path)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.StyleChange and hasattr(self, "cards_layout"):
            # A new theme (ui/common/theme.py): the cards' rich text carries its own colours; redraw it.
            for card in self._card_pool:
                card.forget_content()  # every card is refilled in the new colours
            self._render_cards()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self._meter_timer.stop()
        self.closing.emit()
        super().closeEvent(event)

    # --- for tests and the screenshot script ----------------------------------------------------

    def card_widgets(self) -> list[Card]:
        items = (self.cards_layout.itemAt(i) for i in range(self.cards_layout.count()))
        return [w for item in items if item is not None and isinstance(w := item.widget(), Card) and not w.isHidden()]


def _buddy(text: str, widget: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(widget)
    return label


def framework_html(hit: Hit) -> str:
    steps = getattr(hit.item, "steps", ())
    items = "".join(f"<li>{html.escape(step)}</li>" for step in steps)
    return f"<ol style='margin-left:-20px'>{items}</ol>" if items else ""


def topic_html(hit: Hit) -> str:
    body = bullet_html(getattr(hit.item, "key_points", ()))
    pitfall = getattr(hit.item, "pitfall", "")
    if pitfall:
        body += f"<p style='color:{color('warning')}'>Pitfall: {html.escape(pitfall)}</p>"
    return body


def story_kind(hit: Hit) -> str:
    return f"Your story · match {hit.score:.2f}"


def story_html(hit: Hit, expanded: bool) -> str:
    story = hit.item
    competencies = ", ".join(getattr(story, "competencies", ()))
    meta = " · ".join(str(x) for x in (getattr(story, "role", None), getattr(story, "year", None)) if x)
    head = f"<p style='color:{color('text_muted')}'>{html.escape(' — '.join(x for x in (meta, competencies) if x))}</p>"
    head += reason_html(hit.reason)
    if not expanded:
        result = story.section("result") if hasattr(story, "section") else ""
        teaser = f"<p><b>Result:</b> {html.escape(first_sentence(result))}</p>" if result else ""
        return head + teaser + f"<p style='color:{color('link')}'>Click for the full STAR story ▸</p>"
    parts = [head]
    for name in STAR:
        text = story.section(name)
        if text:
            parts.append(f"<p><b>{name.capitalize()}</b><br>{html.escape(text).replace(chr(10), '<br>')}</p>")
    return "".join(parts)


def reason_html(reason: str) -> str:
    """Why the retriever chose the story ("ownership, cost reduction: Action section"), one greyed line."""
    if not reason:
        return ""
    return f"<p style='color:{color('text_muted')}; font-style:italic'>Why: {html.escape(reason)}</p>"


def first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    end = flat.find(". ")
    return flat if end < 0 else flat[: end + 1]
