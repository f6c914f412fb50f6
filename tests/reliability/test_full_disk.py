"""A really full disk (a small tmpfs, mounted for the test), for every writer: the message names the
full disk, nothing half-written is left, nothing is lost, never a traceback (issue 13, items 3 and 5).

Mounting needs root (CI runs as root); elsewhere the injected-ENOSPC tests in tests/core cover the
same messages, and this module says why it did not run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from copilot.errors import InputFileError, UserError
from copilot.history.store import HistoryStore
from copilot.stories.library import import_stories, load_library, new_story_file
from copilot.stories.parse import load_story
from copilot.stories.write import save_story

STORY = "---\nid: {id}\ntitle: Story {id}\n---\n## Situation\n{body}\n"
PAGE = 4096


@pytest.fixture
def small_disk(tmp_path: Path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"a tmpfs cannot be mounted here ({done.stderr.decode().strip()}); see tests/core for ENOSPC")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave_pages: int = 0) -> Path:
    """Take all the room but `leave_pages` pages; returns the filler file (truncate it to free room)."""
    filler = disk / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        while os.write(fd, b"\1" * PAGE):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    os.truncate(filler, max(0, filler.stat().st_size - leave_pages * PAGE))
    return filler


def test_saving_a_story_on_a_full_disk_keeps_the_old_version(small_disk: Path) -> None:
    folder = small_disk / "stories"
    folder.mkdir()
    path = folder / "kept.md"
    path.write_text(STORY.format(id="kept", body="short"), encoding="utf-8")
    before = path.read_bytes()
    fill(small_disk)
    story = load_story(path)
    with pytest.raises(
        InputFileError, match=r"the disk is full \(0\.0 MB free, [0-9.]+ MB needed\).*previous version is unchanged"
    ):
        save_story(story.with_section("result", "x" * 20_000))
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["kept.md"]  # no temporary left behind


def test_a_new_story_on_a_full_disk_says_nothing_was_written(small_disk: Path) -> None:
    folder = small_disk / "stories"
    folder.mkdir()
    fill(small_disk)
    with pytest.raises(InputFileError, match="the disk is full.*nothing was written"):
        new_story_file(folder, "Cut serving cost")
    assert list(folder.iterdir()) == []


def test_import_on_a_disk_that_fills_reports_every_file_and_goes_on(small_disk: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(5):
        (src / f"s{i}.md").write_text(STORY.format(id=f"s{i}", body="y" * 3000), encoding="utf-8")
    folder = small_disk / "stories"
    folder.mkdir()
    fill(small_disk, leave_pages=2)
    report = import_stories([src], folder)
    assert len(report.imported) + len(report.failed) == 5 and report.imported and report.failed
    assert all("the disk is full" in s.reason and "nothing was written" in s.reason for s in report.failed)
    assert {p.name for p in folder.iterdir()} == {i.path.name for i in report.imported}
    assert load_library(folder).errors == ()


def test_history_on_a_full_disk_names_it(small_disk: Path) -> None:
    class Key:
        key = Fernet.generate_key()

        def get_key(self) -> bytes:
            return self.key

    key = Key()
    with HistoryStore(small_disk / "history.sqlite3", key) as store:
        sid = store.start_session("rehearsal")
        fill(small_disk)
        with pytest.raises(UserError, match="the disk is full") as caught:
            for i in range(500):
                store.record(sid, "transcript", {"text": f"{i} " * 2000})
        assert "not a usable" not in str(caught.value)
    with HistoryStore(small_disk / "history.sqlite3", key) as store:  # still whole afterwards
        assert store.notice is None and len(store.list_sessions()) == 1


@pytest.mark.slow
def test_index_rebuild_and_rehearse_on_a_full_disk_explain_and_recover(small_disk: Path, tmp_path: Path) -> None:
    from conftest import EXAMPLE_STORIES

    env = {**os.environ, "COPILOT_DATA_DIR": str(small_disk / "data"), "COPILOT_HISTORY": "off"}
    stories = ["--stories", str(EXAMPLE_STORIES)]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "copilot", *args], capture_output=True, text=True, env=env, timeout=600
        )

    filler = fill(small_disk)
    for args in (
        ("index", "rebuild", *stories),
        ("rehearse", "--no-llm", "--text", "Tell me about a conflict", *stories),
    ):
        done = run(*args)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert "the disk is full" in done.stderr and "MB" in done.stderr
    filler.unlink()  # room again: the next rehearse heals whatever the failed runs left
    done = run("rehearse", "--no-llm", "--text", "Tell me about a conflict", *stories)
    assert done.returncode == 0, done.stderr
