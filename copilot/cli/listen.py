"""`copilot listen`: the live copilot in the terminal (transcripts, questions, cards, bullets)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

LAST_REWRITE_WAIT_S = 60.0  # a replay that ended waits this long for the model's last rewrite
HISTORY_CLOSE_S = 10.0  # and this long for the session history to be written and closed


def register(sub: Any, settings_for: Any, progress: Any) -> None:
    """`settings_for(args)` and `progress(args)` come from copilot/cli/main.py (shared with bench)."""
    p = sub.add_parser("listen", help="the live copilot in the terminal: transcripts, questions, cards, bullets")
    p.add_argument("--system", metavar="DEVICE", help="system-audio source (default: the monitor of your output)")
    p.add_argument("--mic", metavar="DEVICE", help="microphone (default: the system default)")
    p.add_argument("--no-mic", action="store_true", help="interviewer only")
    p.add_argument("--file", metavar="AUDIO", help="replay a recording as the interviewer, in real time")
    p.add_argument("--stories", metavar="DIR")
    p.add_argument("--no-llm", action="store_true")
    p.add_argument("--json", action="store_true", help="one JSON object per event")
    p.set_defaults(func=lambda args: run_listen(args, settings_for(args), progress(args)))


def run_listen(args: argparse.Namespace, settings: Any, progress: Any) -> int:
    from copilot.composition import open_core
    from copilot.history.session import SessionRecorder
    from copilot.live.wiring import LiveInput, open_live_session

    listen_to = LiveInput(replay=args.file, system=args.system, microphone=args.mic, with_microphone=not args.no_mic)
    if args.file is not None:
        from copilot.audio.decode import check_readable

        check_readable(args.file)  # a bad file is named now, not after the models have loaded
    core = open_core(settings, args.stories, progress=progress)
    history = SessionRecorder("live")
    try:
        session = open_live_session(core, listen_to.open, _printer(args.json), history=history)
        print("copilot: listening; press Ctrl-C to stop", file=sys.stderr)
        try:
            while not session.all_ended.wait(0.5):
                pass
            session.answerer.wait_idle(LAST_REWRITE_WAIT_S)  # let the last rewrite print
        except KeyboardInterrupt:
            pass
        finally:
            session.stop()
    finally:
        history.close()  # after stop(): every event of the session is recorded before the end
        history.wait(HISTORY_CLOSE_S)
        core.close()
    return 0


def _printer(as_json: bool) -> Any:
    from copilot.live.report import event_line, event_record

    def show(event: object) -> None:
        if as_json:
            record = event_record(event)
            if record is not None:
                print(json.dumps(record), flush=True)
        elif (line := event_line(event)) is not None:
            print(line, flush=True)

    return show
