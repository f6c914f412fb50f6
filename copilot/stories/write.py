"""Render and save stories without reformatting the user's file.

A parsed story renders back to its original bytes. When a field or a section changed, only that
front-matter key's lines or that section's text are replaced: comments, key order, unknown keys,
blank lines and line endings elsewhere stay byte-for-byte as the user wrote them, so a save from the
app never produces a noisy diff in the user's own version control.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from copilot.atomic import SHARED, create_text_exclusive, write_text_atomic
from copilot.errors import InputFileError
from copilot.stories.lock import library_lock
from copilot.stories.model import CANONICAL_SECTIONS, RawSection, Story, StorySource, heading_for
from copilot.stories.parse import KNOWN_KEYS, StoryParseError, decode_story, parse_story


def render_story(story: Story) -> str:
    if story.source is None:
        return _render_new(story)
    source = story.source
    out: list[str] = [source.bom, source.open_line]
    if source.line_per_key:
        out.extend(_front_lines(story, source))
    elif _values(story) != _original_values(source):
        # Keys share lines (a flow mapping): rewrite the block, since one key cannot be swapped alone.
        values = {k: v for k, v in _values(story).items() if not _is_empty(v)}
        out.append(_dump_mapping(values, source.newline))
    else:
        out.extend(source.front_lines)
    _append(out, source.close_line, source.newline)
    _append(out, source.preamble, source.newline)
    for chunk in _body_chunks(story, source):
        _append(out, chunk, source.newline)
    return "".join(out)


def save_story(story: Story, path: Path | str | None = None) -> Story:
    """Write the story atomically and return it as now stored (parsed back from the new text).

    Refuses to overwrite another file, a file changed on disk since the story was loaded, or a file
    that does not parse: in each case the user's text would be lost.
    """
    target = Path(path) if path is not None else story.path
    if target is None:
        raise InputFileError("<story>", f"story '{story.id}' has no file yet: give a path to save it to")
    text = render_story(story)
    try:
        saved = parse_story(text, target)
    except StoryParseError as exc:
        raise InputFileError(target, f"not saved: {exc.problem} (line {exc.line} of the new text)") from exc
    # Checked and written under the library lock: another saver cannot slip in between (a check then
    # a rename would otherwise overwrite its save unseen).
    with library_lock(target.parent):
        _check_target(story, target)
        if target.exists():
            write_text_atomic(target, text, SHARED)  # keeps the file's own mode
            return saved
        try:
            create_text_exclusive(target, text, SHARED)
        except FileExistsError:  # created meanwhile by a writer outside the lock (an editor)
            raise InputFileError(target, "already exists; not overwritten (pick another name)") from None
    return saved


def _check_target(story: Story, target: Path) -> None:
    if not target.exists():
        return
    if story.path is None or not _same_file(story.path, target):
        raise InputFileError(target, "already exists; not overwritten (pick another name)")
    current = target.read_bytes()
    if story.source is not None:
        if current != story.source.raw.encode("utf-8"):
            raise InputFileError(target, "changed on disk since it was loaded; not saved, so those edits are kept")
        return
    try:
        parse_story(decode_story(current, target), target)
    except StoryParseError as exc:
        raise InputFileError(target, f"does not parse, so it is not rewritten; fix it by hand first ({exc})") from exc


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


# --- front matter ---------------------------------------------------------------------------------


def _values(story: Story) -> dict[str, Any]:
    known = {
        "id": story.id,
        "title": story.title,
        "competencies": list(story.competencies),
        "role": story.role,
        "year": story.year,
    }
    return {**known, **story.extra}


def _original_values(source: StorySource) -> dict[str, Any]:
    known = {**source.fields, "competencies": list(source.fields["competencies"])}
    return {**known, **source.extra}


def _front_lines(story: Story, source: StorySource) -> list[str]:
    """The raw front-matter lines, with the lines of each changed key replaced, dropped or added."""
    now, before = _values(story), _original_values(source)
    changed = {k for k in {*now, *before} if k not in now or k not in before or now[k] != before[k]}
    written = {span.key for span in source.keys}
    pending = [k for k in now if k in changed and k not in written and not _is_empty(now[k])]
    lines: list[str] = []
    position = 0
    for span in source.keys:
        lines.extend(source.front_lines[position : span.start])
        position = span.end
        # A new known key goes before the first key that follows it in the DESIGN.md order (id first,
        # unknown keys after the known ones); new unknown keys go at the end.
        for key in [k for k in pending if _rank(k) < _rank(span.key)]:
            lines.append(_dump_key(key, now[key], source.newline))
            pending.remove(key)
        if span.key not in changed:
            lines.extend(source.front_lines[span.start : span.end])
        elif not _is_empty(now.get(span.key)):
            lines.append(_dump_key(span.key, now[span.key], source.newline))
    lines.extend(source.front_lines[position:])
    for key in pending:
        _append(lines, _dump_key(key, now[key], source.newline), source.newline)
    return lines


def _rank(key: str) -> int:
    """Position in the DESIGN.md key order; unknown keys share the last place."""
    return KNOWN_KEYS.index(key) if key in KNOWN_KEYS else len(KNOWN_KEYS)


def _is_empty(value: Any) -> bool:
    return value is None or value == [] or value == ""


def _dump_key(key: str, value: Any, newline: str) -> str:
    """One `key: value` line in the DESIGN.md look: block style at the top, flow style inside
    (`competencies: [a, b]`), quoting only where YAML needs it."""
    return f"{_yaml_inline(key)}: {_yaml_inline(value)}\n".replace("\n", newline)


def _yaml_inline(value: Any) -> str:
    text: str = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000)
    # A bare scalar is dumped as a document of its own, with an explicit end marker.
    return text.removesuffix("\n").removesuffix("\n...")


def _dump_mapping(mapping: dict[str, Any], newline: str) -> str:
    return "".join(_dump_key(key, value, newline) for key, value in mapping.items())


# --- body -----------------------------------------------------------------------------------------


def _body_chunks(story: Story, source: StorySource) -> list[str]:
    raw = {section.key: section for section in source.raw_sections}
    order = _section_order([s.key for s in source.raw_sections if s.key in story.sections], story.sections)
    chunks: list[str] = []
    previous_is_new = False
    for key in order:
        text = story.sections[key]
        if key in raw:
            chunk = _render_kept(raw[key], text, source.newline)
        else:
            chunk = _render_section(key, text, source.newline)
        if (key not in raw or previous_is_new) and chunks:
            # Keep one blank line between a new section and its neighbours.
            chunks[-1] = _with_blank_line(chunks[-1], source.newline)
        chunks.append(chunk)
        previous_is_new = key not in raw
    return chunks


def _section_order(kept: list[str], wanted: dict[str, str]) -> list[str]:
    """The file's own order, with new STAR sections slotted in after the one they follow."""
    order = list(kept)
    for key in wanted:
        if key in order:
            continue
        if key not in CANONICAL_SECTIONS:
            order.append(key)
            continue
        rank = CANONICAL_SECTIONS.index(key)
        before = [i for i, k in enumerate(order) if k in CANONICAL_SECTIONS and CANONICAL_SECTIONS.index(k) < rank]
        after = [i for i, k in enumerate(order) if k in CANONICAL_SECTIONS and CANONICAL_SECTIONS.index(k) > rank]
        if before:
            order.insert(before[-1] + 1, key)
        elif after:
            order.insert(after[0], key)
        else:
            order.append(key)
    return order


