"""Render-only widgets for the live window. They draw what they are given and report clicks as
signals; none of them knows about the core, the session or another widget."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui.common.bridge import BackgroundTask, Progress
from ui.common.theme import color

ICONS = Path(__file__).resolve().parents[1] / "icons"
ELIDED_MIN_WIDTH = 60  # narrower, an elided label shows nothing: a few characters each side of "…" or none


class TranscriptLine(Protocol):
    """One line of a transcript lane: a final line, or a partial one shown greyed."""

    @property
    def text(self) -> str: ...

    @property
    def is_final(self) -> bool: ...


STYLE = """
QMainWindow, QWidget#central { background: @window; }
QWidget { color: @text; font-size: 13px; }
QToolBar { background: @surface; border: none; border-bottom: 1px solid @divider; spacing: 6px; padding: 4px; }
QToolBar QToolButton { padding: 4px 10px; border-radius: 4px; }
QToolBar QToolButton:hover { background: @button; }
QToolBar QToolButton:checked { background: @accent; }
QToolBar QToolButton:disabled { color: @text_disabled; }
QComboBox { background: @control; border: 1px solid @border; border-radius: 4px; padding: 2px 6px; min-width: 150px; }
QStatusBar { background: @surface; color: @text_secondary; border-top: 1px solid @divider; }
QLabel#sectionTitle { color: @text_muted; font-size: 11px; font-weight: 600; letter-spacing: 1px; }
QLabel#question { font-size: 18px; font-weight: 600; color: @text_strong; }
QLabel#questionPartial { font-size: 18px; font-style: italic; color: @text_muted; }
QLabel#chip { background: @accent; color: @on_accent; border-radius: 9px; padding: 2px 10px; font-weight: 600; }
QLabel#confidence { color: @text_secondary; }
QLabel#muted { color: @text_muted; font-style: italic; }
QFrame#card { background: @surface; border: 1px solid @border_soft; border-radius: 8px; }
QFrame#card:hover { border-color: @accent_hover; }
QFrame#card:focus { border: 2px solid @focus; }
QFrame#bullets { background: @callout; border: 1px solid @accent; border-radius: 8px; }
QLabel#cardTitle { font-weight: 600; color: @text_strong; }
QLabel#cardKind { color: @link; font-size: 11px; font-weight: 600; }
QTextBrowser { background: @pane; border: 1px solid @divider; border-radius: 6px; padding: 4px; }
QProgressBar { background: @control; border: 1px solid @border; border-radius: 4px; max-height: 8px; }
QProgressBar::chunk { background: @success; border-radius: 3px; }
QFrame#banner { background: @banner_bg; border: 1px solid @banner_border; border-radius: 6px; }
QFrame#banner QLabel { color: @banner_text; }
QPushButton { background: @button; border: 1px solid @border_strong; border-radius: 4px; padding: 3px 10px; }
QPushButton:hover { background: @button_hover; }
QScrollArea { border: none; background: transparent; }
QWidget#cardsHost { background: @window; }
QScrollBar:vertical { background: @window; width: 10px; margin: 0; }
QScrollBar::handle:vertical { background: @border; border-radius: 5px; min-height: 30px; }
QScrollBar::add-line, QScrollBar::sub-line { height: 0; width: 0; }
QScrollBar::add-page, QScrollBar::sub-page { background: none; }
QToolBar::separator { background: @border; width: 1px; margin: 4px 6px; }
QComboBox::drop-down { border: none; width: 18px; }
QComboBox QAbstractItemView { background: @control; selection-background-color: @accent; }
QLabel#bulletText { font-size: 15px; color: @text_strong; }
QLabel#bulletSource { color: @text_secondary; font-size: 11px; }
QSplitter::handle { background: @window; }
QSplitter::handle:horizontal { width: 8px; }
QSplitter::handle:vertical { height: 8px; }
QStatusBar QLabel { padding: 0 8px; }
QPushButton:disabled { color: @text_disabled; background: @control; border-color: @border_soft; }
QAbstractSpinBox { background: @control; color: @text_strong; border: 1px solid @border_strong; border-radius: 4px;
  padding: 2px 20px 2px 6px; }
QAbstractSpinBox:disabled { color: @text_disabled; background: @pane; border-color: @border_soft; }
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button { subcontrol-origin: border; width: 16px;
  background: @button; border-left: 1px solid @border_strong; }
