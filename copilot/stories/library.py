"""The story library: a folder of story files, loaded, created, imported and exported.

One broken file never hides the others: loading collects each problem with its message and goes on.
Nothing here overwrites a story the user already has: new files get a free name, imports with a
clashing id get a numbered suffix, and exports to a folder leave differing files alone.
"""

from __future__ import annotations

import io
import re
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from copilot.atomic import SHARED, clean_stale_temporaries, create_bytes_exclusive, write_bytes_atomic
from copilot.errors import InputFileError, UsageError
from copilot.stories.lock import library_lock
from copilot.stories.model import Story
from copilot.stories.parse import MAX_STORY_BYTES, StoryParseError, decode_story, load_story, parse_story
from copilot.stories.write import render_story

TEMPLATE_NAME = "TEMPLATE.md"
__all__ = ["MAX_STORY_BYTES"]  # re-exported: callers have always found the size limit here
# Free names tried before giving up, when other writers keep taking them (never reached in practice).
_MAX_NAME_TRIES = 1000

_BUILTIN_PROMPTS = {
    "situation": "<!-- Where and when: the team, the product, what was at stake. One or two sentences. -->",
    "task": "<!-- What you were responsible for, and what success looked like. -->",
    "action": "<!-- What you did, with 'I': the decision you made, the options you weighed, and why. -->",
    "result": "<!-- What changed, with numbers: %, time, money, users. -->",
    "lessons": "<!-- Optional: what you would do again, or differently. -->",
}


@dataclass(frozen=True)
class LoadProblem:
    path: Path
    message: str  # the whole line to show, starting with the path

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class LibraryLoad:
    stories: tuple[Story, ...]
    errors: tuple[LoadProblem, ...]

    def get(self, story_id: str) -> Story | None:
        return next((s for s in self.stories if s.id == story_id), None)


@dataclass(frozen=True)
class Imported:
    source: str
    path: Path
    id: str
    renamed_from: str | None = None  # the id in the source, when it clashed with one in the library


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str
    error: bool  # False for a harmless skip (the identical story is already there)


@dataclass(frozen=True)
class ImportReport:
    imported: tuple[Imported, ...]
    skipped: tuple[Skipped, ...]

    @property
    def failed(self) -> tuple[Skipped, ...]:
        return tuple(s for s in self.skipped if s.error)


@dataclass(frozen=True)
class ExportReport:
    dest: Path
    exported: tuple[Path, ...]  # the story files that were written (or were already identical) in dest
    errors: tuple[LoadProblem, ...]


def is_story_file(path: Path) -> bool:
    # Hidden files include the atomic writer's temporaries and editors' swap files.
    return path.suffix.lower() == ".md" and path.name.lower() != TEMPLATE_NAME.lower() and not path.name.startswith(".")


def story_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and is_story_file(p))


def load_library(folder: Path | str) -> LibraryLoad:
    folder = Path(folder)
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "no such folder: create a story with 'stories new' first"
        raise InputFileError(folder, problem)
    clean_stale_temporaries(folder)  # left by a save that was killed; hidden, but they pile up
    stories: dict[str, Story] = {}
    errors: list[LoadProblem] = []
    for path in story_files(folder):
        try:
            story = load_story(path)
        except InputFileError as exc:
            errors.append(LoadProblem(path, str(exc)))
            continue
        first = stories.get(story.id)
        if first is not None:
            message = f"{path}: duplicate id '{story.id}', also used by {first.path}; give one of them another id"
            errors.append(LoadProblem(path, message))
            continue
        stories[story.id] = story
    return LibraryLoad(tuple(stories.values()), tuple(errors))


def _load_if_any(folder: Path) -> LibraryLoad:
    return load_library(folder) if folder.is_dir() else LibraryLoad((), ())


# --- new ------------------------------------------------------------------------------------------


def slugify(title: str, max_length: int = 60) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0]
    return slug or "story"


