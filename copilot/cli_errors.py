"""How every command reports a user error (DESIGN.md contract): one line on stderr, never a traceback,
and with --json also an object with an `error` field on stdout, so scripts see the failure in-band."""

from __future__ import annotations

import json
import sys


def report_error(message: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"error": message}, ensure_ascii=False), flush=True)
    print(f"copilot: {message}", file=sys.stderr)
