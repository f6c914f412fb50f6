"""Screenshot of the job-description coverage view with the real core: a pasted job ad, its
competencies and topics, with a missing competency selected for a draft.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshot_jd.py

Loads the core (no generator, no speech model) on a copy of the example stories without the mentoring
story, so the ad's call for mentoring shows as a gap, and saves docs/screenshots/jd-coverage.png.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

OUT = REPO / "docs" / "screenshots" / "jd-coverage.png"
JD = """Senior Machine Learning Engineer, Recommendations

About the role
You will own our ranking models end to end, from data pipelines to online serving, and work closely
with product and data science in a cross-functional team.

What you will do
- Build and deploy models that serve millions of customers with low latency.
- Monitor models in production and detect data drift before it hurts the business.
- Keep features consistent between training and serving.
- Mentor junior engineers and take part in code reviews.
- Communicate results to non-technical stakeholders.

What we look for
- Deep understanding of machine learning and hands-on experience with PyTorch.
- You are comfortable with ambiguity and make data-driven decisions.
"""
TIMEOUT_S = 180


def main() -> int:
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["COPILOT_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["COPILOT_CACHE_DIR"] = str(Path(tmp) / "cache")
        stories = Path(tmp) / "stories"
        shutil.copytree(REPO / "personal_stories", stories)
        (stories / "mentored-junior-eval-harness.md").unlink()

        from copilot.composition import open_core
        from copilot.config import Settings
        from ui.jd_window import JdWindow

        core = open_core(Settings(), str(stories), with_transcriber=False, with_generator=False, progress=print)
        window = JdWindow(core)
        window.resize(1360, 860)
        window.show()
        window.set_text(JD)
        window.check_coverage()
        started = time.monotonic()
        state = {"ok": False}

        def poll() -> None:
            if time.monotonic() - started > TIMEOUT_S or window.banner.isVisible():
                print("failed:", window.banner.label.text() or "timed out")
                timer.stop()
                app.exit(1)
            elif window.coverage is not None and not window.is_busy():
                timer.stop()
                window.select_row("mentoring")
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