def new_story_file(
    folder: Path | str,
    title: str,
    competencies: Iterable[str] = (),
    role: str | None = None,
    year: int | None = None,
) -> Story:
    """Create `<slug>.md` from the folder's TEMPLATE.md (or the built-in one); never overwrites a file.

    Under the library lock, and created with create-if-absent: a writer outside the lock (an editor)
    taking the name first only moves us to the next free one.
    """
    folder = Path(folder)
    if not title.strip():
        raise UsageError("a story needs a title")
    with library_lock(folder):
        library = _load_if_any(folder)
        taken_ids = {s.id for s in library.stories}
        taken_names = _names_in(folder)
        slug = slugify(title)
        base = _folder_template(folder) or Story.new(slug, title, sections=_BUILTIN_PROMPTS)
        for _ in range(_MAX_NAME_TRIES):
            story_id, stem = _free_name(slug, slug, taken_ids, taken_names)
            target = folder / f"{stem}.md"
            story = replace(
                base,
                id=story_id,
                title=title.strip(),
                competencies=tuple(competencies),
                role=role,
                year=year,
                path=target,
            )
            text = render_story(story)
            try:
                create_bytes_exclusive(target, text.encode("utf-8"), SHARED)
            except FileExistsError:
                taken_names.add(target.name.lower())
                continue
            return parse_story(text, target)
    raise InputFileError(folder, f"no free file name for '{slug}' after {_MAX_NAME_TRIES} tries; not created")


def _folder_template(folder: Path) -> Story | None:
    """The user's own TEMPLATE.md, so they can shape new stories; ignored when missing or broken."""
    path = folder / TEMPLATE_NAME
    if not path.is_file():
        return None
    try:
        # Keeps its parsed layout: the new file is TEMPLATE.md with only the changed keys rewritten.
        return load_story(path)
    except InputFileError:
        return None


def _names_in(folder: Path) -> set[str]:
    # Lower-cased: on macOS and Windows 'Story.md' and 'story.md' are the same file.
    return {p.name.lower() for p in folder.iterdir()} if folder.is_dir() else set()


def _free_name(story_id: str, stem: str, taken_ids: set[str], taken_names: set[str]) -> tuple[str, str]:
    """The id and file stem to use: unchanged when free, else both with the first free `-N` suffix."""
    if story_id not in taken_ids and f"{stem}.md".lower() not in taken_names:
        return story_id, stem
    n = 2
    while f"{story_id}-{n}" in taken_ids or f"{stem}-{n}.md".lower() in taken_names:
        n += 1
    return f"{story_id}-{n}", f"{stem}-{n}"


# --- import ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    label: str  # how the user sees it: a path, or `archive.zip:member.md`
    name: str  # the file name it will get in the library
    data: bytes


