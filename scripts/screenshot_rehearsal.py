"""Screenshot of the rehearsal room with the real core: a typed question's cards and an answer's feedback.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshot_rehearsal.py

Loads the core (no generator) on the example stories with a private data and cache folder, types the
question, shows its cards, answers it with a file spoken by espeak-ng, waits for the feedback and
saves docs/screenshots/rehearsal.png.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

OUT = REPO / "docs" / "screenshots" / "rehearsal.png"
QUESTION = "Tell me about a time you had to cut the cost of serving a model."
ANSWER = (
    "At my last company our intent classifier was too expensive. I chose to distill it because the GPUs "
    "were only 25 percent utilised. As a result monthly cost fell from 38000 dollars to 9000."
)
TIMEOUT_S = 300


def main() -> int:
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["COPILOT_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["COPILOT_CACHE_DIR"] = str(Path(tmp) / "cache")
        answer = Path(tmp) / "ans.wav"
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(answer), ANSWER], check=True)

        from copilot.composition import open_core
        from copilot.config import Settings
        from ui.rehearsal_window import RehearsalWindow

        core = open_core(Settings(), str(REPO / "personal_stories"), with_generator=False, progress=print)
        window = RehearsalWindow(core)
        window.resize(1360, 860)
        window.show()
        window.use_typed_question(QUESTION)
        window.show_cards()
        started = time.monotonic()
        state = {"answered": False, "ok": False}

        def poll() -> None:
            if time.monotonic() - started > TIMEOUT_S or window.banner.isVisible():
                print("failed:", window.banner.label.text() or "timed out")
                timer.stop()
                app.exit(1)
            elif window.is_busy("cards") or window.is_busy("feedback"):
                return
            elif not state["answered"] and window.card_titles():
                state["answered"] = True
                window.use_answer_file(answer)
            elif state["answered"] and window.transcript_view.toPlainText():
                timer.stop()
                QTimer.singleShot(300, grab)

        def grab() -> None:
            OUT.parent.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(OUT))
            print(f"saved {OUT} ({window.width()}x{window.height()})")
            state["ok"] = True
            app.exit(0)

        timer = QTimer()
        timer.timeout.connect(poll)
        timer.start(100)
        code = app.exec()
        window.close()
        core.close()
    return code if state["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
