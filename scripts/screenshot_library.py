"""Screenshot of the story library window on a copy of the example stories.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshot_library.py

Copies personal_stories/ to a temporary folder (so nothing in the repository is touched), opens the
window with one story selected and the coach panel showing, and saves docs/screenshots/library.png.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer
from screenshot_common import EXAMPLE_STORIES, SHOTS, application, private_folders, save_grab

from ui.library.model import LibraryModel
from ui.library.window import LibraryWindow

OUT = SHOTS / "library.png"
STORY = "pushed-for-shadow-launch.md"
# An unsaved edit that drops the numbers from the Result, so the coach panel has something to say.
RESULT = (
    "The shadow run caught the timeout problem before any real decision depended on it, and the "
    "committee approved the new plan. My manager presented it as our risk control."
)
BROKEN = "---\ntitle: [an unclosed list\n---\n## Situation\nDraft.\n"


def main() -> int:
    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "stories"
        shutil.copytree(EXAMPLE_STORIES, folder)
        (folder / "half-written.md").write_text(BROKEN)  # shows how a file that does not load is listed
        private_folders(tmp, "data")  # the trash goes there, not in the user's
        model = LibraryModel(folder)
        model.reload()
        window = LibraryWindow(model, watch=False)
        window.resize(1360, 860)
        window.show()
        model.select(folder / STORY)
        result = window.section_edits["result"]
        result.setPlainText(RESULT)  # typed, as a user would
        result.setFocus()
        window.editor_scroll.ensureWidgetVisible(result, 0, 40)

        def grab() -> None:
            save_grab(window, OUT)
            app.exit(0)  # not quit() or close(): those close the window, which asks about the unsaved edit

        QTimer.singleShot(800, grab)  # past the coach's 300 ms debounce and the first paint
        app.exec()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
