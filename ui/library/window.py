"""The story library window: list and filter on the left, the editor in the middle, coach and coverage on the right.

It renders `LibraryModel` and sends every user action to it; the model does the file work through
the core's story API. The coach panel re-renders on a 300 ms debounce, so typing never waits on it.

Watching the folder: `FolderWatcher` (ui/library/folder_watch.py) is the core's story watcher behind
a Qt signal; it parses the folder on the watch thread and hands the finished `LibraryLoad` to the GUI
thread.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QBrush, QCloseEvent, QColor, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from copilot.errors import InputFileError
from copilot.stories.library import LibraryLoad, export_stories, import_stories
from ui.common.bridge import BackgroundTask, Progress
from ui.common.theme import color, set_window_sheet
from ui.common.widgets import STYLE, ElidedLabel, section_title, set_central, wrapped_label
from ui.library.folder_watch import FolderWatcher
from ui.library.model import (
    COVERAGE,
    CURRENT,
    DIRTY,
    EDITABLE_SECTIONS,
    FINDINGS,
    LIST,
    MESSAGE,
    Entry,
    LibraryModel,
)

log = logging.getLogger(__name__)
COACH_DEBOUNCE_MS = 300
AUTOSAVE_MS = 1000
INFO_MESSAGE_MS = 8000  # how long "Saved …" stays in the status bar
PANEL_MIN_WIDTHS = (170, 340, 210)  # list, editor, coach: all three fit an 800 px screen
PANEL_SHARES = (0.24, 0.48, 0.28)
SECTION_HEIGHTS = {
    "situation": (70, 110),
    "task": (60, 100),
    "action": (120, 220),
    "result": (70, 120),
    "lessons": (60, 90),
}
STORY_FILTER = "Stories (*.md *.zip);;All files (*)"
SEVERITY = {"error": ("●", "danger"), "warning": ("▲", "warning"), "info": ("ℹ", "link")}  # (mark, colour token)
HINTS = {
    "situation": "Where and when: the team, the product, what was at stake.",
    "task": "What you owned, and what success meant.",
    "action": "What you did, with 'I': the decision, the options you weighed, and why.",
    "result": "What changed, with numbers: %, time, money, users.",
    "lessons": "Optional: what you would do again, or differently.",
}

LIBRARY_STYLE = (
    STYLE
    + """
QLineEdit, QPlainTextEdit { background: @pane; border: 1px solid @border; border-radius: 5px; padding: 4px 6px;
  selection-background-color: @accent; }
QLineEdit:focus, QPlainTextEdit:focus { border: 1px solid @focus; }
QLineEdit[invalid="true"] { border-color: @danger; }
QListWidget { background: @pane; border: 1px solid @divider; border-radius: 6px; outline: none; }
QListWidget::item { padding: 6px 6px; border-bottom: 1px solid @control; }
QListWidget::item:selected { background: @selection; color: @text_strong; }
QTabWidget::pane { border: 1px solid @divider; border-radius: 6px; top: -1px; background: @pane; }
QTabBar::tab { background: @surface; color: @text_secondary; padding: 5px 14px; border: 1px solid @divider;
  border-bottom: none; border-top-left-radius: 5px; border-top-right-radius: 5px; margin-right: 2px; }