QAbstractSpinBox::up-button { subcontrol-position: top right; border-top-right-radius: 4px; }
QAbstractSpinBox::down-button { subcontrol-position: bottom right; border-bottom-right-radius: 4px; }
QAbstractSpinBox::up-arrow { image: url(ICONS/dark/up.svg); width: 10px; height: 6px; }
QAbstractSpinBox::down-arrow, QComboBox::down-arrow { image: url(ICONS/dark/down.svg); width: 10px; height: 6px; }
QAbstractSpinBox::up-arrow:disabled { image: url(ICONS/dark/up-disabled.svg); }
QAbstractSpinBox::down-arrow:disabled, QComboBox::down-arrow:disabled { image: url(ICONS/dark/down-disabled.svg); }
QComboBox:disabled { color: @text_disabled; background: @pane; border-color: @border_soft; }
QCheckBox, QRadioButton { spacing: 6px; padding: 1px 3px; }
QCheckBox::indicator, QRadioButton::indicator { width: 14px; height: 14px; border: 1px solid @text_secondary;
  background: @pane; }
QCheckBox::indicator { border-radius: 3px; }
QRadioButton::indicator { border-radius: 8px; }
QCheckBox::indicator:checked { background: @focus; border-color: @focus; image: url(ICONS/dark/check.svg); }
QToolBar QToolButton#qt_toolbar_ext_button { qproperty-icon: url(ICONS/dark/more.svg); padding: 2px; }
QRadioButton::indicator:checked { border-color: @focus; background: qradialgradient(cx:0.5, cy:0.5, radius:0.5,
  fx:0.5, fy:0.5, stop:0 @focus, stop:0.5 @focus, stop:0.6 @pane, stop:1 @pane); }
QCheckBox:disabled, QRadioButton:disabled { color: @text_disabled; }
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled { border-color: @border_strong; background: @control; }
QPushButton:focus { border: 2px solid @focus; }
QToolBar QToolButton:focus { border: 1px solid @focus; }
QComboBox:focus, QAbstractSpinBox:focus { border: 1px solid @focus; }
QCheckBox:focus, QRadioButton:focus { background: @selection; border-radius: 3px; }
QListWidget:focus, QTableWidget:focus, QTextBrowser:focus { border: 1px solid @focus; }
""".replace("ICONS", ICONS.as_posix())  # arrows and ticks drawn from ui/icons (ui/common/theme.py swaps dark for light)


def set_central(window: QMainWindow, banner: QWidget, body: QWidget) -> None:
    """The layout every window shares: a message banner above the window's body, same margins."""
    central = QWidget()
    central.setObjectName("central")
    layout = QVBoxLayout(central)
    layout.setContentsMargins(12, 10, 12, 8)
    layout.addWidget(banner)
    layout.addWidget(body, 1)
    window.setCentralWidget(central)


