"""Screenshot of the drill window with the real core: a 2-question drill from a folder of recorded
questions, answered with recorded answers, at its summary.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshot_drill.py

Loads the core (no generator) on the example stories with a private data and cache folder. The score
book starts with a few scores from earlier drills (written here, so the "By type" table shows how the
weights work); the questions and the answers are spoken by espeak-ng, the questions are transcribed
and classified by the app as a user's own recordings would be. Saves docs/screenshots/drill.png.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from screenshot_common import EXAMPLE_STORIES, SHOTS, application, grab_when_ready, private_folders, speak

OUT = SHOTS / "drill.png"
QUESTIONS = {
    "q1.wav": "Tell me about a time you disagreed with your manager.",
    "q2.wav": "What is the difference between L1 and L2 regularization?",
}
ANSWERS = {
    "behavioral": (
        "At my last company my manager wanted to launch a new credit model to everyone at once. "
        "I was worried about calibration, so I proposed a shadow launch for two weeks. "
        "I wrote a one page plan and showed him the risk in dollars. "
        "As a result we caught a calibration bug that would have cost 200 thousand dollars."
    ),
    "technical": (
        "Both add a penalty on the weights to the loss. L1 uses the absolute values and drives some weights "
        "to exactly zero, so it also selects features."
    ),
}
EARLIER = {"behavioral": [0.55, 0.62], "technical": [0.8], "system_design": [0.35, 0.42], "coding": [0.7]}
TIMEOUT_S = 300


def main() -> int:
    application()
    with tempfile.TemporaryDirectory() as tmp:
        private_folders(tmp, "data", "cache")
        folder = Path(tmp) / "my questions"
        folder.mkdir()
        for name, text in QUESTIONS.items():
            speak(text, folder / name)
        answers = {kind: speak(text, Path(tmp) / f"{kind}.wav") for kind, text in ANSWERS.items()}

        from copilot.composition import open_core
        from copilot.config.settings import Settings
        from copilot.practice.drill import ScoreBook
        from ui.practice.drill_window import DrillWindow

        book = ScoreBook.default()
        for kind, scores in EARLIER.items():
            for score in scores:
                book.add(kind, score)
        book.save()
        core = open_core(Settings(), str(EXAMPLE_STORIES), with_generator=False, progress=print)
        window = DrillWindow(core, book=book, probe=lambda: ("no microphone here", "no audio output here"), seed=2)
        window.resize(1360, 860)
        window.show()
        window.count_spin.setValue(2)
        window.set_recordings_folder(folder)
        window.start_drill()

        def step() -> bool:
            session = window.session
            if session is None or window.is_busy("answer") or window.is_busy("plan"):
                return False
            if session.done:
                return True
            if window.last_answer is not None:
                window.next_question()
            else:
                window.use_answer_file(answers[session.current.question_type])
            return False

        return grab_when_ready(window, OUT, step, TIMEOUT_S, after=core.close)


if __name__ == "__main__":
    raise SystemExit(main())