def _render_kept(section: RawSection, text: str, newline: str) -> str:
    text = _normalise(text)
    if text == section.text:
        return section.heading + section.lead + section.core + section.trail
    heading = section.heading if section.heading.endswith("\n") else section.heading + newline
    lead, trail = section.lead, section.trail
    if not section.core:
        # The section was empty: its blank lines belong after the new text, not between heading and text.
        lead, trail = "", lead
    ends_file = not trail and not section.core.endswith("\n") and bool(section.core)
    core = _with_newline(text, newline) + ("" if ends_file or not text else newline)
    return heading + lead + core + trail


def _render_section(key: str, text: str, newline: str) -> str:
    body = _with_newline(_normalise(text), newline)
    return f"## {heading_for(key)}{newline}" + (body + newline if body else "")


def _normalise(text: str) -> str:
    """Section text as the parser returns it: no leading or trailing blank lines, '\n' line ends.

    So an editor that hands back "text\n" does not add a blank line on every save.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def _with_newline(text: str, newline: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", newline)


def _with_blank_line(chunk: str, newline: str) -> str:
    if not chunk.endswith("\n"):
        chunk += newline
    if chunk.endswith("\n\n") or chunk.endswith("\n\r\n"):
        return chunk
    return chunk + newline


def _append(out: list[str], piece: str, newline: str) -> None:
    """Append text, starting a new line first when the output so far ends mid-line (a file with no final newline)."""
    if not piece:
        return
    tail = next((p for p in reversed(out) if p), "")
    if tail and not tail.endswith("\n"):
        out.append(newline)
    out.append(piece)


# --- new stories ----------------------------------------------------------------------------------


def _render_new(story: Story) -> str:
    newline = "\n"
    front: dict[str, Any] = {"id": story.id, "title": story.title, "competencies": list(story.competencies)}
    if story.role:
        front["role"] = story.role
    if story.year is not None:
        front["year"] = story.year
    front.update({k: v for k, v in story.extra.items() if k not in KNOWN_KEYS})
    chunks = [_render_section(key, story.sections[key], newline) for key in _section_order([], story.sections)]
    return "---\n" + _dump_mapping(front, newline) + "---\n" + "\n".join(chunks)
