"""`copilot stories list|show|new|lint|import|export|from-resume`: the story library from the command line.

`from-resume FILE` drafts a story per impact bullet of a resume (copilot/practice/resume.py), each saved as
a new file (never over an existing one), or only printed with --dry-run.

Follows the command line contract in DESIGN.md: with --json, one JSON object per line on stdout and
each failure as an object with an "error" field; exit 0 on success, 1 when some input failed (every
failure is still reported), 2 on bad usage; errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from copilot.cli.errors import run_guarded
from copilot.config.paths import stories_dir
from copilot.errors import InputFileError, UsageError, UserError
from copilot.stories.coach import coach, score, summary
from copilot.stories.library import LibraryLoad, export_stories, import_stories, load_library, new_story_file
from copilot.stories.model import Story
from copilot.stories.parse import load_story
from copilot.stories.write import render_story

Handler = Callable[[argparse.Namespace], int]


class Output:
    """Where results and errors go: text for people, or JSON lines for scripts."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def record(self, obj: dict[str, Any], text: str) -> None:
        print(_json_line(obj) if self.as_json else text)

    def error(self, message: str, **fields: Any) -> None:
        if self.as_json:
            print(_json_line({**fields, "error": message}))
        else:
            print(f"copilot: {message}", file=sys.stderr)


def _json_line(obj: dict[str, Any]) -> str:
    # default=str: paths, and dates that YAML reads from unknown front-matter keys.
    return json.dumps(obj, ensure_ascii=False, default=str)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stories = subparsers.add_parser(
        "stories",
        help="your STAR story library: list, show, new, lint, import, export",
        description="Manage the STAR stories the copilot draws on (one Markdown file per story).",
    )
    stories.set_defaults(func=functools.partial(_missing_subcommand, stories))
    sub = stories.add_subparsers(title="commands", metavar="{list,show,new,lint,import,export}")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--dir", metavar="DIR", help="the story folder (default: $COPILOT_STORIES_DIR, else your data folder)"
    )
    common.add_argument("--json", action="store_true", help="print one JSON object per line")

    p = sub.add_parser("list", parents=[common], help="list the stories")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", parents=[common], help="print one story")
    p.add_argument("story", metavar="ID_OR_FILE")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("new", parents=[common], help="create a story file from the template and print its path")
    p.add_argument("--title", required=True)
    p.add_argument("--competency", action="append", default=[], metavar="NAME", help="repeat for several")
    p.add_argument("--role", help="your role at the time, e.g. 'ML Engineer, e-commerce'")
    p.add_argument("--year", type=int)
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("lint", parents=[common], help="coaching findings per story")
    p.add_argument("stories", nargs="*", metavar="ID_OR_FILE", help="default: every story in the folder")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("import", parents=[common], help="copy stories in from .md files, folders or .zip archives")
    p.add_argument("sources", nargs="+", metavar="SOURCE")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", parents=[common], help="copy every story to a .zip archive or a folder")
    p.add_argument("dest", metavar="DEST", help="a path ending in .zip, or a folder")
    p.set_defaults(func=cmd_export)

    _add_from_resume(sub, common)  # resume -> draft stories (issue 14)