QTabBar::tab:selected { background: @pane; color: @text_strong; }
QWidget#editorHost, QWidget#coachHost { background: @window; }
QLabel#score { font-size: 28px; font-weight: 700; color: @text_strong; }
QLabel#scoreNote { color: @text_secondary; }
QLabel#storyTitle { font-size: 17px; font-weight: 600; color: @text_strong; }
QLabel#hint { color: @text_muted; font-size: 11px; }
QLabel#fieldLabel { color: @text_secondary; }
QFrame#finding { background: @surface; border: 1px solid @border_soft; border-radius: 6px; }
QFrame#info { background: @callout; border: 1px solid @accent; border-radius: 6px; }
QFrame#info QLabel { color: @callout_text; }
"""
)


class LibraryWindow(QMainWindow):
    closing = Signal()

    def __init__(self, model: LibraryModel, watch: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        set_window_sheet(self, LIBRARY_STYLE)
        self.resize(1360, 860)
        self._tasks: set[BackgroundTask] = set()
        self._rendering = False  # True while we fill the editor: those changes are not the user's edits
        self._shown_path: Path | None = None  # the story the editor shows
        self._coverage_shown: tuple | None = None  # the coverage rows on screen, to skip identical renders
        self._coach_timer = QTimer(self)
        self._coach_timer.setSingleShot(True)
        self._coach_timer.setInterval(COACH_DEBOUNCE_MS)
        self._coach_timer.timeout.connect(self._render_findings)
        # Autosave at most AUTOSAVE_MS after the first unsaved keystroke (not restarted per key, so a
        # steady typist is covered too): a crash or a kill loses at most that much.
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setSingleShot(True)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.model.autosave)
        self._build_actions()
        self._build_toolbar()
        self._build_central()
        self.status_label = QLabel()
        self.statusBar().addWidget(self.status_label, 1)
        model.subscribe(self._on_model_changed)
        for what in (LIST, CURRENT, COVERAGE, MESSAGE):
            self._on_model_changed(what)
        self._render_findings()
        self.watcher: FolderWatcher | None = None
        if watch:
            self.watcher = FolderWatcher(model.folder, self)
            self.watcher.loaded.connect(self._on_folder_changed)
            self.watcher.start()

    # --- building -------------------------------------------------------------------------------

    def _action(self, text: str, slot: Callable[[], Any], shortcut: str = "", tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{tip} ({shortcut})" if shortcut and tip else tip or text)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.new_action = self._action("New", self._new, "Ctrl+N", "A new story from the template")
        self.duplicate_action = self._action("Duplicate", self._duplicate, "Ctrl+D", "A copy with a new id")
        self.delete_action = self._action(
            "Delete", self._delete, "Del", "Move the story to the trash; undo with Ctrl+Z"
        )
        self.undo_action = self._action("Undo delete", self.model.undo, "Ctrl+Z", "Put the last deleted story back")
        self.save_action = self._action("Save", self.model.save, "Ctrl+S", "Write your changes to the file")
        self.revert_action = self._action("Reload from disk", self.model.discard_changes, "", "Drop unsaved edits")
        self.import_action = self._action("Import…", self._import, "", "Stories from .md files, folders or a .zip")
        self.export_action = self._action("Export…", self._export, "", "Every story to a .zip")

    def _build_toolbar(self) -> None:
        bar = QToolBar("Library")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.new_action, self.duplicate_action, self.delete_action, self.undo_action):
            bar.addAction(action)
        bar.addSeparator()
        bar.addAction(self.save_action)
        bar.addAction(self.revert_action)
        bar.addSeparator()
        bar.addAction(self.import_action)
        bar.addAction(self.export_action)
        # The folder takes the rest of the row, shortened in the middle when narrow: on an 800 px
        # screen it went behind the toolbar's overflow arrow.
        self.folder_label = ElidedLabel(str(self.model.folder))
        self.folder_label.setObjectName("scoreNote")
        self.folder_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.folder_label)
        self.addToolBar(bar)
        for action in bar.actions():
            if (button := bar.widgetForAction(action)) is not None and not action.isSeparator():
                button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a tool button is skipped by Tab otherwise

    def _build_central(self) -> None:
        self.banner = _Banner()
        self.banner.dismissed.connect(self.model.dismiss_message)
        self.banner.undo.connect(self.model.undo)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_list_panel())
        splitter.addWidget(self._build_editor())
        splitter.addWidget(self._build_side_panel())
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)  # a dragged handle never hides a panel outright
        self.splitter = splitter
        set_central(self, self.banner, splitter)
        self._fit_panels()

    def _build_list_panel(self) -> QWidget:
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search titles, roles, text…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setAccessibleName("Search stories")
        self.search_edit.textChanged.connect(self.model.set_search)
        self.competency_combo = QComboBox()
        self.competency_combo.currentIndexChanged.connect(
            lambda _: self.model.set_competency(self.competency_combo.currentData())
        )
        self.story_list = QListWidget()
        self.story_list.setAccessibleName("Stories")
        # Long titles are cut with "…" (full path in the tooltip) rather than scrolling sideways.
        self.story_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.story_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.story_list.currentItemChanged.connect(self._on_list_selection)
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.story_list.addAction(self.delete_action)  # Del deletes only from the list, never while typing
        self.count_label = QLabel()
        self.count_label.setObjectName("hint")
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(section_title("Stories"))
        layout.addWidget(self.search_edit)
        layout.addWidget(self.competency_combo)
        layout.addWidget(self.story_list, 1)
        layout.addWidget(self.count_label)
        panel.setMinimumWidth(PANEL_MIN_WIDTHS[0])
        return panel

    def _build_editor(self) -> QWidget:
        self.heading = wrapped_label("", "storyTitle")
        self.title_edit = QLineEdit()
        self.role_edit = QLineEdit()
        self.role_edit.setPlaceholderText("e.g. ML Engineer, fintech")
        self.role_edit.setMinimumWidth(140)  # "ML Engineer, e-commerce" stays readable on a laptop screen
        self.year_edit = QLineEdit()
        self.year_edit.setPlaceholderText("2024")
        self.year_edit.setMaximumWidth(80)
        self.competencies_edit = QLineEdit()
        self.competencies_edit.setPlaceholderText("comma-separated, e.g. ownership, cost-reduction")
        self.title_edit.textEdited.connect(self._user_edit(self.model.set_title))
        self.role_edit.textEdited.connect(self._user_edit(self.model.set_role))
        self.year_edit.textEdited.connect(self._on_year_edited)
        self.competencies_edit.textEdited.connect(self._user_edit(self.model.set_competencies_text))
        for line_edit, name in (
            (self.title_edit, "Title"),
            (self.role_edit, "Role"),
            (self.year_edit, "Year"),
            (self.competencies_edit, "Competencies"),
        ):
            line_edit.setAccessibleName(name)  # the form's labels are not buddies a screen reader follows
        role_row = QHBoxLayout()
        role_row.addWidget(self.role_edit, 1)
        role_row.addWidget(_field_label("Year"))
        role_row.addWidget(self.year_edit)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(_field_label("Title"), self.title_edit)
        form.addRow(_field_label("Role"), role_row)
        form.addRow(_field_label("Competencies"), self.competencies_edit)
        self.section_edits: dict[str, QPlainTextEdit] = {}
        host = QWidget()
        host.setObjectName("editorHost")
        layout = QVBoxLayout(host)
        layout.setContentsMargins(8, 0, 12, 8)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        for name in EDITABLE_SECTIONS:
            layout.addSpacing(4)
            layout.addWidget(section_title(name))
            edit = QPlainTextEdit()
            edit.setPlaceholderText(HINTS[name])
            edit.setTabChangesFocus(True)  # Tab moves to the next box, as in any form; stories need no tabs
            edit.setAccessibleName(f"{name.capitalize()} section")
            # Sized to the text a section usually holds; the editor scrolls rather than squeezing them.
            edit.setMinimumHeight(SECTION_HEIGHTS[name][0])
            edit.setMaximumHeight(SECTION_HEIGHTS[name][1])
            edit.textChanged.connect(self._section_changed(name, edit))
            self.section_edits[name] = edit
            layout.addWidget(edit)
        self.broken_label = wrapped_label("", "muted")
        layout.addWidget(self.broken_label)
        layout.addStretch(1)
        self.editor_scroll = QScrollArea()
        self.editor_scroll.setWidgetResizable(True)
        self.editor_scroll.setWidget(host)
        self.editor_scroll.setMinimumWidth(PANEL_MIN_WIDTHS[1])
        return self.editor_scroll

    def _build_side_panel(self) -> QWidget:
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_coach(), "Coach")
        self.tabs.addTab(self._build_coverage(), "Coverage")
        self.tabs.setMinimumWidth(PANEL_MIN_WIDTHS[2])
        return self.tabs

    def _build_coach(self) -> QWidget:
        self.score_label = QLabel()
        self.score_label.setObjectName("score")
        self.summary_label = wrapped_label("", "scoreNote")
        head = QHBoxLayout()
        head.addWidget(self.score_label)
        head.addWidget(self.summary_label, 1)
        self.findings_layout = QVBoxLayout()
        self.findings_layout.setSpacing(6)
        host = QWidget()
        host.setObjectName("coachHost")
        layout = QVBoxLayout(host)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addLayout(head)
        layout.addSpacing(4)
        layout.addLayout(self.findings_layout)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(host)
        return scroll

    def _build_coverage(self) -> QWidget:
        self.coverage_summary = wrapped_label("", "scoreNote")
        self.coverage_list = QListWidget()
        self.coverage_list.setAccessibleName("Competency coverage")
        self.coverage_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.coverage_list.setTextElideMode(Qt.TextElideMode.ElideRight)  # the full list is in each tooltip
        self.coverage_list.setToolTip("Double-click a competency to filter the story list by it")
        self.coverage_list.itemDoubleClicked.connect(self._filter_by_coverage_item)
        panel = QWidget()
        panel.setObjectName("coachHost")
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addWidget(self.coverage_summary)
        layout.addWidget(self.coverage_list, 1)
        return panel

    # --- user edits -> model --------------------------------------------------------------------

    def _user_edit(self, setter: Callable[[str], Any]) -> Callable[[str], None]:
        def apply(text: str) -> None:
            if not self._rendering:
                setter(text)

        return apply

    def _section_changed(self, name: str, edit: QPlainTextEdit) -> Callable[[], None]:
        def apply() -> None:
            if not self._rendering:
                self.model.set_section(name, edit.toPlainText())

        return apply

    def _on_year_edited(self, text: str) -> None:
        ok = self.model.set_year_text(text)
        self.year_edit.setProperty("invalid", not ok)
        self.year_edit.setToolTip("" if ok else "A year like 2024, or empty")
        self.year_edit.style().polish(self.year_edit)

    def _on_list_selection(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if self._rendering:
            return
        path = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if path == self.model.current_path:
            return
        if not self.confirm_leave():
            self._select_in_list(self.model.current_path)  # stay on the story with the unsaved edits
            return
        self.model.select(path)

    def confirm_leave(self) -> bool:
        """Ask about unsaved edits: Save, Discard or Cancel. True when it is fine to move on."""
        if not self.model.dirty:
            return True
        answer = self.ask_unsaved()
        if answer == QMessageBox.StandardButton.Save:
            return self.model.save()
        if answer == QMessageBox.StandardButton.Discard:
            self._autosave_timer.stop()
            self.model.forget_autosave()
            return True
        return False

    def ask_unsaved(self) -> QMessageBox.StandardButton:
        """Separate from confirm_leave so a test can answer without a modal dialog."""
        buttons = QMessageBox.StandardButton
        title = self.model.draft.title if self.model.draft else "this story"
        return QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save your changes to '{title}'?",
            buttons.Save | buttons.Discard | buttons.Cancel,
            buttons.Save,
        )

    def _new(self) -> None:
        if self.confirm_leave():
            self._guard(self.model.new_story)
            self.title_edit.setFocus()
            self.title_edit.selectAll()

    def _duplicate(self) -> None:
        self._guard(self.model.duplicate)

    def _delete(self) -> None:
        self._guard(self.model.delete)

    def _guard(self, work: Callable[[], Any]) -> None:
        """A file operation the core refused (name taken, disk full): shown in the banner, never a traceback."""
        try:
            work()
        except (InputFileError, OSError) as exc:
            self.model.report_error(exc)

    def _filter_by_coverage_item(self, item: QListWidgetItem) -> None:
        index = self.competency_combo.findData(item.data(Qt.ItemDataRole.UserRole))
        self.competency_combo.setCurrentIndex(max(index, 0))

    # --- import / export on a pool thread -------------------------------------------------------

    def _import(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import stories", "", STORY_FILTER)
        if files:
            self.run_import(files)

    def run_import(self, sources: list[str]) -> BackgroundTask:
        folder = self.model.folder
        return self._run(lambda _: import_stories(sources, folder), self.model.imported)

    def _export(self) -> None:
        dest, _ = QFileDialog.getSaveFileName(self, "Export stories", "stories.zip", "Zip archive (*.zip)")
        if dest:
            self.run_export(dest if dest.lower().endswith(".zip") else dest + ".zip")

    def run_export(self, dest: str) -> BackgroundTask:
        folder = self.model.folder
        return self._run(lambda _: export_stories(folder, dest), self.model.exported)

    def _run(self, work: Callable[[Progress], Any], done: Callable[[Any], None]) -> BackgroundTask:
        task = BackgroundTask(work, self)
        self._tasks.add(task)  # keep it alive until it reports
        task.finished.connect(done)
        task.failed.connect(self.model.report_error)
        task.finished.connect(lambda _: self._tasks.discard(task))
        task.failed.connect(lambda _: self._tasks.discard(task))
        task.start()
        return task

    def _on_folder_changed(self, load: LibraryLoad) -> None:
        self.model.apply_load(load)

    # --- rendering ------------------------------------------------------------------------------

    def _on_model_changed(self, what: str) -> None:
        if what == FINDINGS:
            self._coach_timer.start()  # restarts on every keystroke: the panel settles once typing pauses
            return
        if what == DIRTY and self.model.dirty and not self._autosave_timer.isActive():
            self._autosave_timer.start()
        render = {
            LIST: self._render_list,
            CURRENT: self._render_editor,
            DIRTY: self._render_title,
            MESSAGE: self._render_message,
            COVERAGE: self._render_coverage,
        }.get(what)
        if render is not None:
            render()

    def _render_list(self) -> None:
        self._render_competency_choices()
        entries = self.model.entries()
        self._rendering = True
        try:
            self.story_list.clear()
            for entry in entries:
                self.story_list.addItem(_list_item(entry))
            self._select_in_list(self.model.current_path)
        finally:
            self._rendering = False
        total = len(self.model.stories)
        broken = f" · {len(self.model.errors)} not loading" if self.model.errors else ""
        shown = sum(1 for e in entries if e.error is None)
        self.count_label.setText(f"{shown} of {total} stories shown{broken}")
        self.status_label.setText(f"{total} stories in {self.model.folder}{broken}")
        self._update_actions()

    def _render_competency_choices(self) -> None:
        wanted = self.model.vocabulary()
        have = [self.competency_combo.itemData(i) for i in range(1, self.competency_combo.count())]
        if have == wanted:
            return
        self.competency_combo.blockSignals(True)  # refilling is not the user picking a filter
        self.competency_combo.clear()
        self.competency_combo.addItem("All competencies", None)
        for competency in wanted:
            self.competency_combo.addItem(competency, competency)
        self.competency_combo.setCurrentIndex(max(self.competency_combo.findData(self.model.competency), 0))
        self.competency_combo.blockSignals(False)

    def _select_in_list(self, path: Path | None) -> None:
        was, self._rendering = self._rendering, True
        try:
            for row in range(self.story_list.count()):
                item = self.story_list.item(row)
                if path is not None and item.data(Qt.ItemDataRole.UserRole) == path:
                    self.story_list.setCurrentItem(item)
                    return
            self.story_list.setCurrentRow(-1)
        finally:
            self._rendering = was

    def _render_editor(self) -> None:
        story, path = self.model.draft, self.model.current_path
        self._rendering = True
        try:
            self.heading.setText(story.title if story else (path.name if path else "No story selected"))
            same_story = path is not None and path == self._shown_path
            self._shown_path = path
            for line, text in (
                (self.title_edit, story.title if story else ""),
                (self.role_edit, (story.role or "") if story else ""),
                (self.year_edit, str(story.year) if story and story.year else ""),
                (self.competencies_edit, ", ".join(story.competencies) if story else ""),
            ):
                if line.text() != text:
                    line.setText(text)
                    if not same_story:
                        line.setCursorPosition(0)  # show the start of a long title, not its end
            for name, edit in self.section_edits.items():
                # A save re-renders the same story: leave a box that already shows its text alone, so
                # the cursor and scroll position stay where the user was typing.
                text = story.section(name) if story else ""
                if edit.toPlainText() != text:
                    edit.setPlainText(text)
        finally:
            self._rendering = False
        error = self.model.error_at(path) if path is not None and story is None else None
        self.broken_label.setText(f"This file does not load, so it is not edited here:\n{error}" if error else "")
        self.broken_label.setVisible(bool(error))
        for widget in (
            self.title_edit,
            self.role_edit,
            self.year_edit,
            self.competencies_edit,
            *self.section_edits.values(),
        ):
            widget.setEnabled(story is not None)
        self._select_in_list(path)
        self._render_title()
        self._render_findings()

    def _render_title(self) -> None:
        story = self.model.draft
        mark = " •" if self.model.dirty else ""
        name = f"{story.title}{mark} — " if story else ""
        self.setWindowTitle(f"{name}Story library — Interview Copilot")
        if story:
            self.heading.setText(story.title + (" (unsaved)" if self.model.dirty else ""))
        self._update_actions()

    def _update_actions(self) -> None:
        has_story = self.model.draft is not None
        self.save_action.setEnabled(self.model.dirty)
        self.revert_action.setEnabled(self.model.dirty or self.model.conflict is not None)
        self.duplicate_action.setEnabled(has_story)
        self.delete_action.setEnabled(self.model.current_path is not None)
        self.undo_action.setEnabled(self.model.can_undo)

    def _render_findings(self) -> None:
        while (item := self.findings_layout.takeAt(0)) is not None:
            if widget := item.widget():
                widget.deleteLater()
        score = self.model.score
        self.score_label.setText("–" if score is None else str(score))
        if score is None:
            self.summary_label.setText("Pick a story to see the coach's notes.")
            return
        from copilot.stories.coach import summary

        self.summary_label.setText(f"out of 100 · {summary(self.model.findings)}")
        for finding in self.model.findings:
            self.findings_layout.addWidget(_finding_widget(finding.severity, finding.section, finding.message))

    def _render_coverage(self) -> None:
        rows = self.model.coverage()
        signature = tuple(rows)
        if signature == self._coverage_shown:
            return  # every keystroke asks; the rows change only when tags or titles do
        self._coverage_shown = signature
        gaps = [r.competency for r in rows if r.is_gap]
        self.coverage_summary.setText(
            f"{len(rows) - len(gaps)} of {len(rows)} competencies have a story."
            + (f" Gaps: {', '.join(gaps)}." if gaps else " No gaps.")
        )
        self.coverage_list.clear()
        for row in rows:
            label = f"{row.competency} · {row.count}" if row.count else f"{row.competency} · no story"
            item = QListWidgetItem(("○  " if row.is_gap else "●  ") + label)
            item.setData(Qt.ItemDataRole.UserRole, row.competency)
            item.setForeground(QBrush(QColor(color("warning" if row.is_gap else "text"))))  # readable in both themes
            item.setToolTip("\n".join(row.titles) or "No story shows this yet: write one.")
            self.coverage_list.addItem(item)

    def _render_message(self) -> None:
        message = self.model.message
        if message is not None and message.kind == "info":
            # News ("Saved x.md") goes to the status bar: a banner would push the form down under the
            # user's pointer. Problems and the undo offer still take the banner.
            self.statusBar().showMessage(message.text, INFO_MESSAGE_MS)
            self.banner.show_message(None)
        else:
            self.banner.show_message(message)
        self._update_actions()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_panels()

    def _fit_panels(self) -> None:
        """Share the width among list, editor and coach so the editor keeps most of a narrow screen."""
        if not hasattr(self, "splitter"):
            return
        total = max(self.splitter.width(), sum(PANEL_MIN_WIDTHS))
        shares = [max(lo, int(total * f)) for lo, f in zip(PANEL_MIN_WIDTHS, PANEL_SHARES, strict=True)]
        shares[1] = max(PANEL_MIN_WIDTHS[1], total - shares[0] - shares[2])
        self.splitter.setSizes(shares)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.StyleChange and hasattr(self, "coverage_list"):
            # A new theme: the list rows carry their own colours, which the style sheet does not reach.
            self._coverage_shown = None
            self._render_coverage()
            self._render_list()
        super().changeEvent(event)

    # --- closing --------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if not self.confirm_leave():
            event.ignore()
            return
        if self.watcher is not None:
            self.watcher.stop()
        self.closing.emit()
        super().closeEvent(event)

    # --- for tests and the screenshot script ----------------------------------------------------

    def finding_texts(self) -> list[str]:
        return [
            w.property("message")
            for i in range(self.findings_layout.count())
            if (item := self.findings_layout.itemAt(i)) is not None
            and (w := item.widget()) is not None
            and w.property("message")
        ]

    def list_titles(self) -> list[str]:
        return [self.story_list.item(i).text().split("\n")[0] for i in range(self.story_list.count())]


class _Banner(QFrame):
    """The model's message: red for a problem, blue for news; an Undo button after a delete."""

    dismissed = Signal()
    undo = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.label = wrapped_label()
        self.undo_button = QPushButton("Undo")
        self.undo_button.clicked.connect(self.undo)
        close = QPushButton("Dismiss")
        close.clicked.connect(self.dismissed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.undo_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, message: Any) -> None:
        if message is None:
            self.hide()
            return
        self.setObjectName("banner" if message.kind == "error" else "info")
        self.style().polish(self)
        self.label.setText(message.text)
        self.undo_button.setVisible(message.kind == "undo")
        self.show()


