"""Screenshot of the session-history window (Ctrl+H) on a private history seeded through the core.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshot_history.py

Seeds two sessions (a live one and a rehearsal with feedback) in a temporary data folder with the key
in a temporary file, opens the window, waits for the newest session's report in the preview and saves
docs/screenshots/history.png.
"""

from __future__ import annotations

import os
import tempfile

from screenshot_common import SHOTS, application, grab_when_ready, private_folders

OUT = SHOTS / "history.png"
LIVE_QUESTION = "How would you design a feature store for real-time fraud scoring?"
REHEARSED = "Tell me about a time you had to cut the cost of serving a model."
TIMEOUT_S = 60


def seed() -> None:
    """Through the core's store, with a clock that makes the sessions last as long as real ones."""
    from datetime import UTC, datetime, timedelta

    from copilot.history.session import SessionRecord
    from copilot.history.store import HistoryStore, default_key_provider, default_path

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    moment = {"t": now - timedelta(days=1, hours=3)}  # the live session: yesterday

    def clock() -> str:
        moment["t"] += timedelta(seconds=70)
        return moment["t"].isoformat(timespec="milliseconds")

    with HistoryStore(default_path(), default_key_provider(), clock=clock) as store:
        live = store.start_session("live")
        store.record(
            live,
            "transcript",
            {"speaker": "interviewer", "final": True, "text": LIVE_QUESTION, "t_start_s": 0.4, "t_end_s": 4.1},
        )
        store.record(live, "question", {"question_id": 1, "final": True, "text": LIVE_QUESTION})
        store.record(
            live,
            "cards",
            {
                "question_id": 1,
                "question_type": "system_design",
                "type_confidence": 0.82,
                "frameworks": ["system-design"],
                "stories": [],
                "topics": ["feature-store", "online-inference"],
            },
        )
        store.record(
            live,
            "bullets",
            {
                "question_id": 1,
                "source": "llm",
                "done": True,
                "bullets": [
                    "Clarify latency budget and freshness first",
                    "Offline and online stores, one feature definition",
                ],
            },
        )
        store.record(
            live,
            "transcript",
            {
                "speaker": "you",
                "final": True,
                "text": "I would start from the latency budget, about fifty milliseconds at p99, and keep one "
                "definition per feature so training and serving never drift apart.",
                "t_start_s": 5.0,
                "t_end_s": 14.2,
            },
        )
        moment["t"] += timedelta(minutes=9)
        store.end_session(live)
        moment["t"] = now - timedelta(minutes=25)

        session_id = store.start_session("rehearsal")
        record = SessionRecord(store, session_id)
        record.record_rehearsal(
            {
                "transcript": REHEARSED,
                "question_type": "behavioral",
                "type_confidence": 0.91,
                "frameworks": [{"id": "star"}],
                "stories": [{"id": "distilled-intent-classifier"}],
                "topics": [{"id": "model-compression"}],
                "bullets_source": "composer",
                "bullets": [
                    "Open with the $38k monthly GPU bill",
                    "Why distillation: GPUs only 25% utilised",
                    "Result: cost down to $9k, accuracy within 0.4 points",
                ],
                "timings_ms": {"classify": 6.0, "retrieve": 41.0, "compose": 3.0, "first_bullet": 52.0},
            },
            1,
        )
        record.record(
            "feedback",
            {
                "question_id": 1,
                "question": REHEARSED,
                "question_type": "behavioral",
                "transcript": "At my last company our intent classifier was too expensive. I chose to distill "
                "it because the GPUs were only 25 percent utilised. As a result monthly cost fell from "
                "38000 dollars to 9000.",
                "delivery": {"words_per_minute": 148.0, "filler_count": 1, "longest_pause_s": 0.9},
                "content": {
                    "checks": {
                        "situation_heard": True,
                        "task_heard": False,
                        "action_heard": True,
                        "result_heard": True,
                    }
                },
                "suggestions": ["Say what you were asked to do (the task) before the action."],
            },
        )
        moment["t"] += timedelta(minutes=4)
        store.end_session(session_id)


def main() -> int:
    application()
    with tempfile.TemporaryDirectory() as tmp:
        private_folders(tmp, "data", "cache")
        os.environ.pop("COPILOT_HISTORY", None)
        seed()

        from ui.history.window import HistoryWindow

        window = HistoryWindow()
        window.resize(1280, 800)
        window.show()
        return grab_when_ready(
            window, OUT, lambda: REHEARSED in window.preview_text() and not window.tasks.is_busy(), TIMEOUT_S
        )


if __name__ == "__main__":
    raise SystemExit(main())
