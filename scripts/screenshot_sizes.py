"""Screenshots of every window at laptop sizes in both themes, without models (synthetic content).

    xvfb-run -a -s "-screen 0 1700x1100x24" .venv/bin/python scripts/screenshot_sizes.py \
        [--sizes 800 1024 1600] [--only live library rehearsal] [--out DIR]

Builds the live window (a question, its cards and bullets), the story library (the example stories),
the rehearsal room (cards and feedback), the drill (after a two-question drill), the session history
(two seeded sessions), the first-run settings check, a mock interview after its first answer and the
job-ad coverage (the real embedder), the way the app builds them, and saves
docs/screenshots/<window>.png (dark) and <window>-light.png at 1024x700, and with --sizes 800 1600
<window>-800.png, <window>-1600-light.png... (800x600, 1600x1000) beside them; --only picks windows.
--out DIR writes every grab as <window>-<size>[-light].png to DIR instead (to compare a change).
The pipeline screenshots (scripts/screenshots.py and the others) show the same windows on real models.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from screenshot_common import EXAMPLE_STORIES, SHOTS, application, private_folders

SIZES = {"800": (800, 600), "1024": (1024, 700), "1600": (1600, 1000)}  # a small laptop, a laptop, a desktop
QUESTION = "Tell me about a time you had to cut the cost of serving a model."


def live() -> Any:
    from copilot.events import CANDIDATE, INTERVIEWER, Bullets, CardsReady, Hit, Question, QuestionTyped, Transcript
    from copilot.pipeline import knowledge
    from copilot.stories.parse import load_story
    from ui.live.view_models import LiveViewModel
    from ui.live.window import LiveWindow

    window = LiveWindow(LiveViewModel())
    window.set_core_ready(True)
    model = window.model
    model.apply(Transcript(1, INTERVIEWER, QUESTION, True, 0.0, 3.2, latency_ms=480.0))
    model.apply(
        Transcript(
            2,
            CANDIDATE,
            "Sure. At my last company the intent classifier ran on eight GPUs…",
            True,
            4,
            9,
            latency_ms=500.0,
        )
    )
    question = Question(1, QUESTION, 3.2)
    model.apply(question)
    typed = QuestionTyped(question, "behavioral", 0.87, latency_ms=9.0)
    story = load_story(EXAMPLE_STORIES / "distilled-intent-classifier.md")
    framework = knowledge.frameworks()["behavioral"]
    hits = (Hit("framework", framework.id, framework.title, 1.0, framework),)
    model.apply(CardsReady(typed, hits, (Hit("story", story.id, story.title, 0.71, story),), (), latency_ms=31.0))
    bullets = (
        "Situation: the intent classifier cost $38,000 a month on eight GPUs",
        "Task: I owned cutting it without losing accuracy",
        "Action: I chose distillation over quantization, because the padding fix alone was free",
        "Result: $9,000 a month, p95 latency 140 ms to 38 ms",
    )
    model.apply(Bullets(1, bullets, "composer", True, latency_ms=2.0))
    model.set_status(f"ready · 10 stories from {EXAMPLE_STORIES}")
    return window


def library(tmp: Path) -> Any:
    import shutil

    from ui.library.model import LibraryModel
    from ui.library.window import LibraryWindow

    folder = tmp / "stories"
    shutil.copytree(EXAMPLE_STORIES, folder)
    model = LibraryModel(folder, trash_dir=tmp / "trash")
    model.reload()
    window = LibraryWindow(model, watch=False)
    window.story_list.setCurrentRow(1)
    return window


def rehearsal(tmp: Path) -> Any:
    from copilot.pipeline.knowledge import question_bank
    from copilot.practice.feedback import AnswerFeedback, Content, Delivery, StoryMatch
    from copilot.practice.rehearse import CardRef, RehearsalResult
    from ui.practice.rehearsal_window import RehearsalWindow

    window = RehearsalWindow(SimpleNamespace(transcriber=None), bank=list(question_bank()), probe=lambda: (None, None))
    window.select_bank_question(next(q.text for q in question_bank() if q.label == "behavioral"))
    window.render_cards(
        RehearsalResult(
            audio=None,
            transcript=window.question_label.text(),
            question=window.question_label.text(),
            preamble="",
            question_type="behavioral",
            type_confidence=0.91,
            frameworks=(CardRef("star", "STAR: decision, reasoning, outcome"),),
            stories=(
                CardRef("a", "Cut intent classifier serving cost by three quarters", 0.71),
                CardRef("b", "Pushed for a shadow launch of the new ranker", 0.49),
            ),
            topics=(),
            bullets=("Open with the $38k monthly bill", "Say why you chose distillation over quantization"),
            bullets_source="composer",
        )
    )
    delivery = Delivery(75.0, 180, 142.0, 2, 1.6, {"um": 2}, [], 0.9)
    checks = {"situation_heard": True, "task_heard": True, "action_heard": True}
    window.render_feedback(
        AnswerFeedback(
            question=window.question_label.text(),
            question_type="behavioral",
            transcript="At my last company the classifier cost $38,000 a month. I chose distillation because…",
            delivery=delivery,
            content=Content("behavioral", checks, {}, StoryMatch("a", "Cut intent classifier serving cost", 0.64)),
            suggestions=("Put a number on the result: what did the bill come down to?",),
        )
    )
    return window


def drill(tmp: Path) -> Any:
    import numpy as np

    from copilot.pipeline.knowledge import question_bank
    from copilot.practice.drill import DrillSession, ScoreBook, bank_questions
    from copilot.practice.feedback import AnswerFeedback, Content, Delivery
    from ui.practice.drill_window import DrillWindow

    def assess(question: Any, samples: Any) -> AnswerFeedback:
        good = question.question_type == "technical"
        return AnswerFeedback(
            question=question.text,
            question_type=question.question_type,
            transcript="Overfitting is when the model learns the noise of its training data…",
            delivery=Delivery(48.0, 120, 150.0, 1, 1.0, {"um": 1}, [], 0.7),
            content=Content(question.question_type, {"definition": True, "example": good, "limitation": good}),
            suggestions=() if good else ("Give a concrete example from your own work.",),
        )

    window = DrillWindow(
        SimpleNamespace(transcriber=None, classifier=None),
        book=ScoreBook(tmp / "scores.json"),
        bank=list(question_bank()),
        assess=assess,
        probe=lambda: ("No microphone in this screenshot", "No audio output in this screenshot"),
        seed=3,
    )
    window.set_types(["technical", "behavioral"])
    window.count_spin.setValue(2)
    candidates = bank_questions(question_bank(), ["technical", "behavioral"])
    window._drill_ready(
        DrillSession.start(candidates, 2, window.book, assess, seed=3, cover=["technical", "behavioral"])
    )
    for _ in range(2):
        session = window.session
        result = session.answer(np.ones(8000, dtype=np.float32))
        window._answered(session, result)
        window.next_question()
    return window


def history(tmp: Path) -> Any:
    from screenshot_history import seed

    from ui.history.window import HistoryWindow, ReportFiles

    private_folders(tmp, "data")  # a history of its own per theme: the two seeded sessions, not four
    seed()
    return HistoryWindow(open_url=lambda url: True, reports=ReportFiles())


def settings(tmp: Path) -> Any:
    from ui.settings.dialog import SettingsDialog

    report = {
        "platform": "Linux",
        "config_file": "~/.config/interview-copilot/config.toml",
        "models": [
            {"name": "speech-to-text", "found": True, "path": "tiny.en", "source": "package", "required": True},
            {"name": "embeddings", "found": True, "path": "all-MiniLM-L6-v2", "source": "package", "required": True},
            {"name": "llm", "found": True, "path": "SmolLM2-135M-Instruct", "source": "package", "required": False},
        ],
        "audio": {"backend": "sounddevice", "portaudio": "19.7", "input_devices": ["Built-in Microphone"]},
        "loopback": {"help": "Record the monitor of your output device.", "available": True},
    }
    devices = [{"name": "Built-in Microphone", "is_loopback_candidate": False}]
    return SettingsDialog(first_run=True, doctor=lambda: report, devices=lambda: devices)


MOCK_ANSWER = "We rebuilt the ranking pipeline and we moved it to a feature store. It was much faster after that."
JD = (
    "Senior ML Engineer. You will own features end to end, from data to production, and serve models "
    "with low latency. You will mentor junior engineers and run code reviews. Experience monitoring "
    "models in production and detecting data drift is a plus."
)


def mock(tmp: Path) -> Any:
    """A behavioral round after a vague answer: the follow-up asked and the first grades shown."""
    from ui.common.bridge import InlineExecutor, use_executor
    from ui.practice.mock_window import MockWindow

    use_executor(InlineExecutor())  # the window's jobs (speaking, grading) finish inside the call
    window = MockWindow(speak=lambda text: None, transcribe=lambda samples: (MOCK_ANSWER, 12.0), seed=3)
    window.role_box.setCurrentIndex(window.role_box.findData("ml_engineer"))
    window.level_box.setCurrentIndex(window.level_box.findData("senior"))
    window.rounds_box.setCurrentIndex(window.rounds_box.findData("behavioral"))
    window.start()
    window.submit(MOCK_ANSWER, 12.0)
    use_executor(None)
    return window


def jd(tmp: Path) -> Any:
    """The coverage of a job ad by the example stories without the mentoring one: a gap selected."""
    import shutil

    from copilot.adapters.embedding import OnnxEmbedder
    from copilot.config import models
    from copilot.stories.library import load_library
    from ui.common.bridge import InlineExecutor, use_executor
    from ui.practice.jd_window import JdWindow

    folder = tmp / "stories"
    shutil.copytree(EXAMPLE_STORIES, folder)
    (folder / "mentored-junior-eval-harness.md").unlink()
    embedder = OnnxEmbedder(models.embedding_model().path, models.embedding_tokenizer().path)
    stories = list(load_library(folder).stories)
    core = SimpleNamespace(embedder=embedder, library=SimpleNamespace(folder=folder, stories=stories))
    use_executor(InlineExecutor())
    window = JdWindow(core)
    window.set_text(JD)
    window.check_coverage()
    window.select_row("mentoring")
    use_executor(None)
    return window


WINDOWS = {
    "live": lambda tmp: live(),
    "library": library,
    "rehearsal": rehearsal,
    "drill": drill,
    "history": history,
    "settings": settings,
    "mock": mock,
    "jd": jd,
}


READY = {"history": lambda w: w.table.rowCount() > 0 and bool(w.preview_text()) and not w.tasks.is_busy()}


def save_small(window: Any, out: Path) -> None:
    """A PNG at the strongest compression (true colour: an 8-bit palette shifts the themes' greys)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().toImage().save(str(out), "PNG", 0)
    print(f"saved {out} ({window.width()}x{window.height()}, {out.stat().st_size // 1024} KB)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=["1024"], help="widths to grab")
    parser.add_argument("--all-sizes", action="store_true", help="the same as --sizes 800 1024 1600")
    parser.add_argument("--out", type=Path, help="write every grab here instead (to compare a change before/after)")
    parser.add_argument("--only", nargs="*", choices=list(WINDOWS), help="just these windows")
    args = parser.parse_args()
    if args.all_sizes:
        args.sizes = list(SIZES)
    tmp = Path(tempfile.mkdtemp(prefix="copilot-shots-"))
    private_folders(tmp, "config", "data", "cache")
    app = application()
    from ui.common.theme import apply_theme

    for theme in ("dark", "light"):
        apply_theme(theme)
        for name, build in WINDOWS.items():
            if args.only and name not in args.only:
                continue
            window = build(tmp / f"{name}-{theme}")
            window.show()
            deadline = time.monotonic() + 20
            while not READY.get(name, lambda w: True)(window) and time.monotonic() < deadline:
                app.processEvents()  # the history is read on a pool thread
                time.sleep(0.02)
            for label in args.sizes:
                size = SIZES[label]
                window.resize(*size)
                for _ in range(30):
                    app.processEvents()
                suffix = "" if theme == "dark" else "-light"
                if args.out:
                    save_small(window, args.out / f"{name}-{label}{suffix}.png")
                elif label == "1024":
                    save_small(window, SHOTS / f"{name}{suffix}.png")
                else:
                    save_small(window, SHOTS / f"{name}-{label}{suffix}.png")
            window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
