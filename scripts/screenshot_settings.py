"""Screenshot of the settings dialog's first-run page, with this machine's real doctor check.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshot_settings.py

Uses a temporary config folder (so the user's settings are not touched) and saves
docs/screenshots/settings.png.
"""

from __future__ import annotations

import sys
import tempfile

from PySide6.QtCore import QTimer
from screenshot_common import SHOTS, application, private_folders, save_grab

from ui.settings.dialog import SettingsDialog

OUT = SHOTS / "settings.png"


def main() -> int:
    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        private_folders(tmp, "config")
        dialog = SettingsDialog(first_run=True)
        dialog.resize(760, 600)
        dialog.show()

        def grab() -> None:
            if dialog.report is None:  # the doctor check is still running
                QTimer.singleShot(200, grab)
                return
            QTimer.singleShot(200, save)  # one more paint after the results arrive

        def save() -> None:
            save_grab(dialog, OUT)
            app.exit(0)

        QTimer.singleShot(300, grab)
        return app.exec()


if __name__ == "__main__":
    sys.exit(main())
