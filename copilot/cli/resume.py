"""`copilot stories from-resume FILE`: a draft story per impact bullet of a resume (copilot/practice/resume.py).

Each draft is saved as a new file in the story folder (never over an existing one), or only printed
with --dry-run. With --json, one object per draft: its id, path, title and the sections left to fill.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from copilot.cli.errors import run_guarded
from copilot.errors import UserError


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
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
        saved = None if args.dry_run else _save(draft, folder)
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


def _save(draft: Any, folder: Path) -> Any:
    """Under a free name: save_story writes atomically and never overwrites another file."""
    from copilot.stories.library import load_library
    from copilot.stories.write import save_story

    folder.mkdir(parents=True, exist_ok=True)
    taken = {s.id for s in load_library(folder).stories}
    stem, n = draft.id, 2
    while stem in taken or (folder / f"{stem}.md").exists():
        stem, n = f"{draft.id}-{n}", n + 1
    return save_story(replace(draft, id=stem), folder / f"{stem}.md")
