"""Parsing and saving story files: byte-exact round trips, minimal edits, and clear errors."""

from __future__ import annotations

import dataclasses
import datetime
import shutil
from pathlib import Path

import pytest

from copilot.errors import InputFileError
from copilot.stories.model import Story
from copilot.stories.parse import StoryParseError, load_story, parse_story
from copilot.stories.write import render_story, save_story

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "stories"
GOOD_FIXTURES = sorted(FIXTURES.glob("*.md"))


def copy_fixture(name: str, tmp_path: Path) -> Path:
    target = tmp_path / Path(name).name
    shutil.copyfile(FIXTURES / name, target)
    return target


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(a) == len(b), "expected the same number of lines"
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


# --- round trip ----------------------------------------------------------------------------------


def test_fixture_set_covers_the_tricky_cases() -> None:
    names = {p.name for p in GOOD_FIXTURES}
    assert {"crlf.md", "unknown-keys.md", "no-lessons.md", "extra-headings.md", "good.md"} <= names
    crlf = (FIXTURES / "crlf.md").read_bytes()
    # Guards against a checkout that normalised the fixture's line endings (see .gitattributes).
    assert crlf.count(b"\r\n") == crlf.count(b"\n") > 10
    assert not (FIXTURES / "extra-headings.md").read_bytes().endswith(b"\n")


@pytest.mark.parametrize("path", GOOD_FIXTURES, ids=lambda p: p.name)
def test_unmodified_story_renders_to_the_original_bytes(path: Path) -> None:
    story = load_story(path)
    assert render_story(story).encode("utf-8") == path.read_bytes()


@pytest.mark.parametrize("path", GOOD_FIXTURES, ids=lambda p: p.name)
def test_saving_an_unmodified_story_keeps_the_bytes(path: Path, tmp_path: Path) -> None:
    target = copy_fixture(path.name, tmp_path)
    save_story(load_story(target))
    assert target.read_bytes() == path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left behind


def test_byte_order_mark_survives_a_round_trip(tmp_path: Path) -> None:
    data = "\ufeff---\ntitle: With a BOM\n---\n## Situation\nText.\n".encode()
    path = tmp_path / "bom.md"
    path.write_bytes(data)
    story = load_story(path)
    assert story.title == "With a BOM"
    assert render_story(story).encode("utf-8") == data


# --- fields and sections ---------------------------------------------------------------------------


def test_good_story_fields() -> None:
    story = load_story(FIXTURES / "good.md")
    assert story.id == "halved-serving-cost"
    assert story.title == "Halved GPU serving cost with a two-stage ranker"
    assert story.competencies == ("ownership", "cost-reduction", "technical-depth")
    assert story.role == "ML Engineer, e-commerce"
    assert story.year == 2024
    assert story.extra == {}
    assert list(story.sections) == ["situation", "task", "action", "result", "lessons"]
    assert story.section("Result").startswith("GPU cost fell by 52%")
    assert story.path == FIXTURES / "good.md"


def test_unknown_keys_and_defaults() -> None:
    story = load_story(FIXTURES / "unknown-keys.md")
    assert story.id == "unknown-keys"  # no id key: the file stem
    assert story.title == "Migrated the feature store: zero downtime"
    assert story.competencies == ("ownership", "delivery")  # a block list works too
    assert story.year == 2022  # quoted '2022' is still a year
    assert story.extra == {
        "source": "notion",
        "tags": {"team": "platform", "level": "senior"},
        "reviewed": datetime.date(2023, 5, 1),
    }
    assert "lessons" not in story.sections


def test_extra_headings_preamble_and_code_fences() -> None:
    story = load_story(FIXTURES / "extra-headings.md")
    assert list(story.sections) == ["situation", "task", "notes", "action", "result"]  # '## Task:' is 'task'
    assert "### Detail" in story.sections["situation"]  # deeper headings stay inside the section
    assert "## not a heading, inside a code fence" in story.sections["situation"]
    assert story.sections["result"] == "Saved 3 hours a week."
    assert "preamble" not in story.text_for_index()


def test_text_for_index_has_title_and_sections_without_template_prompts() -> None:
    story = Story.new("s", "A title", sections={"situation": "<!-- prompt -->\nReal context.", "task": "<!-- x -->"})
    text = story.text_for_index()
    assert text.startswith("A title")
    assert "Real context." in text
    assert "prompt" not in text and "Task" not in text


