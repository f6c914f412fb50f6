"""What the story library window shows, as plain Python: no Qt, so its rules are tested without a display.

`LibraryModel` holds a story folder as loaded (broken files with their error, never rewritten), the
search and competency filter, the story being edited (the saved version and the draft), the coach's
findings for the draft, an undo stack for deletes and a one-line message for the banner. The window
renders it and sends user actions to it; observers are told which part changed.

Files are only ever written through the core (`save_story`, `new_story_file`, `import_stories`), which
never overwrites a file changed on disk. A delete is a move to a trash folder in the data dir, so an
undo puts back the very same bytes.

Unsaved edits are autosaved, like an editor's swap file: `autosave()` writes the draft's fields to a
private JSON file in the data dir's drafts folder (atomically), a save or a reload removes it, and
opening the story again after a crash or a kill puts the edits back, unsaved, and says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from copilot.atomic import write_text_atomic
from copilot.config import paths
from copilot.errors import InputFileError, UsageError
from copilot.stories.coach import Finding, coach, score
from copilot.stories.library import (
    ExportReport,
    ImportReport,
    LibraryLoad,
    LoadProblem,
    export_stories,
    import_stories,
    load_library,
    new_story_file,
    slugify,
)
from copilot.stories.model import CANONICAL_SECTIONS, Story
from copilot.stories.write import save_story

# What changed, passed to observers so each widget re-renders only its own part.
LIST, CURRENT, FINDINGS, DIRTY, MESSAGE, COVERAGE = "list", "current", "findings", "dirty", "message", "coverage"
EDITABLE_SECTIONS = CANONICAL_SECTIONS  # situation, task, action, result, lessons

DEFAULT_COMPETENCIES: tuple[str, ...] = (
    "ownership",
    "leadership",
    "conflict-resolution",
    "collaboration",
    "communication",
    "technical-depth",
    "cost-reduction",
    "failure-and-learning",
    "prioritization",
    "ambiguity",
    "customer-focus",
    "mentoring",
    "influence-without-authority",
    "delivery-under-pressure",
    "data-quality",
    "decision-making",
)

Observer = Callable[[str], None]


@dataclass(frozen=True)
class Entry:
    """One row of the story list: a story, or a file that did not load (`error` set)."""

    path: Path
    title: str
    detail: str  # role · year, or the file name of a broken file
    competencies: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class CoverageRow:
    competency: str
    count: int
    titles: tuple[str, ...]

    @property
    def is_gap(self) -> bool:
        return self.count == 0


@dataclass(frozen=True)
class Message:
    text: str
    kind: str = "info"  # "info" (status bar), "notice" (banner), "error" or "undo" (the banner offers Undo)


@dataclass(frozen=True)
class Trashed:
    original: Path
    trashed: Path
    title: str


class LibraryModel:
    def __init__(
        self, folder: Path | str, trash_dir: Path | str | None = None, drafts_dir: Path | str | None = None
    ) -> None:
        self.folder = Path(folder)
        self.trash_dir = Path(trash_dir) if trash_dir is not None else paths.data_dir() / "trash"
        self.drafts_dir = Path(drafts_dir) if drafts_dir is not None else self.trash_dir.parent / "drafts"
        self.stories: list[Story] = []
        self.errors: list[LoadProblem] = []
        self.search = ""
        self.competency: str | None = None
        self.current_path: Path | None = None
        self.saved: Story | None = None  # the story as on disk: the base a save checks against
        self.draft: Story | None = None  # the story with the user's edits
        self.findings: list[Finding] = []
        self.conflict: str | None = None  # set when the file changed on disk under unsaved edits
        self.message: Message | None = None
        self.undo_stack: list[Trashed] = []
        self._observers: list[Observer] = []

    # --- observers ------------------------------------------------------------------------------

    def subscribe(self, observer: Observer) -> None:
        self._observers.append(observer)

    def _changed(self, *what: str) -> None:
        for part in what:
            for observer in list(self._observers):
                observer(part)

    def _say(self, text: str, kind: str = "info") -> None:
        self.message = Message(text, kind)
        self._changed(MESSAGE)

    def dismiss_message(self) -> None:
        self.message = None
        self._changed(MESSAGE)

    # --- loading --------------------------------------------------------------------------------

    def reload(self) -> None:
        """Load the folder now (a few ms for a personal library); the window's watcher does it off-thread."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.apply_load(load_library(self.folder))

    def apply_load(self, load: LibraryLoad) -> None:
        """Take a fresh listing of the folder and reconcile the open story with what is on disk now."""
        self.stories, self.errors = list(load.stories), list(load.errors)
        reopened = self._reconcile_current()
        self._changed(LIST, COVERAGE, *((CURRENT, FINDINGS, DIRTY) if reopened else ()))

    def _reconcile_current(self) -> bool:
        """True when the open story was reloaded from disk (it had no unsaved edits)."""
        if self.current_path is None or self.saved is None or self.saved.source is None:
            return False
        on_disk = self.story_at(self.current_path)
        if on_disk is not None and on_disk.source is not None and on_disk.source.raw == self.saved.source.raw:
            return False  # unchanged, or our own save coming back through the watcher
        if _file_matches(self.current_path, self.saved.source.raw):
            return False  # a stale listing taken before our last save: the disk already holds our version
        if not self.dirty:
            self._open(self.current_path if self.current_path.exists() else None)  # a broken file shows its error
            what = f"'{on_disk.title}' changed on disk and was reloaded." if on_disk else "The open story was removed."
            self._say(what)
            return True
        what = "was deleted" if not self.current_path.exists() else "changed on disk"
        self.conflict = f"{self.current_path.name} {what} while you were editing. Your text is kept here, unsaved."
        self._say(self.conflict + " Reload from disk to take theirs, or copy your text out first.", "error")
        return False

    def story_at(self, path: Path) -> Story | None:
        return next((s for s in self.stories if s.path is not None and _same(s.path, path)), None)

    def error_at(self, path: Path) -> str | None:
        return next((e.message for e in self.errors if _same(e.path, path)), None)

    # --- the list -------------------------------------------------------------------------------

    def set_search(self, text: str) -> None:
        self.search = text
        self._changed(LIST)

    def set_competency(self, competency: str | None) -> None:
        self.competency = competency or None
        self._changed(LIST)

    def entries(self) -> list[Entry]:
        words = self.search.lower().split()
        rows = [_entry(s) for s in self.stories if self._matches(s, words)]
        if self.competency is None:  # a broken file has no competencies, but should never hide behind a search
            rows += [_broken_entry(e) for e in self.errors if all(w in str(e.path).lower() for w in words)]
        return rows

    def _matches(self, story: Story, words: list[str]) -> bool:
        if self.competency is not None and self.competency not in story.competencies:
            return False
        haystack = " ".join(
            [
                story.id,
                story.title,
                story.role or "",
                str(story.year or ""),
                *story.competencies,
                story.text_for_index(),
            ]
        ).lower()
        return all(word in haystack for word in words)

    # --- coverage -------------------------------------------------------------------------------

    def vocabulary(self) -> list[str]:
        """The default competencies, then any others the stories use, alphabetically."""
        used = {c for s in self._live_stories() for c in s.competencies}
        return list(DEFAULT_COMPETENCIES) + sorted(used - set(DEFAULT_COMPETENCIES))

    def coverage(self) -> list[CoverageRow]:
        stories = self._live_stories()
        return [
            CoverageRow(c, len(titles := tuple(s.title for s in stories if c in s.competencies)), titles)
            for c in self.vocabulary()
        ]

    def gaps(self) -> list[str]:
        return [row.competency for row in self.coverage() if row.is_gap]

    def _live_stories(self) -> list[Story]:
        """The stories with the open draft in place of its saved version, so tagging updates coverage at once."""
        if self.draft is None or self.current_path is None:
            return self.stories
        others = [s for s in self.stories if s.path is None or not _same(s.path, self.current_path)]
        return [*others, self.draft]

    # --- the open story -------------------------------------------------------------------------

    def select(self, path: Path | None) -> None:
        """Open a story (or a broken file, shown with its error); unsaved edits are the window's to ask about."""
        self._open(path)
        self._changed(CURRENT, FINDINGS, DIRTY, COVERAGE)

    def _open(self, path: Path | None) -> None:
        story = self.story_at(path) if path is not None else None
        self.current_path = path
        self.saved = self.draft = story
        self.conflict = None
        self.findings = coach(story) if story is not None else []
        if story is not None and path is not None:
            self._recover(path)

    # --- autosave -------------------------------------------------------------------------------

    def draft_file(self, path: Path) -> Path:
        """Where the unsaved edits of the story at `path` are autosaved (one file per story)."""
        key = hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:24]
        return self.drafts_dir / f"{key}.json"

    def autosave(self) -> None:
        """Write the unsaved edits to the story's draft file (or remove it when there are none)."""
        if self.current_path is None or self.draft is None:
            return
        if not self.dirty:
            self._drop_autosave(self.current_path)
            return
        draft = self.draft
        record = {
            "path": str(self.current_path),
            "autosaved_at": time.strftime("%Y-%m-%d %H:%M"),
            "title": draft.title,
            "role": draft.role,
            "year": draft.year,
            "competencies": list(draft.competencies),
            "sections": {name: draft.section(name) for name in EDITABLE_SECTIONS},
        }
        try:
            self.drafts_dir.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.draft_file(self.current_path), json.dumps(record, ensure_ascii=False))
        except (OSError, InputFileError) as exc:  # a full disk: say so once the user can act on it
            self._say(f"Could not autosave your edits: {exc}. Save the story to keep them.", "error")

    def forget_autosave(self) -> None:
        """The user discarded the open story's edits: nothing to recover later."""
        self._drop_autosave(self.current_path)

    def _drop_autosave(self, path: Path | None) -> None:
        if path is not None:
            self.draft_file(path).unlink(missing_ok=True)

    def _recover(self, path: Path) -> None:
        """Edits autosaved before a crash come back into the draft, unsaved (the file stays as it was)."""
        swap = self.draft_file(path)
        try:
            record = json.loads(swap.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            self._say(f"An autosaved draft ({swap}) could not be read and was left alone: {exc}", "error")
            return
        assert self.saved is not None and self.draft is not None
        fields = {k: record[k] for k in ("title", "role", "year") if k in record}
        draft = replace(self.draft, competencies=tuple(record.get("competencies", self.draft.competencies)), **fields)
        for name, text in dict(record.get("sections", {})).items():
            if name in EDITABLE_SECTIONS and isinstance(text, str):
                draft = _with_section_text(draft, self.saved, name, text)
        if draft == self.saved:
            swap.unlink(missing_ok=True)  # nothing the file does not already hold
            return
        self.draft = draft
        self.findings = coach(draft)
        self._say(
            f"Recovered unsaved edits to '{draft.title}' autosaved at {record.get('autosaved_at', '?')}. "
            "Save to keep them, or Reload from disk to drop them.",
            "notice",
        )

    @property
    def dirty(self) -> bool:
        return self.draft is not None and self.saved is not None and self.draft != self.saved

    @property
    def score(self) -> int | None:
        return score(self.findings) if self.draft is not None else None

    def set_title(self, title: str) -> None:
        self._edit(title=title)

    def set_role(self, role: str) -> None:
        self._edit(role=role.strip() or None)

    def set_year_text(self, text: str) -> bool:
        """False (and nothing changed) when the text is not a year; empty clears it."""
        text = text.strip()
        if text and not (text.isdigit() and len(text) == 4):
            return False
        self._edit(year=int(text) if text else None)
        return True

    def set_competencies_text(self, text: str) -> None:
        self._edit(competencies=parse_tags(text))

    def set_section(self, name: str, text: str) -> None:
        if self.draft is None or self.saved is None:
            return
        self._replace_draft(_with_section_text(self.draft, self.saved, name, text))

    def _edit(self, **fields: object) -> None:
        if self.draft is not None:
            self._replace_draft(replace(self.draft, **fields))  # type: ignore[arg-type]

    def _replace_draft(self, draft: Story) -> None:
        self.draft = draft
        self.findings = coach(draft)  # microseconds: recomputed on every keystroke, rendered debounced
        self._changed(FINDINGS, DIRTY, COVERAGE)

    def save(self) -> bool:
        """Write the draft (only the changed parts); on a refusal the draft stays as typed."""
        if self.draft is None or not self.dirty:
            return True
        try:
            saved = save_story(self.draft)
        except InputFileError as exc:
            self._say(f"Not saved: {exc}", "error")
            return False
        self.saved = self.draft = saved
        self.conflict = None
        self._drop_autosave(self.current_path)
        self.stories = [saved if s.path is not None and _same(s.path, saved.path) else s for s in self.stories]  # type: ignore[arg-type]
        self.findings = coach(saved)
        self._say(f"Saved {saved.path.name if saved.path else saved.id}.")
        self._changed(LIST, CURRENT, FINDINGS, DIRTY, COVERAGE)
        return True

    def discard_changes(self) -> None:
        """Back to the file as it is on disk now (also how a conflict is resolved in favour of the disk)."""
        self._drop_autosave(self.current_path)
        self.reload()
        self.select(self.current_path)

    # --- new, duplicate, delete, undo -----------------------------------------------------------

    def new_story(self, title: str = "New story") -> Path:
        story = new_story_file(self.folder, title)
        assert story.path is not None
        return self._created(story.path, f"Created {story.path.name}.")

    def duplicate(self) -> Path | None:
        """A copy of the open story (with its unsaved edits) under a new id and file name."""
        if self.draft is None:
            return None
        title = f"{self.draft.title} (copy)"
        story_id, target = self._free_slot(slugify(f"{self.draft.id} copy", max_length=100))
        # replace() keeps the parsed layout, so the copy keeps the original's comments and unknown keys.
        copy = replace(self.draft, id=story_id, title=title, path=target)
        try:
            save_story(copy, target)
        except InputFileError as exc:
            self._say(f"Not duplicated: {exc}", "error")
            return None
        return self._created(target, f"Duplicated as {target.name}.")

    def _free_slot(self, slug: str) -> tuple[str, Path]:
        ids = {s.id for s in self.stories}
        names = {p.name.lower() for p in self.folder.iterdir()}
        stem, n = slug, 2
        while stem in ids or f"{stem}.md" in names:
            stem, n = f"{slug}-{n}", n + 1
        return stem, self.folder / f"{stem}.md"

    def _created(self, path: Path, message: str) -> Path:
        self.reload()
        self.select(path)
        self._say(message)
        return path

    def delete(self) -> Path | None:
        """Move the open file (story or broken) to the trash; `undo` moves it back."""
        path = self.current_path
        if path is None or not path.exists():
            return None
        title = self.saved.title if self.saved is not None else path.name
        self._drop_autosave(path)  # deleted on purpose: no recovery of its edits later
        self.trash_dir.mkdir(parents=True, exist_ok=True)
        trashed = self.trash_dir / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{len(self.undo_stack)}-{path.name}"
        shutil.move(path, trashed)  # a rename on one file system; copy-then-remove across them
        self.undo_stack.append(Trashed(path, trashed, title))
        self.reload()
        self.select(None)
        self._say(f"Deleted '{title}'.", "undo")
        return trashed

    @property
    def can_undo(self) -> bool:
        return bool(self.undo_stack)

    def undo(self) -> Path | None:
        """Put the last deleted file back, under its old name unless another file took it since."""
        if not self.undo_stack:
            return None
        item = self.undo_stack.pop()
        target = item.original
        n = 2
        while target.exists():
            target, n = item.original.with_name(f"{item.original.stem}-{n}{item.original.suffix}"), n + 1
        shutil.move(item.trashed, target)
        return self._created(target, f"Restored '{item.title}' as {target.name}.")

    # --- import and export ----------------------------------------------------------------------

    def import_paths(self, sources: Iterable[Path | str]) -> ImportReport:
        report = import_stories(list(sources), self.folder)
        self.imported(report)
        return report

    def imported(self, report: ImportReport) -> None:
        """Report an import (run here or on a pool thread by the window) and show the new files."""
        self.reload()
        parts = [f"Imported {len(report.imported)} stor{'y' if len(report.imported) == 1 else 'ies'}"]
        renamed = [i for i in report.imported if i.renamed_from]
        if renamed:
            parts.append(f"{len(renamed)} renamed to avoid an id clash")
        if report.failed:
            parts.append(f"{len(report.failed)} failed: " + "; ".join(s.reason for s in report.failed[:3]))
        self._say(", ".join(parts) + ".", "error" if report.failed else "info")

    def export_zip(self, dest: Path | str) -> ExportReport:
        report = export_stories(self.folder, dest)
        self.exported(report)
        return report

    def exported(self, report: ExportReport) -> None:
        skipped = f"; {len(report.errors)} broken file(s) left out" if report.errors else ""
        self._say(f"Exported {len(report.exported)} stories to {report.dest}{skipped}.")

    def report_error(self, exc: BaseException) -> None:
        text = str(exc) if isinstance(exc, InputFileError | UsageError | OSError) else repr(exc)
        self._say(text, "error")


def _with_section_text(draft: Story, saved: Story, name: str, text: str) -> Story:
    """`draft` with section `name` as the editor shows `text`."""
    if text != saved.section(name):
        return draft.with_section(name, text)
    # The editor shows the text without template prompts: typing it back must not count as a change.
    if name in saved.sections:
        return draft.with_section(name, saved.sections[name])
    return replace(draft, sections={k: v for k, v in draft.sections.items() if k != name})


def parse_tags(text: str) -> tuple[str, ...]:
    """'Ownership, cost reduction' -> ('ownership', 'cost-reduction'): the ids the retriever matches on."""
    tags: list[str] = []
    for part in text.replace(";", ",").split(","):
        tag = "-".join(part.strip().lower().split())
        if tag and tag not in tags:
            tags.append(tag)
    return tuple(tags)


def _entry(story: Story) -> Entry:
    detail = " · ".join(str(x) for x in (story.role, story.year) if x)
    assert story.path is not None  # loaded from the folder
    return Entry(story.path, story.title, detail, story.competencies)


def _broken_entry(problem: LoadProblem) -> Entry:
    return Entry(problem.path, problem.path.name, "does not load: click for the error", error=problem.message)


def _same(a: Path, b: Path) -> bool:
    return a == b or a.resolve() == b.resolve()


def _file_matches(path: Path, raw: str) -> bool:
    try:
        return path.read_bytes() == raw.encode("utf-8")
    except OSError:
        return False
