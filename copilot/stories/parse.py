"""Parse a story file: YAML front matter between `---` lines, then `## ` sections.

The parser keeps the raw pieces of the file (see model.StorySource) so write.py can render an
unchanged story to its original bytes. Every error names the file and the line to look at, because
the user fixes these files by hand in their editor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from copilot.errors import InputFileError
from copilot.stories.model import FrontLine, RawSection, Story, StorySource

KNOWN_KEYS: tuple[str, ...] = ("id", "title", "competencies", "role", "year")
# A story is a page of text; anything far bigger is a mistake or a zip bomb, not a story. Checked
# before reading, so a 50 MB file costs one stat, never its parse or its embedding.
MAX_STORY_BYTES = 1_000_000

_BOM = "\ufeff"
# A top-level `key:` at column 0 (plain or quoted key); other non-blank lines continue the key above.
_TOP_KEY = re.compile(r"""^(?P<key>"[^"]*"|'[^']*'|[^\s#\-\[{"'][^:]*?)\s*:(?:\s|$)""")
_HEADING = re.compile(r"^ {0,3}##[ \t]+(?P<title>.*?)[ \t#]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")

# Builds the error for a bad value of a front-matter key, pointing at that key's line.
_Fail = Callable[[str, str], "StoryParseError"]


class StoryParseError(InputFileError):
    """A story file that cannot be used; the message reads `path:line: problem`."""

    def __init__(self, path: Path | str, line: int, problem: str) -> None:
        super().__init__(path, problem)
        self.line = line
        self.args = (f"{path}:{line}: {problem}",)