class SharedSplitter(QSplitter):
    """A horizontal splitter that shares its width among its panels by fixed fractions, each above a
    minimum, whenever the window is resized: on a laptop screen the middle panel keeps most of the
    width instead of the side panels keeping their opening sizes. A dragged handle holds until the next
    resize."""

    def __init__(self, minimums: Sequence[int], shares: Sequence[float], parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._minimums, self._shares = tuple(minimums), tuple(shares)
        self.setChildrenCollapsible(False)  # a dragged handle never hides a panel outright

    def addWidget(self, widget: QWidget) -> None:  # noqa: N802 (Qt's name)
        widget.setMinimumWidth(self._minimums[self.count()])
        super().addWidget(widget)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        total = max(self.width() - self.handleWidth() * (self.count() - 1), sum(self._minimums))
        sizes = [max(low, int(total * share)) for low, share in zip(self._minimums, self._shares, strict=True)]
        middle = len(sizes) // 2  # the main panel takes what the others leave
        sizes[middle] = max(self._minimums[middle], total - sum(sizes) + sizes[middle])
        self.setSizes(sizes)


def type_chip_row() -> tuple[QLabel, QLabel, QHBoxLayout]:
    """The question-type chip and its confidence, left-aligned on one row (live window, rehearsal room)."""
    chip = QLabel()
    chip.setObjectName("chip")
    confidence = QLabel()
    confidence.setObjectName("confidence")
    row = QHBoxLayout()
    row.addWidget(chip)
    row.addWidget(confidence)
    row.addStretch(1)
    return chip, confidence, row


def section_title(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setObjectName("sectionTitle")
    return label


class WrappedLabel(QLabel):
    """A word-wrapped label that remembers its height for each width until its text or look changes.

    QLabel lays its text out afresh on every heightForWidth call, and a layout pass calls it for
    every label in the window, changed or not: with a few rich-text cards on screen that was most of
    the 15-20 ms each new question cost in layout.
    """

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self._heights: dict[int, int] = {}

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        if text != self.text():
            self._heights.clear()
            super().setText(text)

    def setTextFormat(self, text_format: Qt.TextFormat) -> None:  # noqa: N802 (Qt's name)
        self._heights.clear()
        super().setTextFormat(text_format)

    def setWordWrap(self, on: bool) -> None:  # noqa: N802 (Qt's name)
        self._heights.clear()
        super().setWordWrap(on)

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        height = self._heights.get(width)
        if height is None:
            if len(self._heights) >= 16:  # a window being resized: keep only recent widths
                self._heights.clear()
            height = self._heights[width] = super().heightForWidth(width)
        return height

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.ContentsRectChange):
            self._heights.clear()
        super().changeEvent(event)


def wrapped_label(text: str = "", object_name: str = "") -> QLabel:
    label = WrappedLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if object_name:
        label.setObjectName(object_name)
    return label


class ElidedComboBox(QComboBox):
    """A combo box whose current text ends in "…" where it does not fit (Qt cuts it mid-letter, so
    "Default output (monitor)" read "Default output (monit" on a laptop); the list shows names whole."""

    def shown_text(self) -> str:
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        return self._elided(option)

    def _elided(self, option: QStyleOptionComboBox) -> str:
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, self
        )
        return self.fontMetrics().elidedText(option.currentText, Qt.TextElideMode.ElideRight, max(field.width(), 0))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        # QComboBox.paintEvent, with the label elided.
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        option.currentText = self._elided(option)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)


