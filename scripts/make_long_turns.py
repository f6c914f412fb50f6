"""Build the long-turn bench's audio: `python scripts/make_long_turns.py [OUT_DIR]` (default build/long_turns).

The turns (scripts, voices, noise, think-pauses) are in copilot/live/long_turns.py; this writes one
16 kHz wav per turn and turns.json with the script of each. Needs espeak-ng and flite.
"""

from __future__ import annotations

import sys
from pathlib import Path

from copilot.errors import UserError
from copilot.live.long_turns import build

if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "build/long_turns")
    try:
        manifest = build(out)
    except UserError as exc:
        sys.exit(f"make_long_turns: {exc}")
    print(f"wrote {manifest}")
