"""Where the app keeps things, via platformdirs (per-user folders on Linux, macOS and Windows)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "interview-copilot"
REPO_ROOT = Path(__file__).resolve().parents[2]


def config_dir() -> Path:
    return Path(os.environ.get("COPILOT_CONFIG_DIR") or platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    return Path(os.environ.get("COPILOT_DATA_DIR") or platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    return Path(os.environ.get("COPILOT_CACHE_DIR") or platformdirs.user_cache_dir(APP_NAME))


def config_file() -> Path:
    return config_dir() / "config.toml"


def index_dir() -> Path:
    return data_dir() / "index"


def stories_dir(override: str | Path | None = None) -> Path:
    """`--stories DIR`, else COPILOT_STORIES_DIR, else the user's data folder (DESIGN.md)."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("COPILOT_STORIES_DIR")
    if env:
        return Path(env).expanduser()
    return data_dir() / "stories"


def example_stories_dir() -> Path:
    """The example stories shipped in the repository (personal_stories/)."""
    return REPO_ROOT / "personal_stories"


def repo_models_dir() -> Path:
    return REPO_ROOT / "models"
