"""Job description coverage: paste a job ad (or open a .txt/.md file), see which competencies and topics
it asks for, and which of them your stories or the topic cards already cover; draft a story for a gap.
With a resume picked (PDF, DOCX, Markdown or text, read as `copilot stories from-resume` reads it), each
competency also shows the resume bullet that backs it, or that the resume says nothing of it.

The matching is copilot/practice/coverage.py's `jd_coverage` (the same as `copilot coverage`), run in a
`BackgroundTask` on the core's embedder and stories; a draft is written by the story library's own
`new_story_file` (atomic, never overwrites). Every status is shown as a word and a mark, with colour
only as a second cue.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from copilot.practice.coverage import Coverage
from ui.common.bridge import Progress
from ui.common.theme import color, set_window_sheet
from ui.common.widgets import (
    REHEARSAL_STYLE,
    SharedSplitter,
    TaskRunner,
    WindowErrors,
    section_title,
    set_central,
    wrapped_label,
)

log = logging.getLogger(__name__)
JD_FILTER = "Text (*.txt *.md *.markdown);;All files (*)"
RESUME_FILTER = "Resumes (*.pdf *.docx *.md *.markdown *.txt);;All files (*)"
QUOTE_COLUMN, RESUME_COLUMN = 3, 4
NARROW_TREE_PX = 640  # a tree narrower than this shows three columns, not five
# Of the width Status leaves, by column: {narrow: {column: share}}.
COLUMN_SHARES = {False: {0: 0.28, 2: 0.32, 3: 0.2, 4: 0.2}, True: {0: 0.45, 2: 0.55}}
JD_STYLE = (
    REHEARSAL_STYLE
    + """
QPlainTextEdit { background: @pane; border: 1px solid @divider; border-radius: 6px; padding: 4px; }
QTreeWidget { background: @pane; border: 1px solid @divider; border-radius: 6px; outline: none; }
QTreeWidget::item { padding: 4px 2px; }
QTreeWidget::item:selected { background: @selection; color: @text_strong; }
QHeaderView::section { background: @surface; color: @text_muted; border: none; padding: 4px 6px; font-size: 11px; }
"""
)

# (mark, word, colour token) per status: the word carries the meaning, the colour only repeats it.
STATUS = {
    "covered": ("✔", "has stories", "success"),
    "missing": ("✘", "missing", "danger"),
    "drafted": ("✎", "draft written", "caution"),
    "card": ("◆", "has a card", "link"),
    "card+stories": ("✔", "card and stories", "success"),
}
ROLE_KIND, ROLE_ID = Qt.ItemDataRole.UserRole, Qt.ItemDataRole.UserRole + 1


def default_topics() -> Sequence[Any]:
    from copilot.pipeline import knowledge

    return knowledge.topics()


def read_jd_file(path: Path) -> str:
    from copilot.cli.coverage import read_jd

    return read_jd(str(path))


def read_resume_bullets(path: Path) -> dict[str, list[str]]:
    """Competency id -> the resume's impact bullets that show it (InputFileError naming a bad file)."""
    from copilot.practice.resume import bullets_by_competency, impact_bullets, read_resume

    shown = bullets_by_competency(impact_bullets(read_resume(path)))
    return {cid: [b.text for b in bullets] for cid, bullets in shown.items()}


def resume_cell(bullets: list[str] | None) -> str:
    if not bullets:
        return "not on your resume"
    more = f" (+{len(bullets) - 1} more)" if len(bullets) > 1 else ""
    return f"“{bullets[0]}”{more}"


def draft_title(competency: str) -> str:
    return f"A time I showed {competency.replace('-', ' ')}"


