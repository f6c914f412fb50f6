"""Resume to stories: impact bullets from Markdown, DOCX and PDF, each drafted with its numbers kept and
the sections it cannot fill marked; `copilot stories from-resume` saves them without overwriting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copilot.cli.main import main
from copilot.practice.resume import draft_from_bullet, impact_bullets, read_resume, unfilled_sections
from copilot.stories.library import load_library

RESUME = Path(__file__).resolve().parents[1] / "data" / "mock_eval" / "resume.md"
IMPACT = [
    "Moved ranking features to Redis, cutting p99 latency from 180 ms to 62 ms",
    "Led a team of 4 engineers to ship fraud model v2, saving $1.2M a year",
    "Built an evaluation harness used by 12 teams across the company",
    "Rewrote the nightly export as incremental jobs, reducing run time by 70%",
    "Mentored two new graduates",
]


def test_impact_bullets_are_found_under_their_role() -> None:
    bullets = impact_bullets(read_resume(RESUME))
    assert [b.text for b in bullets] == IMPACT, "duties and skills are not achievements"
    assert bullets[0].role == "Senior ML Engineer, Shopwise (2021-2024)"
    assert bullets[3].role == "Data Engineer, Northwind (2018-2021)"


def test_a_draft_keeps_the_numbers_and_marks_what_it_cannot_fill() -> None:
    draft = draft_from_bullet(impact_bullets(read_resume(RESUME))[0])
    assert draft.section("action") == "Moved ranking features to Redis."
    assert draft.section("result") == "Cutting p99 latency from 180 ms to 62 ms."
    assert unfilled_sections(draft) == ["situation", "task", "lessons"]
    assert "To fill" in draft.sections["situation"]
    assert draft.role == "Senior ML Engineer, Shopwise (2021-2024)"


def _docx(path: Path, lines: list[tuple[str, str]]) -> Path:
    import docx

    document = docx.Document()
    for text, style in lines:
        document.add_paragraph(text, style=style)
    document.save(str(path))
    return path


def _pdf(path: Path, lines: list[str]) -> Path:
    """A one-page PDF with the lines in Helvetica, built by hand (no PDF writer to install)."""
    text = " T* ".join(f"({line.replace('(', '[').replace(')', ']')}) Tj" for line in lines)
    stream = f"BT /F1 11 Tf 14 TL 50 780 Td {text} ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def test_docx_list_paragraphs_and_pdf_lines_are_read(tmp_path: Path) -> None:
    doc = _docx(
        tmp_path / "cv.docx",
        [("ML Engineer, Acme", "Heading 2"), (IMPACT[0], "List Bullet"), ("Python and SQL", "Normal")],
    )
    assert [b.text for b in impact_bullets(read_resume(doc))] == [IMPACT[0]]
    pdf = _pdf(tmp_path / "cv.pdf", ["ML Engineer, Acme", f"- {IMPACT[1]}", "- Responsible for billing"])
    bullets = impact_bullets(read_resume(pdf))
    assert [b.text for b in bullets] == [IMPACT[1]] and bullets[0].role == "ML Engineer, Acme"


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("cv.pdf", b"not a pdf at all", "is not a readable PDF"),
        ("cv.docx", b"not a zip", "is not a readable DOCX"),
        ("cv.txt", b"\xff\xfe\x00bad", "is not UTF-8 text"),
        ("cv.rtf", b"{\\rtf1}", "not a resume format"),
    ],
)
def test_a_bad_resume_is_one_line_naming_it(tmp_path: Path, capsys, name: str, content: bytes, problem: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["stories", "from-resume", str(path), "--dir", str(tmp_path / "s")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"copilot: {path}: ") and problem in err and err.count("\n") == 1


def test_from_resume_saves_drafts_without_overwriting(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "stories"
    assert main(["stories", "from-resume", str(RESUME), "--dir", str(folder), "--json"]) == 0
    first = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["bullet"] for r in first] == IMPACT
    assert all(Path(r["path"]).is_file() for r in first)
    assert main(["stories", "from-resume", str(RESUME), "--dir", str(folder), "--json"]) == 0
    second = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["path"] for r in second}.isdisjoint({r["path"] for r in first}), "a second run adds, never overwrites"
    library = load_library(folder)
    assert len(library.stories) == 10 and not library.errors
    story = next(s for s in library.stories if s.section("result").startswith("Saving $1.2M"))
    assert story.section("action") == "Led a team of 4 engineers to ship fraud model v2."


def test_dry_run_saves_nothing(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["stories", "from-resume", str(RESUME), "--dir", str(tmp_path / "s"), "--dry-run"]) == 0
    assert "(not saved: --dry-run)" in capsys.readouterr().out
    assert not (tmp_path / "s").exists()


def test_job_ad_requirements_covered_by_the_resume_and_the_stories(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    stories = Path(__file__).resolve().parents[2] / "personal_stories"
    ad = tmp_path / "ad.txt"
    ad.write_text("You will mentor junior engineers and communicate with stakeholders.\n", encoding="utf-8")
    argv = ["stories", "from-resume", str(RESUME), "--job", str(ad), "--dir", str(stories), "--json"]
    assert main(argv) == 0
    rows = {r["id"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["mentoring"]["resume"] == "Mentored" and "mentored-junior-eval-harness" in rows["mentoring"]["stories"]
    assert rows["communication"]["resume"] is None, "the resume never shows it: a gap to say out loud"
    assert rows["communication"]["stories"], "but a story covers it"
    empty = tmp_path / "empty.txt"
    empty.write_text("Benefits: lunch.\n", encoding="utf-8")
    assert main(["stories", "from-resume", str(RESUME), "--job", str(empty), "--dir", str(stories)]) == 1
    assert f"{empty}: no competency found" in capsys.readouterr().err
