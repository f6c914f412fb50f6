"""Screenshot of the job-description coverage view with the real core: a pasted job ad, its
competencies and topics, with a missing competency selected for a draft.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshot_jd.py

Loads the core (no generator, no speech model) on a copy of the example stories without the mentoring
story, so the ad's call for mentoring shows as a gap, and saves docs/screenshots/jd-coverage.png.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from screenshot_common import EXAMPLE_STORIES, SHOTS, application, grab_when_ready, private_folders

OUT = SHOTS / "jd-coverage.png"
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
    application()
    with tempfile.TemporaryDirectory() as tmp:
        private_folders(tmp, "data", "cache")
        stories = Path(tmp) / "stories"
        shutil.copytree(EXAMPLE_STORIES, stories)
        (stories / "mentored-junior-eval-harness.md").unlink()

        from copilot.composition import open_core
        from copilot.config.settings import Settings
        from ui.practice.jd_window import JdWindow

        core = open_core(Settings(), str(stories), with_transcriber=False, with_generator=False, progress=print)
        window = JdWindow(core)
        window.resize(1360, 860)
        window.show()
        window.set_text(JD)
        window.check_coverage()

        def step() -> bool:
            if window.coverage is None or window.is_busy():
                return False
            window.select_row("mentoring")
            return True

        return grab_when_ready(window, OUT, step, TIMEOUT_S, after=core.close)


if __name__ == "__main__":
    raise SystemExit(main())