def import_stories(sources: Iterable[Path | str], folder: Path | str) -> ImportReport:
    """Copy valid stories from .md files, folders and .zip archives into the library folder.

    Every candidate ends up in the report, imported or skipped with its reason; a failed write (a
    full disk) is reported and the import goes on with the next one. The library lock is held
    throughout, so a second import waits and then sees these stories' ids and names.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    imported: list[Imported] = []
    skipped: list[Skipped] = []
    with library_lock(folder):
        library = load_library(folder)
        by_id = {s.id: s for s in library.stories}
        taken_names = _names_in(folder)
        for source in sources:
            for item in _candidates(Path(source)):
                result = item if isinstance(item, Skipped) else _import_one(item, folder, by_id, taken_names)
                (imported if isinstance(result, Imported) else skipped).append(result)  # type: ignore[arg-type]
    return ImportReport(tuple(imported), tuple(skipped))


def _import_one(item: _Candidate, folder: Path, by_id: dict[str, Story], taken_names: set[str]) -> Imported | Skipped:
    try:
        story = parse_story(decode_story(item.data, item.label), Path(item.name))
    except StoryParseError as exc:
        return Skipped(item.label, f"{item.label}:{exc.line}: {exc.problem}", error=True)
    existing = by_id.get(story.id)
    if existing is not None and existing.path is not None and _same_bytes(existing.path, item.data):
        return Skipped(item.label, f"{item.label}: already in the library as {existing.path.name}", error=False)
    for _ in range(_MAX_NAME_TRIES):
        story_id, stem = _free_name(story.id, Path(item.name).stem, set(by_id), taken_names)
        target = folder / f"{stem}.md"
        # Unchanged, the user's exact bytes; renamed, only the id line changes.
        data = item.data if story_id == story.id else render_story(replace(story, id=story_id)).encode("utf-8")
        try:
            create_bytes_exclusive(target, data, SHARED)
        except FileExistsError:  # created since we listed the folder, by a writer outside the lock
            taken_names.add(target.name.lower())
            continue
        except InputFileError as exc:
            return Skipped(item.label, f"{item.label}: not imported: {exc}", error=True)
        by_id[story_id] = replace(story, id=story_id, path=target)
        taken_names.add(target.name.lower())
        return Imported(item.label, target, story_id, renamed_from=story.id if story_id != story.id else None)
    return Skipped(item.label, f"{item.label}: no free file name in {folder}; not imported", error=True)


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def _candidates(source: Path) -> Iterator[_Candidate | Skipped]:
    label = str(source)
    if source.is_dir():
        for path in sorted(source.rglob("*.md")):
            if is_story_file(path) and path.is_file():
                yield _read_candidate(path)
    elif not source.exists():
        yield Skipped(label, f"{label}: no such file or folder", error=True)
    elif source.suffix.lower() == ".zip":
        yield from _zip_candidates(source)
    elif source.suffix.lower() == ".md":
        yield _read_candidate(source)
    else:
        yield Skipped(label, f"{label}: not a .md file, a folder or a .zip archive", error=True)


def _read_candidate(path: Path) -> _Candidate | Skipped:
    try:
        size = path.stat().st_size
        if size > MAX_STORY_BYTES:
            return Skipped(str(path), f"{path}: too large for a story ({size // 1000} kB)", error=True)
        return _Candidate(str(path), path.name, path.read_bytes())
    except OSError as exc:
        return Skipped(str(path), f"{path}: could not be read ({exc.strerror or exc})", error=True)


def _zip_candidates(archive: Path) -> Iterator[_Candidate | Skipped]:
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        yield Skipped(str(archive), f"{archive}: not a readable .zip archive ({exc})", error=True)
        return
    with zf:
        for info in zf.infolist():
            # Only the base name is used, so a member like '../../x.md' cannot write outside the library.
            member = PurePosixPath(info.filename)
            if info.is_dir() or "__MACOSX" in member.parts or not is_story_file(Path(member.name)):
                continue
            yield _read_member(zf, info, f"{archive}:{info.filename}")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> _Candidate | Skipped:
    if info.file_size > MAX_STORY_BYTES:
        return Skipped(label, f"{label}: too large for a story ({info.file_size // 1000} kB)", error=True)
    try:
        return _Candidate(label, PurePosixPath(info.filename).name, zf.read(info))
    except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, OSError) as exc:
        # RuntimeError: encrypted member; NotImplementedError: a compression method Python lacks.
        return Skipped(label, f"{label}: could not be read from the archive ({exc})", error=True)


# --- export ---------------------------------------------------------------------------------------


def export_stories(folder: Path | str, dest: Path | str) -> ExportReport:
    """Copy every story that loads to a .zip (written atomically) or, without a .zip suffix, a folder."""
    library = load_library(folder)
    dest = Path(dest)
    if dest.suffix.lower() == ".zip":
        exported = _export_zip(library.stories, dest)
        return ExportReport(dest, exported, library.errors)
    exported, problems = _export_folder(library.stories, dest)
    return ExportReport(dest, exported, library.errors + problems)


def _story_bytes(story: Story) -> bytes:
    # The text that was validated, so the export holds exactly what loaded (UTF-8 round-trips exactly).
    return story.source.raw.encode("utf-8") if story.source else render_story(story).encode("utf-8")


def _export_zip(stories: tuple[Story, ...], dest: Path) -> tuple[Path, ...]:
    buffer = io.BytesIO()
    written: list[Path] = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for story in stories:
            assert story.path is not None  # loaded from the folder
            zf.writestr(_zip_info(story.path), _story_bytes(story))
            written.append(story.path)
    # Built in memory and written in one atomic step: a failed export never leaves a truncated archive.
    write_bytes_atomic(dest, buffer.getvalue())
    return tuple(written)


def _zip_info(path: Path) -> zipfile.ZipInfo:
    try:
        # strict_timestamps=False: a file dated before 1980 (zip's epoch) is stored as 1980, not refused.
        info = zipfile.ZipInfo.from_file(path, arcname=path.name, strict_timestamps=False)
    except OSError:  # deleted since it was loaded; its validated text is still exported
        info = zipfile.ZipInfo(path.name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _export_folder(stories: tuple[Story, ...], dest: Path) -> tuple[tuple[Path, ...], tuple[LoadProblem, ...]]:
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    problems: list[LoadProblem] = []
    for story in stories:
        assert story.path is not None  # loaded from the folder
        target = dest / story.path.name
        data = _story_bytes(story)
        try:
            create_bytes_exclusive(target, data, SHARED)
        except FileExistsError:
            if not _same_bytes(target, data):
                problems.append(LoadProblem(target, f"{target}: already exists with other content; not overwritten"))
                continue
        except InputFileError as exc:  # a full disk: this one is reported, the next may still fit
            problems.append(LoadProblem(target, str(exc)))
            continue
        written.append(story.path)
    return tuple(written), tuple(problems)
