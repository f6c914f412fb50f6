"""A recorded session exported as HTML and rendered by headless Chromium: charts drawn, page not blank.

Set COPILOT_UPDATE_SCREENSHOTS=1 to refresh docs/screenshots/history_report.png from this test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fakes import StaticKey

from copilot.events import CANDIDATE, INTERVIEWER
from copilot.history.report import export
from copilot.history.store import HistoryStore, Session

REPO = Path(__file__).resolve().parents[2]
DOC_SCREENSHOT = REPO / "docs" / "screenshots" / "history_report.png"


def _record_interview(store: HistoryStore) -> int:
    sid = store.start_session("rehearsal")
    r = store.record
    r(sid, "transcript", {"speaker": INTERVIEWER, "text": "Tell me about a time you cut a big cost.", "t_start_s": 0.0, "t_end_s": 3.1})  # fmt: skip
    r(sid, "question", {"question_id": 1, "final": True, "text": "Tell me about a time you cut a big cost."})
    r(sid, "cards", {"question_id": 1, "question_type": "behavioral", "type_confidence": 0.93, "frameworks": ["star"], "stories": ["halved-serving-cost"], "topics": []})  # fmt: skip
    r(sid, "bullets", {"question_id": 1, "source": "composer", "done": True, "bullets": ["Situation: GPU serving cost doubled in a year", "Action: I built a two-stage ranker", "Result: cost halved, latency flat", "Lesson: measure before optimising"]})  # fmt: skip
    r(sid, "timings", {"question_id": 1, "timings_ms": {"transcribe": 540, "classify": 6, "retrieve": 48, "compose": 3, "first_bullet": 610, "generate": 1450}})  # fmt: skip
    r(sid, "transcript", {"speaker": CANDIDATE, "text": "Last year our GPU serving bill doubled while traffic grew only twenty percent, and I owned the ranking service.", "t_start_s": 4.0, "t_end_s": 11.5})  # fmt: skip
    r(sid, "transcript", {"speaker": CANDIDATE, "text": "I split it into a cheap first stage and a heavy re-ranker on the top fifty, which halved the cost with no loss in click-through.", "t_start_s": 12.0, "t_end_s": 20.0})  # fmt: skip
    # As copilot/practice/feedback.py writes it (trimmed); question 2 below uses the short form.
    r(sid, "feedback", {"question_id": 1, "question": "Tell me about a time you cut a big cost.", "question_type": "behavioral", "delivery": {"words_per_minute": 141.0, "words": 44}, "content": {"checks": {"situation_heard": True, "task_heard": False, "action_heard": True, "result_heard": True, "lesson_heard": False, "star_in_order": True}}})  # fmt: skip
    r(sid, "transcript", {"speaker": INTERVIEWER, "text": "How would you design a feature store for real-time fraud scoring?", "t_start_s": 30.0, "t_end_s": 34.0})  # fmt: skip
    r(sid, "question", {"question_id": 2, "final": True, "text": "How would you design a feature store for real-time fraud scoring?"})  # fmt: skip
    r(sid, "cards", {"question_id": 2, "question_type": "system_design", "type_confidence": 0.81, "frameworks": ["system-design"], "stories": [], "topics": ["feature-store", "streaming"]})  # fmt: skip
    r(sid, "bullets", {"question_id": 2, "source": "llm", "done": True, "bullets": ["Constraints: p99 under 50 ms, freshness in seconds", "Data: stream of card events, online and offline stores", "Trade-off: consistency between training and serving"]})  # fmt: skip
    r(sid, "timings", {"question_id": 2, "timings_ms": {"transcribe": 580, "classify": 5, "retrieve": 61, "compose": 4, "first_bullet": 660, "generate": 1720}})  # fmt: skip
    r(sid, "transcript", {"speaker": CANDIDATE, "text": "First I would pin down latency and freshness, then split an online store for serving from an offline store for training, fed by the same stream so features match.", "t_start_s": 35.0, "t_end_s": 47.0})  # fmt: skip
    r(sid, "feedback", {"question_id": 2, "words_per_minute": 172, "content": {"star": {}}})
    store.end_session(sid)
    return sid


@pytest.fixture
def session(tmp_path: Path) -> Session:
    with HistoryStore(tmp_path / "history.sqlite3", StaticKey(Fernet.generate_key())) as store:
        return store.load_session(_record_interview(store))


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("headless Chromium is needed for this test: run `sudo apt-get install -y chromium`")


def _screenshot(page: Path, out: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        run = subprocess.run(
            [
                _chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                f"--screenshot={out}",
                "--window-size=1200,1600",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert out.exists(), f"chromium wrote no screenshot (exit {run.returncode}): {run.stderr[-2000:]}"


def test_html_report_has_the_content_and_charts(session: Session, tmp_path: Path) -> None:
    page = export(session, "html", tmp_path / "report.html")
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") == 3  # pace, STAR coverage, latency per stage
    assert len(re.findall(r"<rect\b", text)) >= 2 + 5 + 12  # 2 pace bars, 5 STAR cells (+lesson), 12 latency
    for needle in ("Tell me about a time you cut a big cost.", "system_design (81%)", "halved-serving-cost",
                   "Action: I built a two-stage ranker", "cheap first stage", "141 wpm", "first_bullet"):  # fmt: skip
        assert needle in text
    # Self-contained: nothing to fetch or run.
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in text


def test_html_report_renders_in_chromium(session: Session, tmp_path: Path) -> None:
    page = export(session, "html", tmp_path / "report.html")
    shot = tmp_path / "report.png"
    _screenshot(page, shot)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    # A blank 1200x1600 page compresses to a few kB; text and charts take far more.
    assert len(data) > 20_000, f"the screenshot looks blank ({len(data)} bytes)"
    if os.environ.get("COPILOT_UPDATE_SCREENSHOTS"):
        DOC_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOC_SCREENSHOT)
