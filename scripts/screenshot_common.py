"""What the screenshot scripts share: the repository on the import path, private folders so the user's
settings, data and index are never touched, the Qt application (run them under xvfb-run), speaking a
text to a WAV with espeak-ng, saving a grab of a window, and waiting for a window to be ready.

Scripts import it as `screenshot_common` (they run as `python scripts/screenshot_X.py`, so this folder
is on the path) before they import Qt or the app.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

SHOTS = REPO / "docs" / "screenshots"
EXAMPLE_STORIES = REPO / "personal_stories"


_apps: list[QApplication] = []  # held here, so a caller that does not keep it does not lose it


def application() -> QApplication:
    """The Qt application (made at the first call)."""
    if not _apps:
        app = QApplication.instance() or QApplication([])
        assert isinstance(app, QApplication)
        _apps.append(app)
    return _apps[0]


def private_folders(tmp: Path | str, *names: str) -> None:
    """Point the app's folders (`"config"`, `"data"`, `"cache"`: COPILOT_<NAME>_DIR) into `tmp`, so the
    user's own are never touched; the story index, for one, has one owning process."""
    for name in names:
        os.environ[f"COPILOT_{name.upper()}_DIR"] = str(Path(tmp) / name)
    # A private history too, with its key in a file: a machine without a keychain (CI, Xvfb) would
    # otherwise show the "not saved to history" banner in every screenshot.
    os.environ["COPILOT_HISTORY_KEY_FILE"] = str(Path(tmp) / "history.key")


def speak(text: str, path: Path) -> Path:
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(path), text], check=True)
    return path


def save_grab(widget: QWidget, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(out))
    print(f"saved {out} ({widget.width()}x{widget.height()})")


def grab_when_ready(
    window: Any,
    out: Path,
    step: Callable[[], bool],
    timeout_s: float,
    after: Callable[[], None] | None = None,
) -> int:
    """Run the event loop, calling `step()` every 100 ms until it returns True (the window is ready),
    then grab the window to `out` after one more paint; then close the window and call `after` (to
    close the core). Fails (1) when the window's error banner shows or the time runs out; 0 once saved."""
    app = application()
    started = time.monotonic()
    state = {"ok": False}

    def poll() -> None:
        if time.monotonic() - started > timeout_s or window.banner.isVisible():
            print("failed:", window.banner.label.text() or "timed out")
            timer.stop()
            app.exit(1)
        elif step():
            timer.stop()
            QTimer.singleShot(300, grab)

    def grab() -> None:
        save_grab(window, out)
        state["ok"] = True
        app.exit(0)

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(100)
    code = app.exec()
    window.close()
    if after is not None:
        after()
    return code if state["ok"] else 1
