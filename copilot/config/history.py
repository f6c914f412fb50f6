"""Where the session history lives and whether it is recorded: the one reader of COPILOT_HISTORY,
COPILOT_HISTORY_KEY_FILE and the settings file's `[history] enabled`.

Read when asked, not at import, so a test or a script that changes the environment is seen.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from copilot.config import paths
from copilot.config.settings import load_settings

_OFF = {"off", "0", "false", "no"}


def history_allowed(environ: Mapping[str, str] | None = None) -> bool:
    """False when COPILOT_HISTORY is off, 0, false or no (any case); anything else, or unset, is on."""
    environ = os.environ if environ is None else environ
    return environ.get("COPILOT_HISTORY", "").strip().lower() not in _OFF


def history_key_file(environ: Mapping[str, str] | None = None) -> str | None:
    """COPILOT_HISTORY_KEY_FILE, the file the user chose to keep the history key in; None: the keychain."""
    environ = os.environ if environ is None else environ
    return environ.get("COPILOT_HISTORY_KEY_FILE", "").strip() or None


def history_path() -> Path:
    return paths.data_dir() / "history.sqlite3"


def history_switch(config_file: Path | None = None) -> bool:
    """The settings file's `[history] enabled` (the settings dialog's "Save session history").

    Read with the one settings schema but without the environment: a value that is not true or false
    (`enabled = "no"`), or a file that cannot be read, raises InputFileError naming it, because
    guessing "on" would record sessions the user may have asked us not to.
    """
    return load_settings(config_file or paths.config_file(), environ={}).history.enabled