class JdWindow(QMainWindow):
    closing = Signal()

    def __init__(
        self,
        core: Any = None,
        *,
        topics: Callable[[], Sequence[Any]] = default_topics,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Job description coverage — Interview Copilot")
        set_window_sheet(self, JD_STYLE)
        self.resize(1280, 820)
        self.core = core
        self._topics = topics
        self.coverage: Coverage | None = None
        self.drafts: dict[str, Path] = {}  # competency -> the draft written for it in this window
        self.resume: Path | None = None
        self.resume_shows: dict[str, list[str]] = {}  # competency -> the resume bullets that show it
        self._build()
        self.tasks = TaskRunner(self, self.show_error)
        self.tasks.changed.connect(self._update_buttons)
        self.open_action = QAction("Open job description…", self, shortcut=QKeySequence("Ctrl+O"))
        self.open_action.triggered.connect(self._open_dialog)
        self.addAction(self.open_action)
        self.check_action = QAction("Check coverage", self, shortcut=QKeySequence("Ctrl+Return"))
        self.check_action.triggered.connect(self.check_coverage)
        self.addAction(self.check_action)
        self.resume_action = QAction("Pick a resume…", self, shortcut=QKeySequence("Ctrl+R"))
        self.resume_action.triggered.connect(self._resume_dialog)
        self.addAction(self.resume_action)
        self._update_buttons()

    # --- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.banner = WindowErrors(log, "job description")
        splitter = SharedSplitter((345, 380), (0.34, 0.66))  # the coverage keeps most of a narrow window
        splitter.addWidget(self._build_input())
        splitter.addWidget(self._build_results())
        set_central(self, self.banner, splitter)

    def _build_input(self) -> QWidget:
        self.jd_edit = QPlainTextEdit()
        self.jd_edit.setAccessibleName("Job description")
        self.jd_edit.setPlaceholderText("Paste the job description here, or open a .txt or .md file (Ctrl+O).")
        self.jd_edit.textChanged.connect(self._update_buttons)
        self.jd_edit.setTabChangesFocus(True)  # Tab moves on to the buttons; a pasted ad keeps its own tabs
        self.open_button = QPushButton("Open file…")
        self.open_button.setToolTip("A job description saved as plain text or Markdown (Ctrl+O)")
        self.open_button.clicked.connect(self._open_dialog)
        self.resume_button = QPushButton("Resume…")
        self.resume_button.setToolTip("Your resume (PDF, DOCX, Markdown or text): which requirements it backs (Ctrl+R)")
        self.resume_button.clicked.connect(self._resume_dialog)
        self.check_button = QPushButton("Check coverage")
        self.check_button.setObjectName("primary")
        self.check_button.clicked.connect(self.check_coverage)
        row = QHBoxLayout()
        row.addWidget(self.open_button)
        row.addWidget(self.resume_button)
        row.addStretch(1)
        row.addWidget(self.check_button)
        self.source_label = wrapped_label("", "hint")
        self.resume_label = wrapped_label("No resume picked: pick one to see which requirements it backs.", "hint")
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addWidget(section_title("Job description"))
        layout.addWidget(self.jd_edit, 1)
        layout.addWidget(self.source_label)
        layout.addWidget(self.resume_label)
        layout.addLayout(row)
        return panel

    def _build_results(self) -> QWidget:
        self.summary_label = wrapped_label("Paste a job description and press Check coverage (Ctrl+Return).")
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Coverage of the job description")
        self.tree.setColumnCount(5)
        self.tree.setHeaderLabels(["Asked for", "Status", "Your material", "In the ad", "On your resume"])
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)  # the full text is in each cell's tooltip
        # The columns share the tree's width (_fit_columns): with fixed widths and no scroll bar, the
        # last three were out of reach on a laptop screen.
        self.tree.header().setStretchLastSection(False)
        self.tree.viewport().installEventFilter(self)  # narrow: the quote columns give way (_fit_columns)
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.tree.itemDoubleClicked.connect(lambda *_: self.draft_selected())
        self.draft_button = QPushButton("Draft a story for it")
        self.draft_button.setObjectName("primary")
        self.draft_button.clicked.connect(self.draft_selected)
        self.draft_hint = wrapped_label("Select a missing competency to draft a story for it.", "hint")
        row = QHBoxLayout()
        row.addWidget(self.draft_hint, 1)
        row.addWidget(self.draft_button)
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addWidget(section_title("Coverage"))
        layout.addWidget(self.summary_label)
        layout.addWidget(self.tree, 1)
        layout.addLayout(row)
        return panel

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.tree.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return super().eventFilter(watched, event)

    def _fit_columns(self) -> None:
        """Share the width: Status as wide as its words, the rest by COLUMN_SHARES. Below NARROW_TREE_PX
        the quote columns ("In the ad", "On your resume") hide: five columns in an 800 px window cut
        every cell to a word. Each row's tooltip still has them."""
        width = self.tree.viewport().width()
        narrow = width < NARROW_TREE_PX
        for column in (QUOTE_COLUMN, RESUME_COLUMN):
            self.tree.setColumnHidden(column, narrow)
        status = max(self.tree.sizeHintForColumn(1), self.tree.header().sectionSizeHint(1))
        self.tree.setColumnWidth(1, status)
        shares = COLUMN_SHARES[narrow]
        for column, share in shares.items():
            self.tree.setColumnWidth(column, int(max(width - status, 0) * share))

    # --- plumbing -------------------------------------------------------------------------------

    def is_busy(self, job: str | None = None) -> bool:
        return self.tasks.is_busy(job)

    def show_error(self, exc: BaseException | str) -> None:
        self.banner.show_error(exc)

    def set_core(self, core: Any) -> None:
        self.core = core
        self._update_buttons()

    def _update_buttons(self) -> None:
        if not hasattr(self, "tasks"):
            return
        ready = self.core is not None
        has_text = bool(self.jd_edit.toPlainText().strip())
        self.check_button.setEnabled(ready and has_text and not self.is_busy("coverage"))
        self.check_button.setToolTip("" if ready else "The models are still loading")
        competency = self.selected_missing()
        self.draft_button.setEnabled(ready and competency is not None and not self.is_busy("draft"))
        self.draft_button.setText(
            f"Draft a story for {competency.replace('-', ' ')}" if competency else "Draft a story for it"
        )

    # --- input ----------------------------------------------------------------------------------

    def set_text(self, text: str) -> None:
        self.jd_edit.setPlainText(text)
        self.source_label.setText("")

    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a job description", "", JD_FILTER)
        if path:
            self.open_file(Path(path))

    def open_file(self, path: Path | str) -> None:
        path = Path(path)

        def loaded(text: str) -> None:
            self.jd_edit.setPlainText(text)
            self.source_label.setText(f"From {path}")
            self.check_coverage()

        self.tasks.run("open", f"reading {path.name}…", lambda _: read_jd_file(path), loaded)

    def _resume_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Pick your resume", "", RESUME_FILTER)
        if path:
            self.open_resume(Path(path))

    def open_resume(self, path: Path | str) -> None:
        """Read the resume's impact bullets off the GUI thread; the coverage shows which back what."""
        path = Path(path)

        def loaded(shows: dict[str, list[str]]) -> None:
            self.resume, self.resume_shows = path, shows
            bullets = len({b for found in shows.values() for b in found})
            self.resume_label.setText(
                f"Resume: {path.name} ({bullets} impact bullet{'s' if bullets != 1 else ''} name a competency)"
            )
            if self.coverage is not None:
                self.render_coverage(self.coverage)

        self.tasks.run("resume", f"reading {path.name}…", lambda _: read_resume_bullets(path), loaded)

    # --- coverage -------------------------------------------------------------------------------

    def check_coverage(self) -> None:
        text = self.jd_edit.toPlainText()
        if self.core is None or not text.strip() or self.is_busy("coverage"):
            return
        core, topics = self.core, self._topics

        def work(progress: Progress) -> Coverage:
            from copilot.practice.coverage import jd_coverage

            progress("matching against the competencies and topic cards…")
            return jd_coverage(text, list(core.library.stories), topics(), core.embedder)

        self.tasks.run("coverage", "checking coverage…", work, self.render_coverage)

    def render_coverage(self, coverage: Coverage) -> None:
        self.coverage = coverage
        titles = {s.id: s.title for s in self.core.library.stories} if self.core is not None else {}
        self.tree.clear()
        competencies = QTreeWidgetItem(self.tree, [f"Competencies ({len(coverage.competencies)})"])
        topics = QTreeWidgetItem(self.tree, [f"Topics ({len(coverage.topics)})"])
        for group in (competencies, topics):
            group.setFirstColumnSpanned(True)
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
        for c in coverage.competencies:
            if c.id in self.drafts:
                status, material = "drafted", f"draft: {self.drafts[c.id].name} (fill it in the story library)"
            elif c.covered:
                named = "; ".join(titles.get(s, s) for s in c.stories)
                status, material = (
                    "covered",
                    f"{len(c.stories)} {'story' if len(c.stories) == 1 else 'stories'}: {named}",
                )
            else:
                status, material = "missing", "no story tagged with it"
            row = self._add_row(competencies, "competency", c.id, c.id.replace("-", " "), status, material, c.evidence)
            if self.resume is not None:
                cell = resume_cell(self.resume_shows.get(c.id))
                row.setText(RESUME_COLUMN, cell)
                row.setToolTip(RESUME_COLUMN, "\n".join(self.resume_shows.get(c.id, [])) or cell)
                row.setToolTip(0, f"{row.toolTip(0)}\nOn your resume: {row.toolTip(RESUME_COLUMN)}")
        for t in coverage.topics:
            status = "card+stories" if t.stories else "card"
            material = f"topic card: {t.title}"
            if t.stories:
                material += "; stories: " + "; ".join(titles.get(s, s) for s in t.stories)
            self._add_row(topics, "topic", t.id, t.title, status, material, t.evidence)
        if not coverage.topics:
            QTreeWidgetItem(topics, ["none found", "", "", "", ""]).setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.tree.expandAll()
        self._fit_columns()  # the status words may be wider now
        self._render_summary()
        self._update_buttons()

    def _add_row(
        self, parent: QTreeWidgetItem, kind: str, key: str, name: str, status: str, material: str, evidence: str
    ) -> QTreeWidgetItem:
        mark, word, token = STATUS[status]
        item = QTreeWidgetItem(parent, [name, f"{mark} {word}", material, f"“{evidence}”", ""])
        item.setData(0, ROLE_KIND, kind)
        item.setData(0, ROLE_ID, key)
        item.setForeground(1, QColor(color(token)))  # the current theme's colour for it
        item.setToolTip(0, f"{name}\nIn the ad: “{evidence}”")  # what the hidden column says, when narrow
        item.setToolTip(2, material)
        item.setToolTip(3, evidence)
        return item

    def _render_summary(self) -> None:
        coverage = self.coverage
        if coverage is None:
            return
        if not coverage.competencies and not coverage.topics:
            self.summary_label.setText(
                "Nothing in this job description matched the competency vocabulary or the topic cards."
            )
            return
        missing = [c.id for c in coverage.missing if c.id not in self.drafts]
        covered = len(coverage.competencies) - len(coverage.missing)
        gaps = ", ".join(html.escape(m.replace("-", " ")) for m in missing)
        self.summary_label.setText(
            f"{covered} of {len(coverage.competencies)} competencies asked for have a story; "
            f"{len(coverage.topics)} topics have a card."
            + (f"<br><span style='color:{color('danger')}'>✘ Missing:</span> {gaps}" if missing else "")
            + self._resume_summary(coverage)
        )

    def _resume_summary(self, coverage: Coverage) -> str:
        if self.resume is None or not coverage.competencies:
            return ""
        asked = [c.id for c in coverage.competencies]
        absent = [cid for cid in asked if cid not in self.resume_shows]
        line = f"<br>Your resume backs {len(asked) - len(absent)} of {len(asked)}"
        return line + (f"; not on it: {html.escape(', '.join(a.replace('-', ' ') for a in absent))}" if absent else "")

    def rows(self) -> list[tuple[str, str, str]]:
        """(kind, id, status text) for every row, for tests and screenshots."""
        return [(item.data(0, ROLE_KIND), item.data(0, ROLE_ID), item.text(1)) for item in self._items() if item.data(0, ROLE_KIND)]

    def _items(self) -> list[QTreeWidgetItem]:
        """Every row under a group heading (the tree is two levels deep)."""
        groups = [self.tree.topLevelItem(g) for g in range(self.tree.topLevelItemCount())]
        children = [group.child(i) for group in groups if group is not None for i in range(group.childCount())]
        return [item for item in children if item is not None]

    def select_row(self, key: str) -> None:
        for item in self._items():
            if item.data(0, ROLE_ID) == key:
                self.tree.setCurrentItem(item)
                return
        raise KeyError(key)

    # --- drafting a story -----------------------------------------------------------------------

    def selected_missing(self) -> str | None:
        """The selected competency when it has no story (and no draft from this window) yet."""
        item = self.tree.currentItem()
        if item is None or item.data(0, ROLE_KIND) != "competency" or self.coverage is None:
            return None
        key = item.data(0, ROLE_ID)
        missing = {c.id for c in self.coverage.missing}
        return key if key in missing and key not in self.drafts else None

    def draft_selected(self) -> None:
        competency = self.selected_missing()
        if competency is None or self.core is None or self.is_busy("draft"):
            return
        folder = Path(self.core.library.folder)

        def work(_: Progress) -> Path:
            from copilot.stories.library import new_story_file

            story = new_story_file(folder, draft_title(competency), competencies=[competency])
            assert story.path is not None
            return story.path

        def written(path: Path) -> None:
            self.drafts[competency] = path
            if self.coverage is not None:
                self.render_coverage(self.coverage)
                self.select_row(competency)
            self.tasks.set_status(f"draft written to {path}; fill it in the story library (Ctrl+L)")

        self.tasks.run("draft", f"writing a draft for {competency}…", work, written)

    # --- closing --------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.closing.emit()
        super().closeEvent(event)


def open_jd_window(parent: QWidget | None = None, core: Any = None) -> JdWindow:
    """The coverage view on the live window's core (already loaded: its embedder and stories)."""
    window = JdWindow(core, parent=parent)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    return window
