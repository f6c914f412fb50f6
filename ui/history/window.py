"""Session history (Ctrl+H): the recorded live, rehearsal and drill sessions, a preview of each, and
export (HTML report with charts, Markdown), open in the browser, and delete.

Every store access (the keychain, SQLite, decrypting, writing a report) runs in a `BackgroundTask`
through the window's TaskRunner; the window only renders. The store is the core's (copilot/history/store.py)
and the reports are copilot/history/report.py's, the same ones `copilot history` writes.

"Open report in browser" needs the report as a file, and that file is a decrypted copy of the
session. It goes to a private temporary folder (only the user can read it), never the cache: it is
removed when the session is deleted and when the app exits (`ReportFiles`).
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGridLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui.common.theme import set_window_sheet
from ui.common.widgets import REHEARSAL_STYLE, SharedSplitter, TaskRunner, WindowErrors, section_title, set_central

log = logging.getLogger(__name__)
HISTORY_STYLE = (
    REHEARSAL_STYLE
    + """
QTableWidget { background: @pane; border: 1px solid @divider; border-radius: 6px; gridline-color: @control; }
QTableWidget::item { padding: 4px 6px; }
QTableWidget::item:selected { background: @selection; color: @text_strong; }
QHeaderView::section { background: @surface; color: @text_muted; border: none; padding: 4px 6px; font-size: 11px; }
QPushButton#danger { background: @banner_bg; border-color: @banner_border; color: @banner_text; }
QPushButton#danger:disabled { color: @text_disabled; background: @control; border-color: @border_strong; }
"""
)
COLUMNS = ("Date", "Kind", "Asked", "Duration")  # "Asked": questions, short enough for 800 px
FILTERS = {"html": "HTML report (*.html)", "md": "Markdown (*.md)"}
OpenStore = Callable[[], Any]  # -> copilot.history.store.HistoryStore (a context manager)


def default_open_store() -> Any:
    from copilot.history.store import open_default_store

    return open_default_store()


def _local(iso: str | None) -> datetime | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return None


def when_text(iso: str | None) -> str:
    moment = _local(iso)
    return moment.strftime("%Y-%m-%d %H:%M") if moment else (iso or "?")


def duration_text(started: str | None, ended: str | None) -> str:
    start, end = _local(started), _local(ended)
    if start is None or end is None:
        return "unfinished"
    seconds = max(0, round((end - start).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def report_name(summary: Any, fmt: str) -> str:
    moment = _local(summary.started_at)
    stamp = moment.strftime("%Y-%m-%d-%H%M") if moment else str(summary.id)
    return f"interview-{summary.kind}-{stamp}.{fmt}"


class ReportFiles:
    """Decrypted reports opened in the browser: in one private temporary folder, removed at exit."""

    def __init__(self) -> None:
        self._folder: Path | None = None

    def path_for(self, summary: Any) -> Path:
        if self._folder is None or not self._folder.exists():
            self._folder = Path(tempfile.mkdtemp(prefix="interview-copilot-reports-"))  # mode 0700
            atexit.register(self.remove_all)  # a Python exit without Qt's aboutToQuit (a test, a script)
            app = QCoreApplication.instance()
            if app is not None:
                app.aboutToQuit.connect(self.remove_all)
        return self._folder / f"session-{summary.id}-{report_name(summary, 'html')}"

    def remove(self, session_id: int) -> None:
        """The session was deleted: its opened report goes with it."""
        if self._folder is not None:
            for path in self._folder.glob(f"session-{session_id}-*"):
                path.unlink(missing_ok=True)

    def remove_all(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    @property
    def folder(self) -> Path | None:
        return self._folder


REPORT_FILES = ReportFiles()  # one per process: every history window's opened reports, removed at exit


class HistoryWindow(QMainWindow):
    def __init__(
        self,
        open_store: OpenStore = default_open_store,
        open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl,
        parent: QWidget | None = None,
        reports: ReportFiles = REPORT_FILES,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Session history — Interview Copilot")
        set_window_sheet(self, HISTORY_STYLE)
        self.resize(1180, 760)
        self._open_store, self._open_url, self.reports = open_store, open_url, reports
        self.sessions: list[Any] = []  # SessionSummary, newest first, as the table shows them
        self.preview_id: int | None = None  # the session the preview shows
        self.last_export: Path | None = None
        self._build()
        self.tasks = TaskRunner(self, self.show_error)
        self.tasks.changed.connect(self._update_buttons)
        refresh = QAction("Refresh", self, shortcut=QKeySequence(QKeySequence.StandardKey.Refresh))
        refresh.triggered.connect(self.refresh)
        self.addAction(refresh)
        self._update_buttons()
        self.refresh()

    # --- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.banner = WindowErrors(log, "history")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Recorded sessions")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        # The date is never cut: on a narrow screen the kind column gives way (the full kind in its tooltip).
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.count_label = QLabel()
        self.count_label.setObjectName("hint")
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 4, 0)
        ll.addWidget(section_title("Sessions"))
        ll.addWidget(self.table, 1)
        ll.addWidget(self.count_label)

        self.preview = QTextBrowser()
        self.preview.setOpenExternalLinks(False)
        self.preview.document().setDocumentMargin(10)
        self.preview.setPlaceholderText("Pick a session on the left to read its report.")
        self.html_button = QPushButton("Export HTML…")
        self.html_button.setToolTip("Export a self-contained report with charts, one file that opens offline")
        self.html_button.clicked.connect(lambda: self.export_dialog("html"))
        self.md_button = QPushButton("Export Markdown…")
        for button, short in ((self.html_button, "Save HTML…"), (self.md_button, "Save .md…")):
            button.setAccessibleName(button.text())
            button.setText(short)  # the long names and Delete in one row do not fit an 800 px screen
        self.md_button.clicked.connect(lambda: self.export_dialog("md"))
        self.browser_button = QPushButton("Open in browser")
        self.browser_button.setToolTip("The report with its charts, in your web browser")
        self.browser_button.setObjectName("primary")
        self.browser_button.clicked.connect(self.open_in_browser)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setObjectName("danger")
        self.delete_button.clicked.connect(self.confirm_delete)
        buttons = QGridLayout()  # Delete on a row of its own, away from the export buttons
        for column, button in enumerate((self.browser_button, self.html_button, self.md_button)):
            buttons.addWidget(button, 0, column)
        buttons.setColumnStretch(3, 1)
        buttons.addWidget(self.delete_button, 1, 0)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(4, 0, 0, 0)
        rl.addWidget(section_title("Report"))
        rl.addLayout(buttons)
        rl.addWidget(self.preview, 1)

        splitter = SharedSplitter((382, 378), (0.42, 0.58))  # the table's four columns stay readable at 800 px
        splitter.addWidget(left)
        splitter.addWidget(right)
        set_central(self, self.banner, splitter)

    # --- plumbing -------------------------------------------------------------------------------

    def show_error(self, exc: BaseException | str) -> None:
        self.banner.show_error(exc)

    def _run_store(self, job: str, status: str, action: Callable[[Any], Any], done: Callable[[Any], None]) -> None:
        """On a pool thread: open the store, do `action(store)`, close it; then `done(result)` here.

        The store says once, to whoever opens it, that it found its file damaged and moved it aside
        (`store.notice`): that goes to the banner, since the user's earlier sessions are in the moved file.
        """
        open_store = self._open_store

        def work(_: Any) -> tuple[Any, str | None]:
            with open_store() as store:
                return action(store), store.notice

        def finished(outcome: tuple[Any, str | None]) -> None:
            result, notice = outcome
            if notice:
                self.show_error(notice)
            done(result)

        self.tasks.run(job, status, work, finished)

    def selected(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.sessions[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        for button in (self.html_button, self.md_button, self.browser_button):
            button.setEnabled(chosen and not self.tasks.is_busy("export"))
        self.delete_button.setEnabled(chosen and not self.tasks.is_busy("delete"))

    # --- listing and preview --------------------------------------------------------------------

    def refresh(self) -> None:
        self._run_store("list", "reading the history…", lambda s: s.list_sessions(), self._listed)

    def _listed(self, sessions: list[Any]) -> None:
        keep = self.preview_id
        self.sessions = sorted(sessions, key=lambda s: s.id, reverse=True)
        self.table.blockSignals(True)
        self.table.clearSelection()
        self.table.setRowCount(len(self.sessions))
        select = None
        for row, s in enumerate(self.sessions):
            cells = (when_text(s.started_at), s.kind, str(s.questions), duration_text(s.started_at, s.ended_at))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if column == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
            if s.id == keep:
                select = row
        self.table.blockSignals(False)
        n = len(self.sessions)
        self.count_label.setText(f"{n} session{'s' if n != 1 else ''}, newest first" if n else "No sessions yet")
        if not n:
            self.preview_id = None
            self.preview.setMarkdown(
                "No session was recorded yet. Live sessions, rehearsal-room questions and drills are saved "
                "here as you practise (unless history is turned off in Settings)."
            )
        if n:
            self.table.selectRow(select if select is not None else 0)
        self._update_buttons()

    def _selection_changed(self) -> None:
        self._update_buttons()
        summary = self.selected()
        if summary is None or summary.id == self.preview_id:
            return
        self.preview_id = summary.id
        session_id = summary.id

        def markdown(store: Any) -> str:
            from copilot.history.report import to_markdown

            return to_markdown(store.load_session(session_id))

        self._run_store("preview", "decrypting the session…", markdown, lambda md: self._previewed(session_id, md))

    def _previewed(self, session_id: int, markdown: str) -> None:
        if session_id == self.preview_id:
            self.preview.setMarkdown(markdown)

    def preview_text(self) -> str:
        return self.preview.toPlainText()

    # --- export ---------------------------------------------------------------------------------

    def export_dialog(self, fmt: str) -> None:
        summary = self.selected()
        if summary is None:
            return
        start = str(Path.home() / report_name(summary, fmt))
        path, _ = QFileDialog.getSaveFileName(self, "Export the session report", start, FILTERS[fmt])
        if path:
            self.export(summary.id, fmt, Path(path))

    def export(self, session_id: int, fmt: str, out: Path, then: Callable[[Path], None] | None = None) -> None:
        def write(store: Any) -> Path:
            from copilot.history.report import export

            return export(store.load_session(session_id), fmt, out)

        def done(path: Path) -> None:
            self.last_export = path
            self.tasks.set_status(f"saved {path}")
            if then is not None:
                then(path)

        self._run_store("export", f"writing {out.name}…", write, done)

    def open_in_browser(self) -> None:
        summary = self.selected()
        if summary is None:
            return
        out = self.reports.path_for(summary)
        self.export(summary.id, "html", out, self._open_report)

    def _open_report(self, path: Path) -> None:
        if self._open_url(QUrl.fromLocalFile(str(path))) is False:  # no browser, or none registered
            self.show_error(
                f"No browser could be started to show the report. It is at {path} until the app closes; "
                "use Export HTML… to keep a copy, or set a default browser (xdg-settings on Linux)."
            )

    # --- delete ---------------------------------------------------------------------------------

    def confirm_delete(self) -> None:
        summary = self.selected()
        if summary is None:
            return
        answer = QMessageBox.warning(
            self,
            "Delete this session?",
            f"Delete the {summary.kind} session of {when_text(summary.started_at)} "
            f"({summary.questions} question{'s' if summary.questions != 1 else ''})?\n\n"
            "It is erased from the history file for good: this cannot be undone. "
            "A report opened in the browser is removed too; reports you exported stay where you saved them.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete(summary.id)

    def delete(self, session_id: int) -> None:
        def gone(_: Any) -> None:
            self.reports.remove(session_id)
            if self.preview_id == session_id:
                self.preview_id = None
                self.preview.clear()
            self.tasks.set_status(f"session {session_id} deleted")
            self.refresh()

        self._run_store("delete", "deleting…", lambda s: s.delete_session(session_id), gone)


def open_history_window(parent: QWidget | None = None) -> HistoryWindow:
    window = HistoryWindow(parent=parent)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    return window
