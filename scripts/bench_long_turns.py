"""The long-turn bench (issue 12): `python scripts/bench_long_turns.py [DIR] [--half report|tune|all] [--runs N]`.

Builds the turns into DIR first if its manifest is missing (scripts/make_long_turns.py), then plays
each turn through the live path in real time, with a second (quiet) microphone source running, and
prints one JSON object per turn and a summary: question_detected_ms, cards_ms, first_bullet_ms,
partial_lag_ms (p50/p95), the word error rate of the final question text against the script and of
one plain full-window faster-whisper transcription, the repeated 4-gram rate, dropped frames and the
load average. Quote the "report" half; the "tune" half is for trying changes on.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from copilot.composition import open_core
from copilot.config.settings import Settings
from copilot.errors import UserError
from copilot.live.bench import long_bench
from copilot.live.long_turns import MANIFEST, build


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="build/long_turns")
    parser.add_argument("--half", choices=("report", "tune", "all"), default="report")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--stories", default="personal_stories")
    args = parser.parse_args()
    folder = Path(args.folder)
    halves = ("tune", "report") if args.half == "all" else (args.half,)
    try:
        if not (folder / MANIFEST).exists():
            build(folder)
        core = open_core(Settings(), args.stories)
        try:
            result = long_bench(core, folder, args.runs, lambda row: print(json.dumps(row), flush=True), halves)
        finally:
            core.close()
    except UserError as exc:
        print(f"bench_long_turns: {exc}", file=sys.stderr)
        return 1
    return 0 if result["completed"] == result["runs"] else 1


if __name__ == "__main__":
    sys.exit(main())
