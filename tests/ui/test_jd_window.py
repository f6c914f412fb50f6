"""The job-description coverage view on the real embedder and a copy of the example stories without the
mentoring one: a pasted ad shows a covered and a missing competency, a draft fills the gap, and a picked
resume shows which bullet backs each competency. The window's jobs run on the inline executor: each
result is there when the call that started it returns."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from conftest import EXAMPLE_STORIES  # noqa: E402

from copilot.stories.library import load_library  # noqa: E402
from copilot.stories.parse import parse_story  # noqa: E402
from ui.practice.jd_window import ROLE_KIND, JdWindow  # noqa: E402

pytestmark = pytest.mark.usefixtures("inline_tasks")

JD = (
    "Senior ML Engineer. You will own features end to end, from data to production. "
    "You will mentor junior engineers and run code reviews. "
    "Experience monitoring models in production and detecting data drift is a plus."
)


@pytest.fixture
def core(tmp_path: Path, embedder: Any) -> Any:
    folder = tmp_path / "stories"
    shutil.copytree(EXAMPLE_STORIES, folder)
    (folder / "mentored-junior-eval-harness.md").unlink()  # the only story tagged mentoring
    stories = list(load_library(folder).stories)
    return SimpleNamespace(embedder=embedder, library=SimpleNamespace(folder=folder, stories=stories))


def test_a_pasted_job_description_shows_covered_and_missing(qtbot: Any, core: Any) -> None:
    window = JdWindow(core)
    qtbot.addWidget(window)
    assert not window.check_button.isEnabled()  # nothing pasted yet
    window.set_text(JD)
    window.check_button.click()
    assert window.coverage is not None
    rows = {(kind, key): status for kind, key, status in window.rows()}
    assert rows[("competency", "ownership")] == "✔ has stories"
    assert rows[("competency", "mentoring")] == "✘ missing"
    assert any(kind == "topic" and "drift" in key for kind, key in rows), rows
    assert "Missing:" in window.summary_label.text() and "mentoring" in window.summary_label.text()
    owned = next(i for i in _items(window) if i.text(0) == "ownership")
    owners = [s.title for s in core.library.stories if "ownership" in s.competencies]
    assert owners and all(title in owned.text(2) for title in owners)  # which stories, by title
    assert owned.text(3).strip("“”") == "own features"

    window.select_row("ownership")
    assert not window.draft_button.isEnabled()  # it has stories already
    window.select_row("mentoring")
    assert window.draft_button.isEnabled() and "mentoring" in window.draft_button.text()
    before = {p.name for p in core.library.folder.iterdir()}
    window.draft_button.click()
    assert "mentoring" in window.drafts
    (new,) = {p.name for p in core.library.folder.iterdir()} - before
    story = parse_story((core.library.folder / new).read_text(encoding="utf-8"), new)
    assert story.competencies == ("mentoring",) and "mentoring" in story.title
    assert window.drafts["mentoring"] == core.library.folder / new
    rows = {key: status for _, key, status in window.rows()}
    assert rows["mentoring"] == "✎ draft written"
    assert not window.draft_button.isEnabled()  # one draft per gap
    assert "Missing:" not in window.summary_label.text()


def test_a_file_is_read_and_checked(qtbot: Any, core: Any, tmp_path: Path) -> None:
    jd = tmp_path / "ad.md"
    jd.write_text("# Role\n\n" + JD, encoding="utf-8")
    window = JdWindow(core)
    qtbot.addWidget(window)
    window.open_file(jd)
    assert window.coverage is not None
    assert "mentor junior engineers" in window.jd_edit.toPlainText()
    assert "ad.md" in window.source_label.text()


def test_a_binary_file_is_refused_in_the_banner(qtbot: Any, core: Any, tmp_path: Path) -> None:
    bad = tmp_path / "ad.txt"
    bad.write_bytes(b"%PDF-1.4\0\0binary")
    window = JdWindow(core)
    qtbot.addWidget(window)
    window.show()
    window.open_file(bad)
    assert window.banner.isVisible()
    assert "ad.txt" in window.banner.label.text() and "binary" in window.banner.label.text()
    assert window.coverage is None


RESUME = Path(__file__).resolve().parents[1] / "data" / "mock_eval" / "resume.md"


def test_a_picked_resume_shows_which_requirements_its_bullets_back(qtbot: Any, core: Any) -> None:
    window = JdWindow(core)
    qtbot.addWidget(window)
    window.open_resume(RESUME)  # picked before the check: kept and shown once coverage arrives
    assert window.resume is not None
    assert "resume.md" in window.resume_label.text()
    window.set_text(JD)
    window.check_button.click()
    assert window.coverage is not None
    cells = {i.text(0): i.text(4) for i in _items(window) if i.data(0, ROLE_KIND) == "competency"}
    assert cells["mentoring"] == "“Mentored two new graduates”", "the resume line that backs it, word for word"
    assert cells["ownership"] == "not on your resume"
    topics = [i.text(4) for i in _items(window) if i.data(0, ROLE_KIND) == "topic"]
    assert topics and all(cell == "" for cell in topics), "only competencies are matched against the resume"
    asked = len(window.coverage.competencies)
    assert f"Your resume backs 1 of {asked}" in window.summary_label.text()
    assert "not on it: " in window.summary_label.text() and "ownership" in window.summary_label.text()


def test_a_resume_picked_after_the_check_fills_the_column(qtbot: Any, core: Any, tmp_path: Path) -> None:
    window = JdWindow(core)
    qtbot.addWidget(window)
    window.set_text(JD)
    window.check_button.click()
    assert window.coverage is not None
    assert all(i.text(4) == "" for i in _items(window)), "no resume yet: the column stays empty"
    resume = tmp_path / "cv.txt"
    resume.write_text("- Owned the ranking service end to end\n- Mentored three interns\n", encoding="utf-8")
    window.open_resume(resume)
    assert window.resume is not None
    cells = {i.text(0): i.text(4) for i in _items(window) if i.data(0, ROLE_KIND) == "competency"}
    assert cells["mentoring"] == "“Mentored three interns”"
    assert cells["ownership"] == "“Owned the ranking service end to end”"


def test_an_unreadable_resume_is_named_in_the_banner(qtbot: Any, core: Any, tmp_path: Path) -> None:
    bad = tmp_path / "cv.pdf"
    bad.write_bytes(b"not a pdf at all")
    window = JdWindow(core)
    qtbot.addWidget(window)
    window.show()
    window.open_resume(bad)
    assert window.banner.isVisible()
    assert "cv.pdf" in window.banner.label.text() and "not a readable PDF" in window.banner.label.text()
    assert window.resume is None


def _items(window: JdWindow) -> list[Any]:
    out = []
    for g in range(window.tree.topLevelItemCount()):
        group = window.tree.topLevelItem(g)
        out += [group.child(i) for i in range(group.childCount())]
    return out
