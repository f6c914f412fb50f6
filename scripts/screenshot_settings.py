"""Screenshot of the settings dialog's first-run page, with this machine's real doctor check.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshot_settings.py

Uses a temporary config folder (so the user's settings are not touched) and saves
docs/screenshots/settings.png.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ui.settings_dialog import SettingsDialog  # noqa: E402

OUT = REPO / "docs" / "screenshots" / "settings.png"


def main() -> int:
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["COPILOT_CONFIG_DIR"] = str(Path(tmp) / "config")
        dialog = SettingsDialog(first_run=True)
        dialog.resize(760, 600)
        dialog.show()

        def grab() -> None:
            if dialog.report is None:  # the doctor check is still running
                QTimer.singleShot(200, grab)
                return
            QTimer.singleShot(200, save)  # one more paint after the results arrive

        def save() -> None:
            OUT.parent.mkdir(parents=True, exist_ok=True)
            dialog.grab().save(str(OUT))
            print(f"saved {OUT} ({dialog.width()}x{dialog.height()})")
            app.exit(0)

        QTimer.singleShot(300, grab)
        return app.exec()


if __name__ == "__main__":
    sys.exit(main())