class ElidedLabel(QLabel):
    """One line that gives way on a narrow window: the middle of the text becomes "…" (a path keeps its
    start and its end), and with too little room for that it shows nothing. The whole text is always in
    the tooltip; `full_text()` is what was set."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(0)
        self._full = ""
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        # It asks for no width, so a layout never overflows for it (a toolbar would hide it behind
        # its arrow); its expanding size policy gives it the room there is.
        return QSize(0, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return self.sizeHint()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        if self.width() < ELIDED_MIN_WIDTH:
            shown = ""  # a lone "…" says nothing
        else:
            shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, self.width())
        if shown != self.text():
            self.setText(shown)


def bullet_html(items: Iterable[str]) -> str:
    rows = "".join(f"<li style='margin-bottom:4px'>{html.escape(item)}</li>" for item in items)
    return f"<ul style='margin-left:-20px'>{rows}</ul>" if rows else ""


class LaneView(QWidget):
    """One speaker's transcript; the line still being spoken is grey italics until its final text arrives."""

    def __init__(self, title: str, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level = QProgressBar()
        self.level.setToolTip("Input level")
        self.level.setRange(0, 100)
        self.level.setTextVisible(False)
        self.level.setFixedWidth(90)
        header = QHBoxLayout()
        header.addWidget(section_title(title))
        header.addStretch(1)
        header.addWidget(self.level)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.setPlaceholderText(placeholder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.text)

    def show_lines(self, lines: Sequence[TranscriptLine]) -> None:
        parts = []
        for line in lines:
            text = html.escape(line.text)
            if line.is_final:
                parts.append(f"<p style='margin:0 0 6px 0'>{text}</p>")
            else:
                parts.append(f"<p style='margin:0 0 6px 0; color:{color('text_muted')}'><i>{text} …</i></p>")
        self.text.setHtml("".join(parts))
        bar = self.text.verticalScrollBar()
        bar.setValue(bar.maximum())  # follow the conversation

    def plain_text(self) -> str:
        return self.text.toPlainText()

    def set_level(self, fraction: float) -> None:
        value = round(fraction * 100)
        if value != self.level.value():  # a styled bar repaints on every setValue, even to the same value
            self.level.setValue(value)


class CardContent(NamedTuple):
    """What one card shows; `clickable` is its tooltip when it opens on a click, `tag` what it stands for."""

    kind: str
    title: str
    body_html: str
    clickable: str = ""
    tag: str = ""


class Card(QFrame):
    """A rounded box with a kind tag, a title and a body. A card made clickable (`set_clickable`)
    emits `clicked` when pressed anywhere on it, its text included, or on Enter/Space when focused.
    `fill` shows other content in the same widget, so a list of cards can be refilled cheaply."""

    clicked = Signal()

    def __init__(self, kind: str, title: str, body_html: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.kind = QLabel(kind.upper())
        self.kind.setObjectName("cardKind")
        self.title = wrapped_label(title, "cardTitle")
        self.body = wrapped_label("")
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.set_body(body_html)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(4)
        layout.addWidget(self.kind)
        layout.addWidget(self.title)
        layout.addWidget(self.body)
        self._content: CardContent | None = None

    @property
    def tag(self) -> str:
        """What the card stands for (a story's id), as last filled; "" for none."""
        return self._content.tag if self._content is not None else ""

    def fill(self, kind: str, title: str, body_html: str, clickable: str = "", tag: str = "") -> None:
        """Show this content; what is already shown is not set again (each set text is laid out anew)."""
        content = CardContent(kind, title, body_html, clickable, tag)
        if content == self._content:
            return
        self._content = content
        self.kind.setText(kind.upper())
        self.title.setText(title)
        self.set_body(body_html)
        if clickable:
            self.set_clickable(clickable)
        else:
            self.set_unclickable()

    def forget_content(self) -> None:
        """The next `fill` sets everything again (after a theme change, the rich text's colours differ)."""
        self._content = None

    def set_body(self, body_html: str) -> None:
        self.body.setText(body_html)
        self.body.setVisible(bool(body_html))

    def set_clickable(self, what: str) -> None:
        """Make the whole card one button: `what` is its tooltip and the name screen readers announce."""
        self._clickable = True
        for label in (self.kind, self.title, self.body):
            # A selectable label takes the mouse press for itself, so a click on the text did nothing.
            label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab reaches it; Enter or Space opens it
        self.setToolTip(what)
        self.setAccessibleName(f"{self.title.text()}: {what}")

    def set_unclickable(self) -> None:
        """A card that only shows: its text selectable, no focus stop."""
        self._clickable = False
        for label in (self.kind, self.title, self.body):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, False)
        self.unsetCursor()
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setToolTip("")
        self.setAccessibleName(self.title.text())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if getattr(self, "_clickable", False) and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        keys = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)
        if getattr(self, "_clickable", False) and event.key() in keys and not event.modifiers():
            self.clicked.emit()
            return
        super().keyPressEvent(event)


