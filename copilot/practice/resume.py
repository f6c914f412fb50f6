"""Resume to stories: the impact bullets of a resume (PDF, DOCX, Markdown or text), each drafted as a
STAR story with its numbers kept word for word and the sections it cannot fill marked for the user.

A bullet says what was done and what it changed ("Cut p99 latency 40% by moving features to Redis"),
rarely the situation or the task: those are left as prompts in HTML comments, which the index and the
coach ignore and the library shows as "to fill".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from copilot.errors import InputFileError
from copilot.stories.library import slugify
from copilot.stories.model import Story
from copilot.wording import has_number

MAX_RESUME_BYTES = 10 * 1024 * 1024  # a resume is a few pages; anything larger is the wrong file
SUFFIXES = (".pdf", ".docx", ".md", ".markdown", ".txt")
_BULLET = re.compile(r"^\s*(?:[-*•▪◦‣–·]|\d+[.)])\s+(.*\S)\s*$")
# Past-tense verbs that open an achievement, and the words that say what it changed.
_ACTION_VERB = re.compile(
    r"^(?:\w+ed|built|led|ran|made|cut|grew|won|drove|wrote|set up|shipped|took|brought|began|rebuilt|"
    r"rewrote|spearheaded|own(?:ed)?)\b",
    re.IGNORECASE,
)
_RESULT_SPLIT = re.compile(
    r",?\s+(?:resulting in|which|leading to|so that|cutting|reducing|raising|increasing|saving|improving|"
    r"lifting|growing|for a|for an)\b",
    re.IGNORECASE,
)
TO_FILL = {
    "situation": "<!-- To fill: the team, the product and what was at stake before this. -->",
    "task": "<!-- To fill: what you owned here, and what success meant. -->",
    "action": "<!-- To fill: your own steps, the decision and why. -->",
    "result": "<!-- To fill: what changed, with the number. -->",
    "lessons": "<!-- To fill: what you learned, and what you do since. -->",
}


@dataclass(frozen=True)
class ImpactBullet:
    text: str
    role: str | None  # the heading above it (the job), when the resume has one


def read_resume(path: Path) -> str:
    """The resume's text; InputFileError naming the file when it cannot be read."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputFileError(path, f"not a resume format this reads; give one of {', '.join(SUFFIXES)}")
    try:
        if path.stat().st_size > MAX_RESUME_BYTES:
            raise InputFileError(path, "is over 10 MB; give the resume itself")
        if suffix == ".pdf":
            return _pdf_text(path)
        if suffix == ".docx":
            return _docx_text(path)
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputFileError(path, "no such file") from exc
    except UnicodeDecodeError as exc:
        raise InputFileError(path, "is not UTF-8 text; save it as UTF-8, or give the PDF or DOCX") from exc


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError) as exc:
        raise InputFileError(path, f"is not a readable PDF ({exc}); export it again or give a DOCX") from exc


def _docx_text(path: Path) -> str:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputFileError(path, "is not a readable DOCX; save it again from your editor") from exc
    lines = []
    for para in document.paragraphs:
        # Word's list paragraphs carry no bullet character in their text: put one back.
        is_list = para.style is not None and "List" in (para.style.name or "")
        lines.append(f"- {para.text}" if is_list and para.text.strip() else para.text)
    return "\n".join(lines)


def impact_bullets(text: str) -> list[ImpactBullet]:
    """Bullets that claim an achievement: an action verb first, or a number; each under its heading."""
    out: list[ImpactBullet] = []
    role: str | None = None
    for line in _joined_lines(text):
        bullet = _BULLET.match(line)
        if bullet is None:
            heading = line.strip().lstrip("#").strip()
            if heading and len(heading.split()) <= 12:
                role = heading
            continue
        body = bullet.group(1).strip()
        if _ACTION_VERB.match(body) or has_number(body):
            out.append(ImpactBullet(body, role))
    return out


def _joined_lines(text: str) -> list[str]:
    """Lines, with a bullet's wrapped continuation (PDF text breaks lines) joined back onto it."""
    lines: list[str] = []
    for raw in text.splitlines():
        if not raw.strip():
            lines.append("")
            continue
        starts_lower = raw.strip()[:1].islower()
        if lines and lines[-1] and _BULLET.match(lines[-1]) and starts_lower and not _BULLET.match(raw):
            lines[-1] = f"{lines[-1].rstrip()} {raw.strip()}"
        else:
            lines.append(raw)
    return lines


def draft_from_bullet(bullet: ImpactBullet) -> Story:
    """A draft story: the action and the result split from the bullet, its words and numbers kept."""
    action, result = _split(bullet.text)
    sections = dict(TO_FILL)
    sections["action"] = action
    if result:
        sections["result"] = result
    elif has_number(action):
        sections["result"] = f"{TO_FILL['result']}\n<!-- The bullet's number is in the action: {action} -->"
    title = _title(action or bullet.text)  # what was done; the result stays in its section
    return Story.new(slugify(title), title, role=bullet.role, sections=sections, extra={"source": "resume"})


def _split(text: str) -> tuple[str, str]:
    """("Moved features to Redis", "cutting p99 latency from 180 to 62 ms") from one bullet."""
    match = _RESULT_SPLIT.search(text)
    if match is None or match.start() == 0:
        return _sentence(text), ""
    return _sentence(text[: match.start()]), _sentence(text[match.start() :].lstrip(", "))


def _sentence(text: str) -> str:
    text = text.strip().rstrip(";,")
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _title(text: str) -> str:
    words = re.sub(r"[.;:]+$", "", text).split()
    return " ".join(words[:12])


def unfilled_sections(story: Story) -> list[str]:
    """The STAR sections still only a prompt: what the user has to write."""
    return [name for name, body in story.sections.items() if not story.section(name).strip()]


@dataclass(frozen=True)
class Requirement:
    """One competency a job ad asks for, and whether the resume and the story library cover it."""

    id: str
    asked: str  # the ad's words that ask for it
    resume: str | None  # the resume's words that show it, None when the resume says nothing of it
    stories: tuple[str, ...]  # ids of stories tagged with it


def resume_coverage(job_ad: str, resume: str, stories: Sequence[Story]) -> list[Requirement]:
    """Per competency the ad asks for (coverage.py's rules, the same the coverage view uses): the
    resume's evidence and the stories that cover it."""
    from copilot.practice.coverage import competencies_in

    shown = competencies_in(resume)
    return [
        Requirement(cid, phrase, shown.get(cid), tuple(s.id for s in stories if cid in s.competencies))
        for cid, phrase in competencies_in(job_ad).items()
    ]


def bullets_by_competency(bullets: Sequence[ImpactBullet]) -> dict[str, list[ImpactBullet]]:
    """Competency id -> the impact bullets that show it (coverage.py's rules, bullet by bullet), so the
    job-ad view can say which line of the resume backs each requirement, not only that one does."""
    from copilot.practice.coverage import competencies_in

    shown: dict[str, list[ImpactBullet]] = {}
    for bullet in bullets:
        for cid in competencies_in(bullet.text):
            shown.setdefault(cid, []).append(bullet)
    return shown