def _missing_subcommand(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    parser.print_usage(sys.stderr)
    print("copilot stories: error: choose a command: list, show, new, lint, import or export", file=sys.stderr)
    return 2


def _handler(fn: Callable[[argparse.Namespace, Output], int]) -> Handler:
    """Turn user errors into one reported line and their exit code (2 for usage, else 1)."""

    @functools.wraps(fn)
    def run(args: argparse.Namespace) -> int:
        out = Output(getattr(args, "json", False))
        try:
            return fn(args, out)
        except UserError as exc:
            out.error(str(exc))
            return exc.exit_code
        except BrokenPipeError:
            raise  # `| head` closed stdout: copilot.cli.main.main handles that quietly
        except OSError as exc:  # e.g. a folder we may not read: still one line, never a traceback
            out.error(f"{exc.filename or 'file'}: {exc.strerror or exc}")
            return 1

    return run


def _story_dict(story: Story) -> dict[str, Any]:
    return {
        "id": story.id,
        "title": story.title,
        "competencies": list(story.competencies),
        "role": story.role,
        "year": story.year,
        "path": story.path,
    }


def _report_load_errors(library: LibraryLoad, out: Output) -> int:
    for problem in library.errors:
        out.error(problem.message, path=problem.path)
    return 1 if library.errors else 0


@_handler
def cmd_list(args: argparse.Namespace, out: Output) -> int:
    folder = stories_dir(args.dir)
    library = load_library(folder)
    width = max((len(s.id) for s in library.stories), default=0)
    for story in library.stories:
        tags = f"  [{', '.join(story.competencies)}]" if story.competencies else ""
        out.record(_story_dict(story), f"{story.id:<{width}}  {story.title}{tags}")
    if not library.stories and not library.errors and not out.as_json:
        print(f"no stories in {folder}: create one with 'copilot stories new --title ...'", file=sys.stderr)
    return _report_load_errors(library, out)


def _find(ref: str, folder: Path) -> Story:
    """A story by file path (when such a .md file exists) or by id in the library."""
    path = Path(ref)
    if path.suffix.lower() == ".md" and path.is_file():
        return load_story(path)
    story = load_library(folder).get(ref)
    if story is None:
        raise InputFileError(folder, f"no story with id '{ref}' (see 'copilot stories list')")
    return story


@_handler
def cmd_show(args: argparse.Namespace, out: Output) -> int:
    story = _find(args.story, stories_dir(args.dir))
    record = {**_story_dict(story), "extra": story.extra, "sections": story.sections}
    text = render_story(story)
    out.record(record, text.removesuffix("\n").removesuffix("\r"))
    return 0


@_handler
def cmd_new(args: argparse.Namespace, out: Output) -> int:
    if not args.title.strip():
        raise UsageError("--title is empty: give the story a one-line title")
    story = new_story_file(stories_dir(args.dir), args.title, args.competency, role=args.role, year=args.year)
    out.record({"id": story.id, "path": story.path}, str(story.path))
    return 0


@_handler
def cmd_lint(args: argparse.Namespace, out: Output) -> int:
    folder = stories_dir(args.dir)
    failed = 0
    if args.stories:
        stories = []
        for ref in args.stories:
            try:
                stories.append(_find(ref, folder))
            except UserError as exc:
                out.error(str(exc), story=ref)
                failed = 1
    else:
        library = load_library(folder)
        stories = list(library.stories)
        failed = _report_load_errors(library, out)
    for story in stories:
        _print_findings(story, out)
    return failed


def _print_findings(story: Story, out: Output) -> None:
    findings = coach(story)
    record = {
        "id": story.id,
        "path": story.path,
        "score": score(findings),
        "summary": summary(findings),
        "findings": [asdict(f) for f in findings],
    }
    lines = [f"{story.id}: {summary(findings)} (score {score(findings)})"]
    lines += [f"  {f.severity:<8} {f.message}" for f in findings]
    out.record(record, "\n".join(lines))


@_handler
def cmd_import(args: argparse.Namespace, out: Output) -> int:
    folder = stories_dir(args.dir)
    report = import_stories([Path(s) for s in args.sources], folder)
    for item in report.imported:
        record = {"source": item.source, "path": item.path, "id": item.id, "renamed_from": item.renamed_from}
        renamed = f" as '{item.id}' ('{item.renamed_from}' was taken)" if item.renamed_from else ""
        out.record(record, f"imported {item.source}{renamed} -> {item.path}")
    for skip in report.skipped:
        if skip.error:
            out.error(skip.reason, source=skip.source)
        else:
            out.record({"source": skip.source, "skipped": skip.reason}, f"skipped {skip.reason}")
    harmless = len(report.skipped) - len(report.failed)
    if out.as_json:  # the same summary in-band, so a script sees the whole outcome
        summary = {"imported": len(report.imported), "skipped": harmless, "failed": len(report.failed)}
        print(_json_line({"summary": summary, "library": folder}))
    else:
        counts = f"{len(report.imported)} imported, {harmless} skipped, {len(report.failed)} failed"
        print(f"{counts} (library: {folder})", file=sys.stderr)
    return 1 if report.failed else 0


@_handler
def cmd_export(args: argparse.Namespace, out: Output) -> int:
    report = export_stories(stories_dir(args.dir), Path(args.dest))
    for path in report.exported:
        out.record({"path": path, "dest": report.dest}, f"exported {path}")
    for problem in report.errors:
        out.error(problem.message, path=problem.path)
    if not out.as_json:
        print(f"{len(report.exported)} stories exported to {report.dest}", file=sys.stderr)
    return 1 if report.errors else 0


# `stories from-resume`


def _add_from_resume(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "from-resume", parents=[common], help="draft a story per impact bullet of a resume (PDF, DOCX, Markdown, text)"
    )
    p.add_argument("resume", metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="print the drafts, save nothing")
    p.add_argument(
        "--job", metavar="AD", help="a job ad (text file): show which of its requirements the resume and stories cover"
    )
    p.set_defaults(func=run_from_resume)


def run_from_resume(args: argparse.Namespace) -> int:
    return run_guarded(args, _from_resume)


def _from_resume(args: argparse.Namespace) -> int:
    from copilot.config.paths import stories_dir
    from copilot.practice.resume import draft_from_bullet, impact_bullets, read_resume, unfilled_sections

    path = Path(args.resume)
    bullets = impact_bullets(read_resume(path))
    if not bullets:
        raise UserError(f"{path}: no impact bullets found (lines starting with '-' or '•' that say what you did)")
    folder = Path(args.dir) if args.dir else stories_dir()
    if args.job:
        return _job_coverage(args, Path(args.job), read_resume(path), folder)
    for bullet in bullets:
        draft = draft_from_bullet(bullet)
        saved = None if args.dry_run else _save_draft(draft, folder)
        to_fill = unfilled_sections(draft)
        record: dict[str, Any] = {
            "id": saved.id if saved else draft.id,
            "path": str(saved.path) if saved else None,
            "title": draft.title,
            "bullet": bullet.text,
            "to_fill": to_fill,
        }
        if args.json:
            print(json.dumps(record, ensure_ascii=False))
        else:
            where = record["path"] or "(not saved: --dry-run)"
            print(f"{draft.title}\n  {where}\n  to fill: {', '.join(to_fill) or '-'}")
    return 0


def _job_coverage(args: argparse.Namespace, ad: Path, resume: str, folder: Path) -> int:
    from dataclasses import asdict

    from copilot.errors import InputFileError
    from copilot.practice.resume import resume_coverage
    from copilot.stories.library import load_library

    try:
        job_text = ad.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(ad, "cannot be read as UTF-8 text; save the job ad as a .txt file") from exc
    stories = load_library(folder).stories if folder.is_dir() else []
    requirements = resume_coverage(job_text, resume, stories)
    if not requirements:
        raise UserError(f"{ad}: no competency found in the job ad; is it the ad's text?")
    for r in requirements:
        if args.json:
            print(json.dumps(asdict(r), ensure_ascii=False))
        else:
            resume_says = f'resume: "{r.resume}"' if r.resume else "resume: not shown"
            stories_say = f"stories: {', '.join(r.stories)}" if r.stories else "stories: none"
            print(f'{r.id} (asked as "{r.asked}"): {resume_says}; {stories_say}')
    return 0


def _save_draft(draft: Any, folder: Path) -> Any:
    """Under a free name: save_story writes atomically and never overwrites another file."""
    from copilot.stories.library import load_library
    from copilot.stories.write import save_story

    folder.mkdir(parents=True, exist_ok=True)
    taken = {s.id for s in load_library(folder).stories}
    stem, n = draft.id, 2
    while stem in taken or (folder / f"{stem}.md").exists():
        stem, n = f"{draft.id}-{n}", n + 1
    return save_story(replace(draft, id=stem), folder / f"{stem}.md")
