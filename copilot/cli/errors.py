"""How every command reports a user error (DESIGN.md contract): one line on stderr, never a traceback,
and with --json also an object with an `error` field on stdout, so scripts see the failure in-band."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from copilot.errors import UserError


def report_error(message: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"error": message}, ensure_ascii=False), flush=True)
    print(f"copilot: {message}", file=sys.stderr)


def run_guarded(args: Any, body: Callable[[Any], int | None]) -> int:
    """Run a command's body: its exit code (0 when it returns none), or a user error reported."""
    try:
        return int(body(args) or 0)
    except UserError as exc:
        report_error(str(exc), args.json)
        return exc.exit_code


def run_single(
    args: Any, compute: Callable[[Any], dict[str, Any]], print_human: Callable[[dict[str, Any]], None]
) -> int:
    """Run a command that produces one result: print it as JSON or for a person; report a user error."""
    try:
        result = compute(args)
    except UserError as exc:
        report_error(str(exc), args.json)
        return exc.exit_code
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print_human(result)
    return 0
