"""Screenshots of the live window, replaying a synthetic interviewer turn through the real pipeline.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshots.py

Starts the app in this process under $DISPLAY with the example stories, replays a question made with
espeak-ng, waits until the replay is over and the bullets are on screen, and saves window grabs to
docs/screenshots/. It also prints how long the window took to appear and the GUI thread's longest
stall during the replay (a 10 ms timer records the gaps between its ticks), the figure that shows
whether any work leaked onto the GUI thread.
"""

from __future__ import annotations

import time

STARTED_AT = time.perf_counter()  # before Qt is imported: the start-up figure includes the imports

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from screenshot_common import EXAMPLE_STORIES, SHOTS, private_folders, speak  # noqa: E402

from copilot.events import INTERVIEWER  # noqa: E402
from ui.app import App, parse_args  # noqa: E402

QUESTION = "Tell me about a time you had to cut the cost of serving a model."
TICK_MS = 10
TIMEOUT_S = 180.0


class StallMeter:
    """Records the longest gap between ticks of a 10 ms timer on the GUI thread."""

    def __init__(self) -> None:
        self.longest_ms = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.longest_ms = 0.0
        self._timer.start(TICK_MS)

    def stop(self) -> None:
        self._timer.stop()

    def skip(self) -> None:
        """Forget the gap so far: our own grab() is not a stall of the app."""
        self._last = time.perf_counter()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest_ms = max(self.longest_ms, (now - self._last) * 1000 - TICK_MS)
        self._last = now


class Shooter:
    """Polls the view model (on the GUI thread, like everything else here) and takes the grabs."""

    def __init__(self, app: App, out_dir: Path, stall: StallMeter) -> None:
        self.app, self.out_dir, self.stall = app, out_dir, stall
        self.deadline = time.monotonic() + TIMEOUT_S
        self.replay_seen = False
        self.partial_shot = False
        self.shot = False  # the poll keeps running while the second grab waits: shoot once
        self.ok = False
        self._poll = QTimer()
        self._poll.timeout.connect(self._check)
        self._poll.start(100)

    def _check(self) -> None:
        model = self.app.model
        if not self.replay_seen and model.status.startswith("replaying"):
            self.replay_seen = True
            self.stall.start()
        if not self.partial_shot and any(not line.is_final for line in model.lanes[INTERVIEWER].lines):
            self.partial_shot = True  # the interviewer mid-sentence: partial text in grey italics
            self._save("live-listening.png")
        finished = self.replay_seen and model.status.startswith(("finished", "stopped"))
        if finished and model.bullets.bullets and not self.shot:
            self.shot = True
            self._poll.stop()
            self._shoot()
        elif time.monotonic() > self.deadline or model.status == "models not loaded":
            print(f"timed out; status: {model.status}; errors: {model.errors}", file=sys.stderr)
            self._done()

    def _shoot(self) -> None:
        self.stall.stop()
        self._save("live.png")
        stories = self.app.model.cards.stories
        if stories:
            self.app.model.toggle_story(stories[0].id)  # the expanded STAR story, for the second shot
            QTimer.singleShot(300, self._shoot_expanded)
        else:
            self._finish()

    def _shoot_expanded(self) -> None:
        self._save("live-story.png")
        self._finish()

    def _save(self, name: str) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.app.window.grab().save(str(self.out_dir / name))
        self.stall.skip()

    def _finish(self) -> None:
        self.ok = True
        model = self.app.model
        print(f"question: {model.question.text if model.question else None}")
        print(f"type: {model.question.question_type if model.question else None}")
        print(f"bullets ({model.bullets.source}): {list(model.bullets.bullets)}")
        print(f"latency: {model.latency_ms}")
        print(f"errors: {model.errors}")
        self._done()

    def _done(self) -> None:
        self._poll.stop()
        self.app.window.close()  # stops the session and closes the core, then quits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(SHOTS))
    parser.add_argument("--no-llm", action="store_true")
    parser.add_argument("--turn", help="replay this recording instead of the spoken question (e.g. a 60 s turn)")
    options = parser.parse_args()
    os.environ.setdefault("COPILOT_STORIES_DIR", str(EXAMPLE_STORIES))
    if not options.no_llm:  # the stall is measured with the rewrite on, which the settings leave off
        os.environ.setdefault("COPILOT_LLM_BACKEND", "llama_cpp")
    qt_app = QApplication([])
    qt_app.setQuitOnLastWindowClosed(False)
    with tempfile.TemporaryDirectory() as tmp:
        # A private data folder: the story index has one owning process, and the user's own app (or
        # another run) may hold theirs. The example stories are indexed afresh in a few seconds.
        private_folders(tmp, "data")
        turn = Path(options.turn) if options.turn else speak(QUESTION, Path(tmp) / "turn.wav")
        argv = ["--replay", str(turn), "--stories", os.environ["COPILOT_STORIES_DIR"]]
        args = parse_args(argv + (["--no-llm"] if options.no_llm else []))
        app = App(args, STARTED_AT)
        print(f"window shown {app.window_shown_s * 1000:.0f} ms after start")
        stall = StallMeter()
        shooter = Shooter(app, Path(options.out), stall)
        qt_app.exec()
    print(f"longest GUI-thread stall during the replay: {stall.longest_ms:.1f} ms (beyond the {TICK_MS} ms tick)")
    if shooter.ok:
        print(f"saved live.png, live-story.png and live-listening.png in {options.out}")
    return 0 if shooter.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
