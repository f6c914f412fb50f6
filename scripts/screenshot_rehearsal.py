"""Screenshot of the rehearsal room with the real core: a typed question's cards and an answer's feedback.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshot_rehearsal.py

Loads the core (no generator) on the example stories with a private data and cache folder, types the
question, shows its cards, answers it with a file spoken by espeak-ng, waits for the feedback and
saves docs/screenshots/rehearsal.png.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from screenshot_common import EXAMPLE_STORIES, SHOTS, application, grab_when_ready, private_folders, speak

OUT = SHOTS / "rehearsal.png"
QUESTION = "Tell me about a time you had to cut the cost of serving a model."
ANSWER = (
    "At my last company our intent classifier was too expensive. I chose to distill it because the GPUs "
    "were only 25 percent utilised. As a result monthly cost fell from 38000 dollars to 9000."
)
TIMEOUT_S = 300


def main() -> int:
    application()
    with tempfile.TemporaryDirectory() as tmp:
        private_folders(tmp, "data", "cache")
        answer = speak(ANSWER, Path(tmp) / "ans.wav")

        from copilot.composition import open_core
        from copilot.config.settings import Settings
        from ui.practice.rehearsal_window import RehearsalWindow

        core = open_core(Settings(), str(EXAMPLE_STORIES), with_generator=False, progress=print)
        window = RehearsalWindow(core)
        window.resize(1360, 860)
        window.show()
        window.use_typed_question(QUESTION)
        window.show_cards()
        state = {"answered": False}

        def step() -> bool:
            if window.is_busy("cards") or window.is_busy("feedback"):
                return False
            if not state["answered"] and window.card_titles():
                state["answered"] = True
                window.use_answer_file(answer)
                return False
            return state["answered"] and bool(window.transcript_view.toPlainText())

        return grab_when_ready(window, OUT, step, TIMEOUT_S, after=core.close)


if __name__ == "__main__":
    raise SystemExit(main())