def _field_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("fieldLabel")
    return label


def _list_item(entry: Entry) -> QListWidgetItem:
    if entry.error is not None:
        item = QListWidgetItem(f"⚠ {entry.title}\n{entry.detail}")
        item.setForeground(QBrush(QColor(color("danger"))))
        item.setToolTip(entry.error)
    else:
        tags = ", ".join(entry.competencies)
        item = QListWidgetItem(f"{entry.title}\n{' — '.join(x for x in (entry.detail, tags) if x)}")
        item.setToolTip(str(entry.path))
    item.setData(Qt.ItemDataRole.UserRole, entry.path)
    return item


def _finding_widget(severity: str, section: str | None, message: str) -> QFrame:
    icon, token = SEVERITY.get(severity, SEVERITY["info"])
    frame = QFrame()
    frame.setObjectName("finding")
    frame.setProperty("message", message)
    where = f" · {section.capitalize()}" if section else ""
    head = QLabel(f"<span style='color:{color(token)}'>{icon} {severity.upper()}</span>{html.escape(where)}")
    head.setObjectName("cardKind")
    body = wrapped_label(message)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(10, 7, 10, 8)
    layout.setSpacing(3)
    layout.addWidget(head)
    layout.addWidget(body)
    return frame


def open_library_window(folder: Path | str | None = None, parent: QWidget | None = None) -> LibraryWindow:
    """The window on the user's story folder, loaded and shown; the app's Ctrl+L opens it."""
    from copilot.config.paths import stories_dir

    model = LibraryModel(stories_dir(folder))
    model.reload()
    window = LibraryWindow(model, parent=parent)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    return window