def test_story_keeps_its_own_copy_of_the_dicts_it_was_given() -> None:
    sections = {"Situation": "before"}
    story = Story.new("s", "t", sections=sections)
    sections["Situation"] = "after"
    assert story.sections == {"situation": "before"}


# --- minimal edits ---------------------------------------------------------------------------------


def test_editing_one_section_changes_only_that_section() -> None:
    path = FIXTURES / "good.md"
    original = path.read_text(encoding="utf-8")
    story = load_story(path)
    new_action = "I rewrote the ranker.\nI chose distillation because it kept quality."
    rendered = render_story(story.with_section("action", new_action))
    assert rendered == original.replace(story.sections["action"], new_action)
    reparsed = parse_story(rendered, path)
    assert reparsed.sections == {**story.sections, "action": new_action}


def test_editing_a_section_of_a_crlf_file_keeps_crlf() -> None:
    story = load_story(FIXTURES / "crlf.md")
    rendered = render_story(story.with_section("task", "Line one.\nLine two."))
    assert "Line one.\r\nLine two.\r\n" in rendered
    assert rendered.count("\n") == rendered.count("\r\n")
    original = (FIXTURES / "crlf.md").read_bytes().decode()
    assert rendered == original.replace("Keep the endings when the app saves it.", "Line one.\r\nLine two.")


def test_changing_a_field_rewrites_only_its_line() -> None:
    original = (FIXTURES / "unknown-keys.md").read_text(encoding="utf-8")
    story = load_story(FIXTURES / "unknown-keys.md")
    rendered = render_story(dataclasses.replace(story, year=2023))
    assert changed_lines(original, rendered) == [("year: '2022'\n", "year: 2023\n")]


def test_changing_a_block_list_replaces_all_of_its_lines_and_keeps_the_rest() -> None:
    original = (FIXTURES / "unknown-keys.md").read_text(encoding="utf-8")
    story = load_story(FIXTURES / "unknown-keys.md")
    rendered = render_story(dataclasses.replace(story, competencies=("ownership", "leadership")))
    block = 'competencies:\n  - ownership\n  - "delivery"\n'
    assert rendered == original.replace(block, "competencies: [ownership, leadership]\n")
    assert "# Kept from my old notes app; do not reorder.\n" in rendered


def test_removing_and_adding_keys() -> None:
    story = load_story(FIXTURES / "unknown-keys.md")
    extra = {k: v for k, v in story.extra.items() if k != "source"} | {"new_key": "value: with colon"}
    edited = dataclasses.replace(story, role=None, extra=extra)
    rendered = render_story(edited)
    assert "role:" not in rendered and "source: notion" not in rendered
    front = rendered.split("---\n")[1]
    assert front.endswith("new_key: 'value: with colon'\n")  # appended last, quoted where YAML needs it
    reparsed = parse_story(rendered, Path("unknown-keys.md"))
    assert reparsed.role is None
    assert reparsed.extra["new_key"] == "value: with colon"
    assert reparsed.extra["tags"] == {"team": "platform", "level": "senior"}


def test_changing_the_id_adds_an_id_line_and_title_is_quoted_when_needed() -> None:
    story = load_story(FIXTURES / "crlf.md")
    rendered = render_story(dataclasses.replace(story, id="renamed", title="Title: with a colon"))
    assert rendered.startswith("---\r\nid: renamed\r\ntitle: 'Title: with a colon'\r\ncompetencies: [debugging]\r\n")
    assert parse_story(rendered, Path("x.md")).title == "Title: with a colon"


def test_new_known_keys_go_in_design_order_and_new_unknown_keys_last() -> None:
    text = "---\n# my notes\ntitle: T\nsource: notion\n---\n"
    story = parse_story(text, Path("t.md"))
    edited = dataclasses.replace(story, id="new-id", role="SRE", extra={**story.extra, "mood": "good"})
    assert render_story(edited) == "---\n# my notes\nid: new-id\ntitle: T\nrole: SRE\nsource: notion\nmood: good\n---\n"


def test_an_edit_that_only_adds_blank_lines_changes_nothing() -> None:
    story = load_story(FIXTURES / "crlf.md")
    edited = story.with_section("task", "\n" + story.sections["task"] + "\r\n\n")
    assert render_story(edited).encode("utf-8") == (FIXTURES / "crlf.md").read_bytes()


