"""`copilot history list|show|export|delete`: stored sessions from the command line.

Follows the command line contract in DESIGN.md: with --json, one JSON object per line and errors as
objects with an "error" field; exit 0 on success, 1 when something failed, 2 on bad usage; errors are
one line, never a traceback. The history is data_dir()/history.sqlite3 (see copilot.history.store).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from copilot.errors import UsageError, UserError
from copilot.history.report import FORMATS, export, to_markdown
from copilot.history.store import HistoryStore, Session, SessionSummary, open_default_store

Handler = Callable[[argparse.Namespace], int]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    history = subparsers.add_parser(
        "history",
        help="your recorded sessions: list, show, export, delete",
        description="Sessions stored on this machine, encrypted with a key kept in the system keychain.",
    )
    history.set_defaults(func=functools.partial(_missing_subcommand, history))
    sub = history.add_subparsers(title="commands", metavar="{list,show,export,delete}")

    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON objects, one per line")

    p = sub.add_parser("list", parents=[as_json], help="list the stored sessions")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", parents=[as_json], help="print one session (Markdown, or JSON with --json)")
    p.add_argument("id", type=int, metavar="ID")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("export", parents=[as_json], help="write one session as a Markdown or HTML report")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--format", choices=FORMATS, help="default: from the --out suffix (.md, .html)")
    p.add_argument("--out", required=True, metavar="FILE")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("delete", parents=[as_json], help="delete one session for good")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_delete)


def _missing_subcommand(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    parser.print_usage(sys.stderr)
    print("copilot history: error: choose a command: list, show, export or delete", file=sys.stderr)
    return 2


def _json_line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def _handler(fn: Callable[[argparse.Namespace, HistoryStore], int]) -> Handler:
    """Open the history, run the command, and turn user errors into one line and their exit code."""

    @functools.wraps(fn)
    def run(args: argparse.Namespace) -> int:
        try:
            with open_default_store() as store:
                if store.notice:
                    print(f"copilot: {store.notice}", file=sys.stderr)
                return fn(args, store)
        except UserError as exc:
            if getattr(args, "json", False):
                print(_json_line({"error": str(exc)}))
            else:
                print(f"copilot: {exc}", file=sys.stderr)
            return exc.exit_code

    return run


def _summary_dict(s: SessionSummary) -> dict[str, Any]:
    return {**asdict(s), "questions": s.questions}


def _summary_line(s: SessionSummary) -> str:
    ended = s.ended_at or "unfinished"
    items = sum(s.item_counts.values())
    questions = s.questions + s.item_counts.get("mock_answer", 0)  # a mock records its questions as answers
    return f"{s.id:>4}  {s.kind:<9}  {s.started_at}  {ended:<29}  {questions} questions, {items} items"


@_handler
def cmd_list(args: argparse.Namespace, store: HistoryStore) -> int:
    sessions = store.list_sessions()
    for s in sessions:
        print(_json_line(_summary_dict(s)) if args.json else _summary_line(s))
    if not sessions and not args.json:
        print("no sessions recorded yet", file=sys.stderr)
    return 0


def _session_dict(session: Session) -> dict[str, Any]:
    return asdict(session)


@_handler
def cmd_show(args: argparse.Namespace, store: HistoryStore) -> int:
    session = store.load_session(args.id)
    if args.json:
        print(_json_line(_session_dict(session)))
    else:
        sys.stdout.write(to_markdown(session))
    return 0


def _format_for(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    suffix = Path(args.out).suffix.lower()
    if suffix in {".md", ".markdown"}:
        return "md"
    if suffix in {".html", ".htm"}:
        return "html"
    raise UsageError(f"{args.out}: add --format md or --format html (the suffix does not say which)")


@_handler
def cmd_export(args: argparse.Namespace, store: HistoryStore) -> int:
    fmt = _format_for(args)
    out = export(store.load_session(args.id), fmt, Path(args.out).expanduser())
    print(_json_line({"id": args.id, "format": fmt, "path": str(out)}) if args.json else out)
    return 0


def _confirmed(summary: SessionSummary) -> bool:
    if not sys.stdin.isatty():
        # A script that forgot --yes must not hang on a prompt, nor delete by default.
        raise UsageError(f"add --yes to delete session {summary.id} without a prompt")
    answer = input(f"Delete {summary.kind} session {summary.id} from {summary.started_at} for good? [y/N] ")
    return answer.strip().lower() in {"y", "yes"}


@_handler
def cmd_delete(args: argparse.Namespace, store: HistoryStore) -> int:
    summary = next((s for s in store.list_sessions() if s.id == args.id), None)
    if summary is None:
        raise UserError(f"there is no session {args.id} in the history at {store.path}")
    if not args.yes and not _confirmed(summary):
        print("nothing deleted", file=sys.stderr)
        return 1
    store.delete_session(args.id)
    print(_json_line({"id": args.id, "deleted": True}) if args.json else f"deleted session {args.id}")
    return 0
