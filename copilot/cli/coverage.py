"""`copilot coverage JD_FILE|- [--stories DIR] [--json]`: what a job description asks for, and which of
it your stories and the topic cards already cover.

Follows the command line contract in DESIGN.md: exit 0 on success, 1 when the input failed (one line
naming the file, no traceback; with --json a JSON line with an "error" field), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from copilot.cli.errors import run_single
from copilot.errors import InputFileError

MAX_JD_BYTES = 1_000_000  # a job description is a page or two; anything bigger is the wrong file


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "coverage",
        help="which competencies and topics a job description asks for, and which your stories cover",
    )
    p.add_argument("jd", metavar="JD_FILE", help="the job description as a text file, or - to read stdin")
    p.add_argument("--stories", metavar="DIR", help="story folder (default: $COPILOT_STORIES_DIR or your data folder)")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(func=run_coverage)


def run_coverage(args: argparse.Namespace) -> int:
    return run_single(args, _coverage, _print_human)


def _coverage(args: argparse.Namespace) -> dict[str, Any]:
    from copilot.adapters.embedding import OnnxEmbedder
    from copilot.config import models
    from copilot.config.settings import load_settings
    from copilot.pipeline import knowledge
    from copilot.practice.coverage import jd_coverage

    # Read the inputs before loading the model, so a wrong file fails in a moment.
    text = read_jd(args.jd)
    folder, stories = _stories(args.stories)
    settings = load_settings()
    embedder = OnnxEmbedder(
        models.embedding_model(settings.models.embedding).path,
        models.embedding_tokenizer().path,
        threads=settings.models.cpu_threads,
    )
    result = jd_coverage(text, stories, knowledge.topics(), embedder).to_dict()
    result["stories_folder"] = str(folder)
    return result


def read_jd(name: str) -> str:
    """The job description's text; a missing, unreadable, binary or empty file is a one-line error."""
    label = "standard input" if name == "-" else name
    try:
        data = sys.stdin.buffer.read(MAX_JD_BYTES + 1) if name == "-" else _read_file(Path(name))
    except OSError as exc:
        raise InputFileError(label, f"cannot be read ({exc.strerror or exc})") from exc
    if len(data) > MAX_JD_BYTES:
        raise InputFileError(label, "is over 1 MB; give the job description as plain text")
    # A NUL byte never appears in text; it is the quickest sign of a PDF, image or archive.
    if b"\0" in data:
        raise InputFileError(label, "is a binary file, not text; save the job description as plain text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(label, "is not UTF-8 text; save the job description as plain text (UTF-8)") from exc
    if not text.strip():
        raise InputFileError(label, "is empty; paste the job description into it")
    return text


def _read_file(path: Path) -> bytes:
    if not path.exists():
        raise InputFileError(path, "no such file")
    if path.is_dir():
        raise InputFileError(path, "is a folder, not a text file")
    with open(path, "rb") as handle:
        return handle.read(MAX_JD_BYTES + 1)


def _stories(option: str | None) -> tuple[Path, list[Any]]:
    from copilot.config import paths
    from copilot.stories.library import load_library

    folder = paths.stories_dir(option)
    if not folder.is_dir():
        if option is not None:
            raise InputFileError(folder, "no such story folder")
        # No library yet (first run): judge against the examples the app would seed it with.
        folder = paths.example_stories_dir()
        print(f"copilot: no story library yet; using the example stories in {folder}", file=sys.stderr)
    loaded = load_library(folder)
    for problem in loaded.errors:
        print(f"copilot: skipped {problem}", file=sys.stderr)
    return folder, list(loaded.stories)


def _print_human(r: dict[str, Any]) -> None:
    competencies = r["competencies"]
    if not competencies and not r["topics"]:
        print("Nothing in this job description matched the competency vocabulary or the topic cards.")
        return
    print("Competencies asked for:")
    for c in competencies:
        mark = "covered" if c["covered"] else "MISSING"
        where = ", ".join(c["stories"]) or "no story tagged with it"
        print(f'  [{mark}] {c["id"]} ("{c["evidence"]}"): {where}')
    print("Topics asked for (a topic card covers each):")
    for t in r["topics"]:
        extra = f"; stories: {', '.join(t['stories'])}" if t["stories"] else ""
        print(f"  {t['id']} ({t['score']:.2f}): {t['title']}{extra}")
    if not r["topics"]:
        print("  none")
    gaps = r["missing"]
    print(f"Missing stories for: {', '.join(gaps)}" if gaps else "Every competency asked for has a story.")