def load_story(path: Path | str) -> Story:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_STORY_BYTES:
            raise InputFileError(
                path,
                f"too large for a story ({size // 1000} kB, the limit is {MAX_STORY_BYTES // 1000} kB); "
                "it is left out of the index: shorten it or move it out of the story folder",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(path, f"could not be read ({exc.strerror or exc})") from exc
    return parse_story(decode_story(data, path), path)


def decode_story(data: bytes, path: Path | str) -> str:
    """UTF-8 text, exactly as stored: no newline translation, so CRLF files round-trip."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise StoryParseError(path, line, "is not UTF-8 text; save it as UTF-8 Markdown") from exc
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise StoryParseError(path, line, "is not UTF-8 text (it contains NUL bytes, so it looks binary)")
    return text


def parse_story(text: str, path: Path | str) -> Story:
    path = Path(path)
    bom = _BOM if text.startswith(_BOM) else ""
    lines = split_lines(text[len(bom) :])
    close = _closing_delimiter(lines, path)
    front = tuple(lines[1:close])
    keys = _key_spans(front, path)
    data = _load_yaml(front, path, close + 1)
    fields = _fields(data, keys, path)
    fields["id"] = fields["id"] or path.stem
    extra = {k: v for k, v in data.items() if k not in KNOWN_KEYS}
    preamble, raw_sections = _split_sections(lines[close + 1 :], close + 2, path)
    source = StorySource(
        raw=text,
        bom=bom,
        newline="\r\n" if lines[0].endswith("\r\n") else "\n",
        open_line=lines[0],
        front_lines=front,
        keys=keys,
        close_line=lines[close],
        preamble=preamble,
        raw_sections=raw_sections,
        fields=dict(fields),
        extra=extra,
        # A flow-style mapping (`{title: x}`) has no line per key; then a changed key rewrites the block.
        line_per_key=set(data) <= {span.key for span in keys},
    )
    return Story(
        id=fields["id"],
        title=fields["title"],
        competencies=fields["competencies"],
        role=fields["role"],
        year=fields["year"],
        extra=extra,
        sections={s.key: s.text for s in raw_sections},
        path=path,
        source=source,
    )


def split_lines(text: str) -> list[str]:
    """Lines with their endings kept; unlike str.splitlines, only '\\n' ends a line (so '\\r\\n' stays whole)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def bare(line: str) -> str:
    """A line without its ending ('\\n' or '\\r\\n')."""
    return line.rstrip("\n").removesuffix("\r")


def _closing_delimiter(lines: list[str], path: Path) -> int:
    if not lines or bare(lines[0]).rstrip() != "---":
        raise StoryParseError(path, 1, "no front matter: the file must start with '---'")
    for index in range(1, len(lines)):
        if bare(lines[index]).rstrip() in ("---", "..."):
            return index
    raise StoryParseError(path, 1, "front matter is not closed: add a line with '---' after it")


def _key_spans(front: tuple[str, ...], path: Path) -> tuple[FrontLine, ...]:
    spans: list[FrontLine] = []
    for index, line in enumerate(front):
        match = _TOP_KEY.match(bare(line))
        if match:
            key = match["key"].strip("\"'")
            first = next((s for s in spans if s.key == key), None)
            if first is not None:
                problem = f"'{key}' appears twice in the front matter (also on line {first.start + 2})"
                raise StoryParseError(path, index + 2, problem)
            spans.append(FrontLine(key, index, index + 1))
        elif spans and line.strip() and not line.startswith("#"):
            # Value lines (block lists, folded text, a flow list over several lines) belong to the key
            # above; blank lines and column-0 comments between keys stay put when a key is rewritten.
            spans[-1] = FrontLine(spans[-1].key, spans[-1].start, index + 1)
    return tuple(spans)


def _load_yaml(front: tuple[str, ...], path: Path, close_line_no: int) -> dict[Any, Any]:
    try:
        data = yaml.safe_load("".join(bare(line) + "\n" for line in front))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = min(2 + mark.line, close_line_no) if mark is not None else 2
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise StoryParseError(path, line, f"front matter is not valid YAML ({problem})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise StoryParseError(path, 2, "front matter must be key: value pairs")
    for key in data:
        if not isinstance(key, str):
            raise StoryParseError(path, 2, f"front matter key {key!r} must be a word, like 'title'")
    return data


def _fields(data: dict[str, Any], keys: tuple[FrontLine, ...], path: Path) -> dict[str, Any]:
    def line_of(key: str) -> int:
        span = next((s for s in keys if s.key == key), None)
        return span.start + 2 if span else 1

    def fail(key: str, problem: str) -> StoryParseError:
        return StoryParseError(path, line_of(key), problem)

    title = _text(data.get("title"), "title", fail)
    if not title:
        raise fail("title", "title is missing: add a line like 'title: Halved GPU serving cost' to the front matter")
    return {
        "id": _text(data.get("id"), "id", fail),
        "title": title,
        "competencies": _competencies(data.get("competencies"), fail),
        "role": _text(data.get("role"), "role", fail),
        "year": _year(data.get("year"), fail),
    }


def _text(value: Any, key: str, fail: _Fail) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise fail(key, f"{key} must be text")
    return str(value).strip() or None


def _competencies(value: Any, fail: _Fail) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or any(isinstance(v, dict | list) for v in value):
        raise fail("competencies", "competencies must be a list, like [ownership, cost-reduction]")
    return tuple(str(v).strip() for v in value if v is not None and str(v).strip())


def _year(value: Any, fail: _Fail) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail("year", "year must be a number, like 2024")
    return value


def _split_sections(lines: list[str], first_line_no: int, path: Path) -> tuple[str, tuple[RawSection, ...]]:
    preamble: list[str] = []
    found: list[tuple[str, str, int, list[str]]] = []  # key, heading line, line number, body lines
    in_fence = False
    for offset, line in enumerate(lines):
        text = bare(line)
        if _FENCE.match(text):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(text)
        key = _section_key(match["title"]) if match else ""
        if not key:
            (found[-1][3] if found else preamble).append(line)
            continue
        line_no = first_line_no + offset
        earlier = next((f for f in found if f[0] == key), None)
        if earlier is not None:
            problem = f"a second '{text.strip()}' heading (the first is on line {earlier[2]}): merge them into one"
            raise StoryParseError(path, line_no, problem)
        found.append((key, line, line_no, []))
    return "".join(preamble), tuple(_raw_section(key, head, body) for key, head, _, body in found)


def _section_key(title: str) -> str:
    return re.sub(r"\s+", " ", title).strip().rstrip(":").strip().lower()


def _raw_section(key: str, heading: str, body: list[str]) -> RawSection:
    start = 0
    while start < len(body) and not body[start].strip():
        start += 1
    end = len(body)
    while end > start and not body[end - 1].strip():
        end -= 1
    core = body[start:end]
    return RawSection(
        key=key,
        heading=heading,
        lead="".join(body[:start]),
        core="".join(core),
        trail="".join(body[end:]),
        text="\n".join(bare(line) for line in core),
    )
