"""The story library (load, new, import, export) and `copilot stories ...` exit codes and JSON lines."""

from __future__ import annotations

import argparse
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from copilot.cli.stories import register
from copilot.errors import InputFileError
from copilot.stories.library import (
    export_stories,
    import_stories,
    load_library,
    new_story_file,
    slugify,
)
from copilot.stories.parse import load_story

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "stories"
GOOD = ["crlf.md", "extra-headings.md", "good.md", "no-lessons.md", "unknown-keys.md"]


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A story folder with the good fixtures, one broken file and a TEMPLATE.md."""
    folder = tmp_path / "stories"
    folder.mkdir()
    for name in GOOD:
        shutil.copyfile(FIXTURES / name, folder / name)
    shutil.copyfile(FIXTURES / "broken" / "broken-yaml.md", folder / "broken-yaml.md")
    (folder / "TEMPLATE.md").write_text("---\ntitle: Template\n---\n## Situation\n<!-- prompt -->\n", encoding="utf-8")
    return folder


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="copilot")
    register(parser.add_subparsers())
    args = parser.parse_args(argv)
    rc: int = args.func(args)
    return rc


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# --- library ---------------------------------------------------------------------------------------


def test_load_library_collects_broken_files_and_skips_the_template(library: Path) -> None:
    loaded = load_library(library)
    assert sorted(s.path.name for s in loaded.stories if s.path) == GOOD
    assert len(loaded.errors) == 1
    assert loaded.errors[0].path == library / "broken-yaml.md"
    assert loaded.errors[0].message.startswith(f"{library / 'broken-yaml.md'}:4: front matter is not valid YAML")
    assert str(loaded.errors[0]) == loaded.errors[0].message  # callers may show errors with str()


def test_duplicate_ids_are_an_error_naming_both_files(library: Path) -> None:
    text = (library / "good.md").read_text(encoding="utf-8").replace("title: Halved", "title: Copy of")
    (library / "zz-copy.md").write_text(text, encoding="utf-8")
    loaded = load_library(library)
    duplicate = [e for e in loaded.errors if "duplicate id" in e.message]
    assert len(duplicate) == 1
    assert str(library / "good.md") in duplicate[0].message and str(library / "zz-copy.md") in duplicate[0].message
    assert loaded.get("halved-serving-cost") is not None
    assert loaded.get("halved-serving-cost").path == library / "good.md"  # type: ignore[union-attr]


def test_missing_folder_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such folder"):
        load_library(tmp_path / "nope")


def test_slugify() -> None:
    assert slugify("Halved GPU serving cost: a two-stage ranker!") == "halved-gpu-serving-cost-a-two-stage-ranker"
    assert slugify("Café déjà vu") == "cafe-deja-vu"
    assert slugify("???") == "story"
    assert len(slugify("word " * 40)) <= 60


def test_new_story_file_uses_the_folder_template_and_never_overwrites(library: Path) -> None:
    existing = library / "cut-latency.md"
    existing.write_text("---\ntitle: Someone else's story\n---\n", encoding="utf-8")
    before = existing.read_bytes()
    story = new_story_file(library, "Cut latency", ["performance", "ownership"])
    assert story.path == library / "cut-latency-2.md"
    assert story.id == "cut-latency-2"
    assert existing.read_bytes() == before
    text = story.path.read_text(encoding="utf-8")
    assert text == (
        "---\nid: cut-latency-2\ntitle: Cut latency\ncompetencies: [performance, ownership]\n---\n"
        "## Situation\n<!-- prompt -->\n"
    )


def test_new_story_file_without_template_creates_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "fresh" / "stories"
    story = new_story_file(folder, "First story", year=2023)
    assert story.path == folder / "first-story.md"
    loaded = load_story(folder / "first-story.md")
    assert loaded.year == 2023
    assert list(loaded.sections) == ["situation", "task", "action", "result", "lessons"]
    assert all(loaded.section(k) == "" for k in loaded.sections)  # only prompts, in comments


def test_import_renames_a_clashing_id_in_file_name_and_id(library: Path, tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    original = (FIXTURES / "good.md").read_text(encoding="utf-8")
    clash = original.replace("Halved GPU serving cost", "A different story about cost")
    (incoming / "good.md").write_text(clash, encoding="utf-8")
    before = snapshot(library)

    report = import_stories([incoming / "good.md"], library)

    assert len(report.imported) == 1 and not report.skipped
    item = report.imported[0]
    assert (item.id, item.renamed_from) == ("halved-serving-cost-2", "halved-serving-cost")
    assert item.path == library / "good-2.md"
    renamed = clash.replace("id: halved-serving-cost\n", "id: halved-serving-cost-2\n")
    assert item.path.read_text(encoding="utf-8") == renamed  # only the id line differs from the source
    after = snapshot(library)
    assert {k: v for k, v in after.items() if k != "good-2.md"} == before  # nothing existing was touched
    assert load_library(library).get("halved-serving-cost-2") is not None


def test_import_skips_identical_and_reports_broken_and_unsupported(library: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a story", encoding="utf-8")
    sources = [FIXTURES / "good.md", FIXTURES / "broken", tmp_path / "notes.txt", tmp_path / "missing.md"]
    report = import_stories(sources, library)
    assert report.imported == ()
    harmless = [s for s in report.skipped if not s.error]
    assert [s.source for s in harmless] == [str(FIXTURES / "good.md")]
    assert "already in the library as good.md" in harmless[0].reason
    reasons = [s.reason for s in report.failed]
    assert len(reasons) == 6  # four broken fixtures, the .txt and the missing file
    assert f"{FIXTURES / 'broken' / 'broken-yaml.md'}:4: front matter is not valid YAML" in reasons[0]
    assert any("not a .md file, a folder or a .zip archive" in r for r in reasons)
    assert any("no such file or folder" in r for r in reasons)


def test_import_twice_from_one_batch_does_not_overwrite_itself(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "s.md").write_text("---\ntitle: First\n---\n", encoding="utf-8")
    (b / "s.md").write_text("---\ntitle: Second\n---\n", encoding="utf-8")
    report = import_stories([a, b], folder)
    assert [(i.id, i.path.name) for i in report.imported] == [("s", "s.md"), ("s-2", "s-2.md")]
    assert load_story(folder / "s.md").title == "First"
    assert load_story(folder / "s-2.md").title == "Second"


def test_zip_export_then_import_round_trips_bytes(library: Path, tmp_path: Path) -> None:
    archive = tmp_path / "backup.zip"
    report = export_stories(library, archive)
    assert sorted(p.name for p in report.exported) == GOOD
    assert [e.path.name for e in report.errors] == ["broken-yaml.md"]  # reported, not exported
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == GOOD
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left

    restored = tmp_path / "restored"
    imported = import_stories([archive], restored)
    assert sorted(i.path.name for i in imported.imported) == GOOD
    for name in GOOD:
        assert (restored / name).read_bytes() == (library / name).read_bytes()
    # Importing the same archive again changes nothing: every story is already there.
    again = import_stories([archive], restored)
    assert again.imported == () and not again.failed


def test_zip_import_ignores_member_folders_and_rejects_bad_archives(tmp_path: Path) -> None:
    archive = tmp_path / "odd.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../escape.md", "---\ntitle: Escape attempt\n---\n")
        zf.writestr("__MACOSX/._escape.md", "junk")
        zf.writestr("TEMPLATE.md", "---\ntitle: T\n---\n")
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    folder = tmp_path / "lib"
    report = import_stories([archive, tmp_path / "bad.zip"], folder)
    assert [i.path for i in report.imported] == [folder / "escape.md"]
    assert sorted(p.name for p in folder.iterdir()) == ["escape.md"]
    assert len(report.failed) == 1 and "not a readable .zip archive" in report.failed[0].reason


def test_folder_export_never_overwrites_a_different_file(library: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "good.md").write_text("my other copy", encoding="utf-8")
    report = export_stories(library, dest)
    assert (dest / "good.md").read_text(encoding="utf-8") == "my other copy"
    assert any(e.path == dest / "good.md" and "not overwritten" in e.message for e in report.errors)
    assert (dest / "crlf.md").read_bytes() == (library / "crlf.md").read_bytes()


# --- command line -----------------------------------------------------------------------------------


def test_list_json_lines_and_exit_1_for_a_broken_file(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = run(["stories", "list", "--dir", str(library), "--json"])
    records = json_lines(capsys.readouterr().out)
    assert rc == 1
    ids = [r["id"] for r in records if "id" in r]
    assert ids == ["crlf-story", "extra-headings", "halved-serving-cost", "no-lessons", "unknown-keys"]
    errors = [r for r in records if "error" in r]
    assert len(errors) == 1 and errors[0]["path"] == str(library / "broken-yaml.md")
    assert ":4: front matter is not valid YAML" in errors[0]["error"]


def test_list_uses_the_environment_variable_when_no_dir_is_given(
    library: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (library / "broken-yaml.md").unlink()
    monkeypatch.setenv("COPILOT_STORIES_DIR", str(library))
    assert run(["stories", "list"]) == 0
    out = capsys.readouterr().out
    assert "halved-serving-cost" in out and "[ownership, cost-reduction, technical-depth]" in out


def test_lint_exits_0_with_warnings_and_1_when_a_file_fails(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (library / "broken-yaml.md").rename(library / "broken-yaml.txt")
    assert run(["stories", "lint", "--dir", str(library)]) == 0
    out = capsys.readouterr().out
    assert "no-lessons: 10 warnings (score 0)" in out
    assert "Action says 'we' 8 times and 'I' 0 times" in out

    (library / "broken-yaml.txt").rename(library / "broken-yaml.md")
    assert run(["stories", "lint", "--dir", str(library), "--json"]) == 1
    records = json_lines(capsys.readouterr().out)
    good = next(r for r in records if r.get("id") == "halved-serving-cost")
    assert good["score"] == 100 and good["findings"][0]["code"] == "length"
    assert sum("error" in r for r in records) == 1


def test_lint_named_stories_and_unknown_id(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = run(["stories", "lint", "--dir", str(library), "--json", "halved-serving-cost", "nope"])
    records = json_lines(capsys.readouterr().out)
    assert rc == 1
    assert [r.get("id") for r in records if "id" in r] == ["halved-serving-cost"]
    assert [r["story"] for r in records if "error" in r] == ["nope"]


def test_show_prints_the_file_and_fails_cleanly_for_an_unknown_id(
    library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["stories", "show", "--dir", str(library), "halved-serving-cost"]) == 0
    assert capsys.readouterr().out == (library / "good.md").read_text(encoding="utf-8")
    assert run(["stories", "show", "--dir", str(library), "--json", str(library / "unknown-keys.md")]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["extra"]["reviewed"] == "2023-05-01" and record["sections"]["result"].startswith("We switched")
    assert run(["stories", "show", "--dir", str(library), "nope"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "no story with id 'nope'" in captured.err
    assert "Traceback" not in captured.err


def test_new_prints_the_created_path(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["stories", "new", "--dir", str(library), "--title", "Led an incident review", "--competency", "leadership"]
    assert run(argv) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path == library / "led-an-incident-review.md"
    assert load_story(path).competencies == ("leadership",)
    assert run([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "id": "led-an-incident-review-2",
        "path": str(library / "led-an-incident-review-2.md"),
    }


def test_bad_usage_exits_2(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["stories", "new", "--dir", str(library), "--title", "   "]) == 2
    assert "--title is empty" in capsys.readouterr().err
    assert run(["stories"]) == 2
    with pytest.raises(SystemExit) as exited:
        run(["stories", "new", "--dir", str(library)])  # --title is required: argparse exits 2
    assert exited.value.code == 2


def test_import_and_export_commands(library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "out.zip"
    assert run(["stories", "export", "--dir", str(library), str(archive), "--json"]) == 1  # the broken file
    records = json_lines(capsys.readouterr().out)
    assert len([r for r in records if "dest" in r]) == len(GOOD)
    assert [r["path"] for r in records if "error" in r] == [str(library / "broken-yaml.md")]

    incoming = tmp_path / "incoming.md"
    incoming.write_text("---\nid: halved-serving-cost\ntitle: Another one\n---\n", encoding="utf-8")
    rc = run(["stories", "import", "--dir", str(library), "--json", str(incoming), str(FIXTURES / "good.md")])
    records = json_lines(capsys.readouterr().out)
    assert rc == 0
    assert records[0]["id"] == "halved-serving-cost-2" and records[0]["renamed_from"] == "halved-serving-cost"
    assert records[0]["path"] == str(library / "incoming-2.md")  # the file name gets the same suffix as the id
    assert "skipped" in records[1]

    assert run(["stories", "import", "--dir", str(library), str(tmp_path / "missing.zip")]) == 1
    assert "missing.zip: no such file or folder" in capsys.readouterr().err


def test_commands_never_rewrite_a_broken_file(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = library / "broken-yaml.md"
    before = (broken.read_bytes(), broken.stat().st_mtime_ns)
    run(["stories", "list", "--dir", str(library)])
    run(["stories", "lint", "--dir", str(library)])
    run(["stories", "new", "--dir", str(library), "--title", "broken yaml"])
    run(["stories", "import", "--dir", str(library), str(FIXTURES / "broken" / "broken-yaml.md")])
    run(["stories", "export", "--dir", str(library), str(tmp_path / "x.zip")])
    assert (broken.read_bytes(), broken.stat().st_mtime_ns) == before
    assert (library / "broken-yaml-2.md").exists()  # `new` picked a free name instead


def test_stale_temporaries_are_cleaned_at_load_and_nothing_else(library: Path) -> None:
    import os
    import time

    stale, fresh, users = library / ".good.md.a1b2c3d4.tmp", library / ".good.md.ffffffff.tmp", library / ".my.notes.tmp"
    for path in (stale, fresh, users):
        path.write_text("half a save")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(users, (old, old))
    load_library(library)
    assert not stale.exists() and fresh.exists() and users.exists()  # a live writer's, and the user's own, stay


def test_saving_keeps_the_file_mode_and_new_stories_are_readable(library: Path) -> None:
    import os
    import stat

    from copilot.stories.write import save_story

    path = library / "good.md"
    os.chmod(path, 0o640)
    save_story(load_story(path).with_section("result", "Cost fell 40% in a quarter."))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    created = new_story_file(library, "A brand new story")
    assert created.path is not None and stat.S_IMODE(created.path.stat().st_mode) & 0o644 == 0o644 & ~_umask()


def _umask() -> int:
    import os

    current = os.umask(0)
    os.umask(current)
    return current


def test_import_goes_on_past_a_failed_write_and_sums_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno

    import copilot.stories.library as library_module

    src = tmp_path / "src"
    src.mkdir()
    for i in range(5):
        (src / f"s{i}.md").write_text(f"---\nid: s{i}\ntitle: Story {i}\n---\n", encoding="utf-8")
    real, calls = library_module.create_bytes_exclusive, {"n": 0}

    def full_on_the_third(path, data, mode):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            from copilot.atomic import _save_error

            raise _save_error(path, OSError(errno.ENOSPC, "No space left on device"), False, len(data))
        return real(path, data, mode)

    monkeypatch.setattr(library_module, "create_bytes_exclusive", full_on_the_third)
    folder = tmp_path / "lib"
    assert run(["stories", "import", "--dir", str(folder), "--json", str(src)]) == 1
    records = json_lines(capsys.readouterr().out)
    assert [r["id"] for r in records if "id" in r] == ["s0", "s1", "s3", "s4"]
    (failed,) = [r for r in records if "error" in r]
    assert "s2.md: not imported" in failed["error"] and "the disk is full" in failed["error"]
    assert "nothing was written" in failed["error"] and "previous version" not in failed["error"]
    assert records[-1]["summary"] == {"imported": 4, "skipped": 0, "failed": 1}
    assert sorted(p.name for p in folder.iterdir()) == ["s0.md", "s1.md", "s3.md", "s4.md"]
