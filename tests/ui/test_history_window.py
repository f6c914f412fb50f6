"""The session-history window (Ctrl+H): lists the recorded sessions, previews one, exports its report
(HTML, Markdown) to the path chosen, opens it in the browser and deletes it after a warning."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QUrl  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QMessageBox  # noqa: E402

from copilot.history.store import open_default_store  # noqa: E402
from ui.history.window import HistoryWindow  # noqa: E402

# Every store access runs through the window's TaskRunner: inline here, so each result is there on
# the next line.
pytestmark = pytest.mark.usefixtures("inline_tasks")

LIVE_QUESTION = "Tell me about a time you cut the cost of serving a model."
DRILL_QUESTION = "What is overfitting?"


def seed() -> tuple[int, int]:
    with open_default_store() as store:
        live = store.start_session("live")
        store.record(live, "question", {"question_id": 1, "final": True, "text": LIVE_QUESTION})
        store.record(
            live,
            "cards",
            {"question_id": 1, "question_type": "behavioral", "type_confidence": 0.9, "stories": ["distill"]},
        )
        store.record(live, "bullets", {"question_id": 1, "done": True, "bullets": ["Lead with the $38k bill"]})
        store.end_session(live)
        drill = store.start_session("drill")
        store.record(drill, "question", {"question_id": 1, "final": True, "text": DRILL_QUESTION})
        store.record(drill, "feedback", {"question_id": 1, "question": DRILL_QUESTION, "words_per_minute": 150.0})
        return live, drill


@pytest.fixture
def window(qtbot: Any) -> HistoryWindow:
    opened: list[QUrl] = []
    win = HistoryWindow(open_url=opened.append)
    win.opened = opened  # type: ignore[attr-defined]
    qtbot.addWidget(win)
    win.show()
    return win


def cells(window: HistoryWindow, row: int) -> list[str]:
    return [window.table.item(row, c).text() for c in range(window.table.columnCount())]


def test_the_sessions_are_listed_newest_first_and_previewed(qtbot: Any) -> None:
    live, drill = seed()
    window = HistoryWindow()
    qtbot.addWidget(window)
    assert window.table.rowCount() == 2
    assert [s.id for s in window.sessions] == [drill, live]
    drill_row, live_row = cells(window, 0), cells(window, 1)
    assert drill_row[1:] == ["drill", "1", "unfinished"]  # never ended
    assert live_row[1] == "live" and live_row[2] == "1" and live_row[3].endswith(" s")
    assert window.count_label.text() == "2 sessions, newest first"
    assert DRILL_QUESTION in window.preview_text()  # the newest is selected at once
    window.table.selectRow(1)
    assert LIVE_QUESTION in window.preview_text()
    assert "Lead with the $38k bill" in window.preview_text()


def test_export_html_and_markdown_to_the_chosen_path(
    qtbot: Any, window: HistoryWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed()
    window.refresh()
    assert window.table.rowCount() == 2
    window.table.selectRow(1)  # the live session
    asked: list[str] = []

    def save_as(parent: Any, caption: str, start: str, filters: str) -> tuple[str, str]:
        asked.append(start)
        suffix = ".html" if "html" in filters else ".md"
        return str(tmp_path / f"report{suffix}"), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    assert window.html_button.isEnabled()
    window.html_button.click()
    assert window.last_export == tmp_path / "report.html"
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html") and LIVE_QUESTION in page
    assert Path(asked[0]).name.startswith("interview-live-") and asked[0].endswith(".html")
    window.md_button.click()
    assert window.last_export == tmp_path / "report.md"
    assert LIVE_QUESTION in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert f"saved {tmp_path / 'report.md'}" in window.tasks.status_label.text()


def test_cancelling_the_save_dialog_writes_nothing(
    qtbot: Any, window: HistoryWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed()
    window.refresh()
    assert window.table.rowCount() == 2
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: ("", ""))
    window.html_button.click()
    assert not window.tasks.is_busy("export") and window.last_export is None


def test_open_report_in_browser_writes_the_html_and_opens_it(qtbot: Any, window: HistoryWindow) -> None:
    seed()
    window.refresh()
    assert window.table.rowCount() == 2
    window.table.selectRow(1)
    window.browser_button.click()
    assert window.opened  # type: ignore[attr-defined]
    (url,) = window.opened  # type: ignore[attr-defined]
    path = Path(url.toLocalFile())
    assert path.suffix == ".html" and LIVE_QUESTION in path.read_text(encoding="utf-8")


def test_delete_asks_first_then_removes_the_session(
    qtbot: Any, window: HistoryWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    live, drill = seed()
    window.refresh()
    assert window.table.rowCount() == 2
    window.table.selectRow(1)  # the live session
    warnings: list[str] = []

    def answer(choice: QMessageBox.StandardButton) -> Any:
        def warning(parent: Any, title: str, text: str, *rest: Any) -> QMessageBox.StandardButton:
            warnings.append(text)
            return choice

        return warning

    monkeypatch.setattr(QMessageBox, "warning", answer(QMessageBox.StandardButton.Cancel))
    window.delete_button.click()
    assert "cannot be undone" in warnings[0] and not window.tasks.is_busy("delete")
    with open_default_store() as store:
        assert [s.id for s in store.list_sessions()] == [live, drill]

    monkeypatch.setattr(QMessageBox, "warning", answer(QMessageBox.StandardButton.Yes))
    window.delete_button.click()
    assert window.table.rowCount() == 1 and not window.tasks.is_busy()
    assert [s.id for s in window.sessions] == [drill]
    with open_default_store() as store:
        assert [s.id for s in store.list_sessions()] == [drill]


def test_an_empty_history_says_so(qtbot: Any, window: HistoryWindow) -> None:
    assert window.count_label.text() == "No sessions yet"
    assert "No session was recorded yet" in window.preview_text()
    assert not window.html_button.isEnabled() and not window.delete_button.isEnabled()


def test_history_that_cannot_be_opened_is_explained_in_the_banner(qtbot: Any, private_folders: Path) -> None:
    (private_folders / "history.key").write_text("not a key\n")
    window = HistoryWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.banner.isVisible()
    assert "not a valid history key" in window.banner.label.text()
    assert window.table.rowCount() == 0


# --- the opened report is a decrypted copy: private, temporary (issue 9, item 10) -----------------


def test_an_opened_report_is_private_and_removed_with_the_session_and_at_exit(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, private_folders: Path
) -> None:
    import stat

    from copilot.config import paths
    from ui.history.window import ReportFiles

    live, drill = seed()
    opened: list[QUrl] = []
    reports = ReportFiles()
    window = HistoryWindow(open_url=opened.append, reports=reports)
    qtbot.addWidget(window)
    assert window.table.rowCount() == 2
    window.table.selectRow(1)  # the live session
    window.browser_button.click()
    assert opened
    path = Path(opened[0].toLocalFile())
    assert LIVE_QUESTION in path.read_text(encoding="utf-8")
    assert reports.folder is not None and path.parent == reports.folder
    assert stat.S_IMODE(reports.folder.stat().st_mode) == 0o700  # only the user can read the copy
    assert not (paths.cache_dir() / "reports").exists()  # nothing decrypted left in the cache
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: QMessageBox.StandardButton.Yes)
    window.delete_button.click()
    assert window.table.rowCount() == 1 and not window.tasks.is_busy()
    assert not path.exists()  # deleting the session deletes its opened report
    window.browser_button.click()  # the drill session, now selected
    assert len(opened) == 2
    folder = reports.folder
    reports.remove_all()  # what the app's exit runs
    assert not folder.exists()


def test_no_browser_is_said_in_the_banner(qtbot: Any) -> None:
    from ui.history.window import ReportFiles

    seed()
    window = HistoryWindow(open_url=lambda url: False, reports=ReportFiles())
    qtbot.addWidget(window)
    assert window.table.rowCount() == 2
    window.browser_button.click()
    assert window.banner.errors
    assert "No browser could be started" in window.banner.label.text() and "Export HTML" in window.banner.label.text()


# --- what the reports show (issue 9, item 10) ----------------------------------------------------


def test_reports_show_live_types_drill_scores_and_only_stages_that_ran(qtbot: Any) -> None:
    from copilot.history.report import to_html, to_markdown

    with open_default_store() as store:
        live = store.start_session("live")
        # Live mode: the cards come while the question is still being spoken, before its final text.
        store.record(live, "cards", {"question_id": 3, "question_type": "behavioral", "type_confidence": 0.8})
        store.record(live, "bullets", {"question_id": 3, "done": True, "bullets": ["Lead with the bill"]})
        store.record(live, "question", {"question_id": 3, "final": True, "text": LIVE_QUESTION})
        drill = store.start_session("drill")
        store.record(drill, "question", {"question_id": 1, "final": True, "text": DRILL_QUESTION})
        store.record(
            drill,
            "feedback",
            {"question_id": 1, "question": DRILL_QUESTION, "score": 0.42, "suggestions": ["Give a concrete example."]},
        )
        store.record(drill, "timings", {"question_id": 1, "timings_ms": {"transcribe": 0.0, "classify": 7.0}})
        live_session, drill_session = store.load_session(live), store.load_session(drill)
    live_md = to_markdown(live_session)
    assert "*behavioral (80%)*" in live_md and "type unknown" not in live_md and "Lead with the bill" in live_md
    for report in (to_markdown(drill_session), to_html(drill_session)):
        assert "0.42" in report and "weak" in report and "Give a concrete example." in report
        assert "classify" in report and "transcribe" not in report  # 0 ms: the stage did not run
    window = HistoryWindow(open_url=lambda url: True)
    qtbot.addWidget(window)
    assert window.table.rowCount() == 2
    assert "Give a concrete example." in window.preview_text()  # the drill, newest


def test_a_damaged_history_moved_aside_is_said_in_the_window(qtbot: Any) -> None:
    """The store moves a damaged file aside and says so once, to whoever opens it (issue 13)."""
    with open_default_store() as store:
        path = store.path
    path.write_bytes(b"not sqlite at all" * 100)
    for extra in path.parent.glob(path.name + "-*"):  # the old file's WAL and shared memory
        extra.unlink()
    window = HistoryWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.count_label.text() == "No sessions yet"
    (aside,) = path.parent.glob(path.name + ".damaged-*")
    assert window.banner.isVisible()
    shown = window.banner.label.text()
    assert "was damaged" in shown and str(aside) in shown and "new history was started" in shown
    window.banner.errors.clear()
    window.refresh()  # said once: the new file is sound
    assert not window.tasks.is_busy()
    assert window.banner.errors == []


@pytest.mark.parametrize("width", [800, 1024])
def test_every_cell_of_the_table_is_whole_on_a_laptop_screen(qtbot: Any, width: int) -> None:
    """At 800 px the kind column read "rehea…" (issue 9, item 4)."""
    from copilot.history.store import HistoryStore, default_key_provider, default_path

    seed()
    times = iter(["2026-03-02T09:00:00.000+00:00", "2026-03-02T09:11:00.000+00:00"])
    with HistoryStore(default_path(), default_key_provider(), clock=lambda: next(times)) as store:
        store.end_session(store.start_session("rehearsal"))  # the longest kind, a long duration: "11 min 00 s"
    window = HistoryWindow()
    qtbot.addWidget(window)
    window.resize(width, 600)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.width() <= width + 1)
    table, header = window.table, window.table.horizontalHeader()
    padding = 2 * 6 + 2  # the sheet's item padding, and the frame
    for row in range(table.rowCount()):
        for column in range(table.columnCount()):
            text = table.item(row, column).text()
            need = table.fontMetrics().horizontalAdvance(text) + padding
            assert need <= header.sectionSize(column), f"{text!r} cut at {width} px"
    for button in (window.browser_button, window.html_button, window.md_button, window.delete_button):
        assert button.width() >= button.sizeHint().width(), f"{button.text()} squeezed at {width} px"
