"""The story model: one STAR story, as parsed from (or rendered to) one Markdown file.

A parsed `Story` carries a `StorySource`: the file's raw pieces and the values as they were parsed.
The writer compares the current values with those to rewrite only what changed, so a save never
reformats the user's file (see write.py).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

# The order STAR sections are written in; also where a newly added one is inserted.
CANONICAL_SECTIONS: tuple[str, ...] = ("situation", "task", "action", "result", "lessons")
STAR_SECTIONS: tuple[str, ...] = CANONICAL_SECTIONS[:4]

# Template prompts live in HTML comments: invisible when rendered, and ignored by the index and coach.
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def strip_comments(text: str) -> str:
    return _HTML_COMMENT.sub("", text).strip()


def heading_for(key: str) -> str:
    """The heading written for a section key that has no heading in the file yet."""
    return key[:1].upper() + key[1:]


@dataclass(frozen=True)
class FrontLine:
    """One top-level key of the front matter and the raw lines that hold it (value lines included)."""

    key: str
    start: int  # index into StorySource.front_lines
    end: int  # exclusive


@dataclass(frozen=True)
class RawSection:
    """A `## ` heading and its body, split so a changed body can be swapped in between the blank lines."""

    key: str
    heading: str  # raw heading line, newline included
    lead: str  # blank lines between heading and text
    core: str  # the text lines, raw
    trail: str  # blank lines after the text
    text: str  # the parsed value (core without line ending noise)


@dataclass(frozen=True)
class StorySource:
    """Everything needed to render a parsed story back to its exact bytes."""

    raw: str  # the whole file as decoded, BOM included
    bom: str
    newline: str
    open_line: str  # the opening '---' line
    front_lines: tuple[str, ...]
    keys: tuple[FrontLine, ...]
    close_line: str
    preamble: str  # anything between the front matter and the first `## ` heading
    raw_sections: tuple[RawSection, ...]
    # The values as parsed, to tell which fields the caller changed.
    fields: Mapping[str, Any]
    extra: Mapping[str, Any]
    line_per_key: bool


@dataclass(frozen=True)
class Story:
    id: str
    title: str
    competencies: tuple[str, ...] = ()
    role: str | None = None
    year: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    source: StorySource | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Own copies, so a caller mutating the dict it passed in cannot change this story behind its back.
        object.__setattr__(self, "competencies", tuple(self.competencies))
        object.__setattr__(self, "extra", copy.deepcopy(dict(self.extra)))
        object.__setattr__(self, "sections", {k.lower(): v for k, v in self.sections.items()})

    @classmethod
    def new(
        cls,
        id: str,
        title: str,
        competencies: Iterable[str] = (),
        role: str | None = None,
        year: int | None = None,
        sections: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Story:
        """A story that has no file yet; it renders in the DESIGN.md format."""
        return cls(
            id=id,
            title=title,
            competencies=tuple(competencies),
            role=role,
            year=year,
            extra=dict(extra or {}),
            sections=dict(sections or {}),
        )

    def section(self, name: str) -> str:
        """The text of a section ('' when the story has none), prompts in HTML comments removed."""
        return strip_comments(self.sections.get(name.lower(), ""))

    def with_section(self, name: str, text: str) -> Story:
        return replace(self, sections={**self.sections, name.lower(): text})

    def text_for_index(self) -> str:
        """Title and every section, for embedding and search."""
        parts = [self.title]
        for key in self.sections:
            body = self.section(key)
            if body:
                parts.append(f"{heading_for(key)}: {body}")
        return "\n\n".join(parts)