class ErrorBanner(QFrame):
    """The latest errors, in the window itself; `dismissed` when the user closes it."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = wrapped_label()
        close = QPushButton("Dismiss")
        close.clicked.connect(self.dismissed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_errors(self, errors: list[str]) -> None:
        self.label.setText("\n".join(errors[-3:]))  # the newest few; the rest are in the log
        self.setVisible(bool(errors))


class WindowErrors(ErrorBanner):
    """An ErrorBanner that keeps a window's errors itself: `show_error` logs one on the window's logger
    (as "<where>: <text>") and shows the newest; Dismiss clears them."""

    def __init__(self, logger: logging.Logger, where: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._log, self._where = logger, where
        self.errors: list[str] = []
        self.dismissed.connect(self.clear_errors)

    def show_error(self, exc: BaseException | str) -> None:
        text = exc if isinstance(exc, str) else (str(exc) or type(exc).__name__)
        self._log.warning("%s: %s", self._where, text)
        self.errors.append(text)
        self.show_errors(self.errors)

    def clear_errors(self) -> None:
        self.errors.clear()
        self.show_errors(self.errors)


# --- shared by the drill and job-description windows -----------------------------------------------

SCORE_LEVELS = ((0.75, "strong", "success"), (0.5, "fair", "caution"), (0.0, "weak", "danger"))  # colour tokens


def score_level(score: float) -> tuple[str, str]:
    """(word, colour in the current theme) for a 0..1 score: the word is always shown beside the colour,
    never colour alone."""
    return next((word, color(token)) for floor, word, token in SCORE_LEVELS if score >= floor)


def score_html(score: float) -> str:
    word, colour = score_level(score)
    return f"<span style='color:{colour}; font-weight:600'>{score:.2f} · {word}</span>"


def metric_box(caption: str) -> tuple[QFrame, QLabel]:
    """A boxed big number over a small caption (style names from the rehearsal room's sheet)."""
    box = QFrame()
    box.setObjectName("metricBox")
    value = QLabel("–")
    value.setObjectName("metric")
    name = QLabel(caption)
    name.setObjectName("metricName")
    layout = QVBoxLayout(box)
    layout.setContentsMargins(10, 6, 10, 6)
    layout.setSpacing(0)
    layout.addWidget(value)
    layout.addWidget(name)
    return box, value


class TaskRunner(QObject):
    """Named background jobs for one window: each runs in a BackgroundTask, the status strip says what
    is running (with an indeterminate bar), and a failure goes to `on_error` unless the job has its own
    handler. `changed` fires whenever a job starts or ends, so the window can update its buttons."""

    changed = Signal()
    error = Signal(object)  # a signal, not a stored callback: the window's method would keep it alive

    def __init__(
        self,
        window: QMainWindow,
        on_error: Callable[[BaseException], None],
        quiet_jobs: Iterable[str] = (),
    ) -> None:
        super().__init__(window)
        self.error.connect(on_error)
        self._quiet = set(quiet_jobs)  # shown only when nothing else runs (device probing)
        self._tasks: set[BackgroundTask] = set()
        self._busy: dict[str, str] = {}
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # indeterminate
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedWidth(120)
        self.busy_bar.hide()
        self.status_label = QLabel("ready")
        window.statusBar().addWidget(self.status_label, 1)
        window.statusBar().addPermanentWidget(self.busy_bar)

    def run(
        self,
        job: str,
        status: str,
        work: Callable[[Progress], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None] | None = None,
    ) -> BackgroundTask:
        task = BackgroundTask(work, self)
        self._tasks.add(task)
        self._busy[job] = status
        self._render()
        task.progress.connect(self.status_label.setText)

        def finish(ok: bool, value: Any) -> None:
            self._tasks.discard(task)
            self._busy.pop(job, None)
            self._render()
            if ok:
                done(value)
            else:
                (failed or self.error.emit)(value)
            self.changed.emit()

        task.finished.connect(lambda value: finish(True, value))
        task.failed.connect(lambda exc: finish(False, exc))
        task.start()
        self.changed.emit()
        return task

    def is_busy(self, job: str | None = None) -> bool:
        return bool(self._busy) if job is None else job in self._busy

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def _render(self) -> None:
        working = [s for j, s in self._busy.items() if j not in self._quiet] or list(self._busy.values())
        self.busy_bar.setVisible(bool(self._busy))
        self.status_label.setText(working[-1] if working else "ready")


# The practice windows (rehearsal, drill, job ad, mock, history) share one look.
REHEARSAL_STYLE = (
    STYLE
    + """
QLineEdit { background: @pane; border: 1px solid @border; border-radius: 5px; padding: 4px 6px; }
QListWidget { background: @pane; border: 1px solid @divider; border-radius: 6px; outline: none; }
QListWidget::item { padding: 6px 6px; border-bottom: 1px solid @control; }
QListWidget::item:selected { background: @selection; color: @text_strong; }
QPushButton#primary { background: @accent; border-color: @accent_hover; color: @on_accent; font-weight: 600; }
QPushButton#primary:disabled { background: @control; border-color: @border_soft; color: @text_disabled; font-weight: 400; }
QPushButton#primary:focus { border: 2px solid @callout_text; }
QPushButton#recording { background: @banner_border; border-color: @recording_border; color: @on_danger; font-weight: 600; }
QWidget#panelHost { background: @window; }
QLabel#metric { font-size: 20px; font-weight: 700; color: @text_strong; }
QLabel#metricName { color: @text_secondary; font-size: 11px; }
QFrame#metricBox { background: @surface; border: 1px solid @border_soft; border-radius: 6px; }
QLabel#hint { color: @text_muted; font-size: 11px; }
"""
)