def test_flow_mapping_front_matter_is_rewritten_as_a_block_only_when_changed() -> None:
    text = "---\n{title: T, competencies: [a], custom: 1}\n---\n## Result\nR.\n"
    story = parse_story(text, Path("flow.md"))
    assert render_story(story) == text
    rendered = render_story(dataclasses.replace(story, title="U"))
    assert rendered == "---\nid: flow\ntitle: U\ncompetencies: [a]\ncustom: 1\n---\n## Result\nR.\n"


def test_a_flow_list_over_several_lines_is_replaced_whole() -> None:
    text = "---\ntitle: T\ncompetencies: [a,\n  b,\nc]\nrole: R\n---\n"
    story = parse_story(text, Path("t.md"))
    assert story.competencies == ("a", "b", "c")
    rendered = render_story(dataclasses.replace(story, competencies=("d",)))
    assert rendered == "---\ntitle: T\ncompetencies: [d]\nrole: R\n---\n"


EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "personal_stories").glob("*.md"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_shipped_example_stories_parse_and_round_trip(path: Path) -> None:
    # Content-agnostic: whatever examples ship must load and survive an unmodified save byte for byte.
    assert render_story(load_story(path)).encode("utf-8") == path.read_bytes()


def test_adding_a_missing_star_section_puts_it_in_star_order() -> None:
    text = "---\ntitle: T\n---\n## Situation\nS.\n\n## Action\nA.\n\n## Notes\nN.\n"
    story = parse_story(text, Path("t.md"))
    rendered = render_story(story.with_section("task", "T.").with_section("result", "R."))
    body = "## Situation\nS.\n\n## Task\nT.\n\n## Action\nA.\n\n## Result\nR.\n\n## Notes\nN.\n"
    assert rendered == "---\ntitle: T\n---\n" + body


def test_adding_a_section_to_a_file_without_a_final_newline() -> None:
    story = load_story(FIXTURES / "extra-headings.md")
    rendered = render_story(story.with_section("lessons", "Keep it simple."))
    assert rendered.endswith("## Result\nSaved 3 hours a week.\n\n## Lessons\nKeep it simple.\n")
    assert parse_story(rendered, Path("x.md")).sections["result"] == "Saved 3 hours a week."


def test_editing_the_last_section_of_a_file_without_a_final_newline_keeps_it_that_way() -> None:
    story = load_story(FIXTURES / "extra-headings.md")
    rendered = render_story(story.with_section("result", "Saved 4 hours a week."))
    original = (FIXTURES / "extra-headings.md").read_text(encoding="utf-8")
    assert rendered == original.replace("Saved 3 hours a week.", "Saved 4 hours a week.")


def test_removing_a_section_drops_its_heading_and_body() -> None:
    story = load_story(FIXTURES / "extra-headings.md")
    sections = {k: v for k, v in story.sections.items() if k != "notes"}
    rendered = render_story(dataclasses.replace(story, sections=sections))
    assert "## Notes" not in rendered and "An extra heading" not in rendered
    assert "## Task:\nThe task.\n\n## Action\n" in rendered


def test_new_story_renders_in_the_design_format() -> None:
    story = Story.new(
        "halved-serving-cost",
        "Halved GPU serving cost",
        ["ownership", "cost-reduction"],
        role="ML Engineer, e-commerce",
        year=2024,
        sections={"result": "Cost fell 52%.", "situation": "Ranker on every query."},
    )
    assert render_story(story) == (
        "---\n"
        "id: halved-serving-cost\n"
        "title: Halved GPU serving cost\n"
        "competencies: [ownership, cost-reduction]\n"
        "role: ML Engineer, e-commerce\n"
        "year: 2024\n"
        "---\n"
        "## Situation\nRanker on every query.\n\n"
        "## Result\nCost fell 52%.\n"
    )
    parsed = parse_story(render_story(story), Path("elsewhere.md"))
    assert (parsed.id, parsed.title, parsed.competencies, parsed.year) == (
        "halved-serving-cost",
        "Halved GPU serving cost",
        ("ownership", "cost-reduction"),
        2024,
    )


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line", "problem"),
    [
        ("broken-yaml.md", 4, "front matter is not valid YAML ("),
        ("no-front-matter.md", 1, "no front matter: the file must start with '---'"),
        ("not-key-value.md", 2, "front matter must be key: value pairs"),
        ("no-title.md", 1, "title is missing"),
    ],
)
def test_broken_files_name_the_path_and_line(name: str, line: int, problem: str) -> None:
    path = FIXTURES / "broken" / name
    with pytest.raises(StoryParseError) as caught:
        load_story(path)
    assert str(caught.value).startswith(f"{path}:{line}: {problem}")
    assert caught.value.line == line
    assert caught.value.path == path
    assert isinstance(caught.value, InputFileError)


@pytest.mark.parametrize(
    ("data", "line", "problem"),
    [
        (b"\x89PNG\r\n\x1a\n\xff\xd8\x00", 1, "is not UTF-8 text"),
        (b"---\ntitle: Latin-1\ncaf\xe9\n---\n", 3, "is not UTF-8 text"),
        (b"---\ntitle: ok\n---\nbinary\x00data\n", 4, "is not UTF-8 text"),
        (b"---\ntitle: never closed\n## Situation\n", 1, "front matter is not closed"),
        (b"---\ntitle: T\nyear: soon\n---\n", 3, "year must be a number"),
        (b"---\ntitle: T\ntitle: U\n---\n", 3, "'title' appears twice in the front matter (also on line 2)"),
        (b"---\ntitle: [a, b]\n---\n", 2, "title must be text"),
        (
            b"---\ntitle: T\n---\n## Action\nA\n## action\nB\n",
            6,
            "a second '## action' heading (the first is on line 4): merge them into one",
        ),
        (b"---\ntitle: T\n\tbad: tab\n---\n", 3, "front matter is not valid YAML"),
    ],
    ids=["binary", "latin1", "nul", "unclosed", "year", "duplicate-key", "title-list", "duplicate-heading", "tab"],
)
def test_invalid_content_raises_with_line(tmp_path: Path, data: bytes, line: int, problem: str) -> None:
    path = tmp_path / "x.md"
    path.write_bytes(data)
    with pytest.raises(StoryParseError) as caught:
        load_story(path)
    assert str(caught.value).startswith(f"{path}:{line}: {problem}")


def test_unreadable_path_is_an_input_file_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="could not be read"):
        load_story(tmp_path / "missing.md")


# --- saving never loses the user's text --------------------------------------------------------------


def snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


@pytest.mark.parametrize("name", ["broken-yaml.md", "no-front-matter.md", "not-key-value.md", "no-title.md"])
def test_a_file_that_does_not_parse_is_never_rewritten(tmp_path: Path, name: str) -> None:
    path = copy_fixture(f"broken/{name}", tmp_path)
    before = snapshot(path)
    with pytest.raises(StoryParseError):
        load_story(path)
    with pytest.raises(InputFileError, match="does not parse"):
        save_story(dataclasses.replace(Story.new("x", "Replacement"), path=path))
    good = load_story(FIXTURES / "good.md")
    with pytest.raises(InputFileError, match="already exists"):
        save_story(good, path)
    assert snapshot(path) == before


def test_save_refuses_a_file_changed_on_disk_since_loading(tmp_path: Path) -> None:
    path = copy_fixture("good.md", tmp_path)
    story = load_story(path)
    path.write_bytes(path.read_bytes() + b"\nEdited in another editor.\n")
    before = snapshot(path)
    with pytest.raises(InputFileError, match="changed on disk"):
        save_story(story.with_section("result", "Different."))
    assert snapshot(path) == before


def test_save_refuses_a_story_that_would_not_parse(tmp_path: Path) -> None:
    path = copy_fixture("good.md", tmp_path)
    before = snapshot(path)
    with pytest.raises(InputFileError, match="not saved: title is missing"):
        save_story(dataclasses.replace(load_story(path), title=""))
    assert snapshot(path) == before


def test_save_writes_the_edit_and_returns_the_stored_story(tmp_path: Path) -> None:
    path = copy_fixture("crlf.md", tmp_path)
    saved = save_story(load_story(path).with_section("result", "Saved 2 hours."))
    assert saved.sections["result"] == "Saved 2 hours."
    assert load_story(path).sections["result"] == "Saved 2 hours."
    assert b"Saved 2 hours.\r\n" in path.read_bytes()
    # The returned story is current, so a second edit saves without a "changed on disk" refusal.
    save_story(saved.with_section("task", "Second edit."))
    assert load_story(path).sections["task"] == "Second edit."


def test_save_new_story_to_a_fresh_path(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "fresh.md"
    save_story(Story.new("fresh", "Fresh story", ["ownership"]), path)
    assert load_story(path).competencies == ("ownership",)
    with pytest.raises(InputFileError, match="already exists"):
        save_story(Story.new("other", "Other"), path)
