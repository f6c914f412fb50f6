"""The packaged app (`make package`, PyInstaller onedir) run as a user runs it: no Python environment.

The bundle is built once per session, unless dist/ already holds one newer than every source file.
Every run gets a minimal environment: no virtualenv on PATH, no PYTHONPATH, and HOME, the XDG folders
and the app's own folders in a temporary directory, so the app can only use what is inside the bundle.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLE_STORIES, REPO, speak

# Building takes minutes; pytest's default 600 s timeout counts the session fixture's setup too.
pytestmark = [pytest.mark.slow, pytest.mark.package, pytest.mark.timeout(1800)]

APP_DIR = REPO / "dist" / "interview-copilot"
EXE = APP_DIR / "interview-copilot"
SOURCES = [REPO / "copilot", REPO / "ui", REPO / "packaging", REPO / "pyproject.toml"]
BUILD_TIMEOUT_S = 1500
RUN_TIMEOUT_S = 300
QUESTION = "Tell me about a time you had to cut the cost of serving a model."


def newest_source_mtime() -> float:
    newest = 0.0
    for source in SOURCES:
        files = [source] if source.is_file() else source.rglob("*")
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                newest = max(newest, path.stat().st_mtime)
    return newest


@pytest.fixture(scope="session")
def app_exe() -> Path:
    """The packaged executable, built with `make package` when missing or older than the sources."""
    if EXE.exists() and EXE.stat().st_mtime > newest_source_mtime():
        return EXE
    try:
        build = subprocess.run(["make", "package"], cwd=REPO, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        tail = ((exc.stdout or b"").decode(errors="replace") + (exc.stderr or b"").decode(errors="replace"))[-6000:]
        pytest.fail(f"`make package` took over {BUILD_TIMEOUT_S} s; end of the build log:\n{tail}", pytrace=False)
    if build.returncode != 0 or not EXE.exists():
        tail = (build.stdout + build.stderr)[-6000:]
        pytest.fail(f"`make package` failed (exit {build.returncode}); end of the build log:\n{tail}", pytrace=False)
    return EXE


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """A user's environment with nothing of the development setup: the bundle must be self-contained."""
    venv = Path(sys.prefix).resolve()
    path = [
        p
        for p in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
        if p and ".venv" not in Path(p).parts and not Path(p).resolve().is_relative_to(venv)
    ]
    return {
        "PATH": os.pathsep.join(path),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_RUNTIME_DIR": str(home / "run"),
        "COPILOT_CONFIG_DIR": str(home / "config"),
        "COPILOT_DATA_DIR": str(home / "data"),
        "COPILOT_CACHE_DIR": str(home / "cache"),
        # No OS keychain here: keep the history key in a file, as conftest does for every test.
        "COPILOT_HISTORY_KEY_FILE": str(home / "history.key"),
        **extra,
    }


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One user folder for the module: the CLI tests share the index and classifier cache, like a user."""
    folder = tmp_path_factory.mktemp("packaged-home")
    (folder / "run").mkdir(mode=0o700)
    return folder


def run_app(exe: Path, home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # cwd is the temporary home, never the repository: nothing may be picked up from the source tree.
    return subprocess.run(
        [str(exe), *args],
        cwd=home,
        env=clean_env(home, **env),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )


@pytest.fixture(scope="module")
def question_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speak(QUESTION, tmp_path_factory.mktemp("packaged-question") / "question.wav")


@pytest.fixture(scope="module")
def stories(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("packaged-stories") / "stories"
    shutil.copytree(EXAMPLE_STORIES, folder)
    return folder


def test_doctor_finds_the_bundled_models(app_exe, home):
    result = run_app(app_exe, home, "doctor", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    found = {m["name"]: m for m in report["models"]}
    for name in ("speech-to-text", "embedding", "embedding tokenizer", "llm"):
        assert found[name]["found"], found[name]
        # From the bundle itself, not from a model package of the development environment.
        assert Path(found[name]["path"]).is_relative_to(APP_DIR), found[name]
    assert report["config_file"] == str(home / "config" / "config.toml")


def test_rehearse_a_recorded_question(app_exe, home, question_wav, stories):
    result = run_app(app_exe, home, "rehearse", str(question_wav), "--stories", str(stories), "--json", "--no-llm")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    (row,) = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert row["question_type"] == "behavioral", row
    assert len(row["bullets"]) >= 1, row
    assert "distilled-intent-classifier" in [s["id"] for s in row["stories"]], row


def test_rehearse_with_the_language_model(app_exe, home, question_wav, stories):
    """The llama.cpp shared libraries and the GGUF file are found inside the bundle (the rewrite is
    off by default, so the setting turns it on)."""
    args = ("rehearse", str(question_wav), "--stories", str(stories), "--json")
    result = run_app(app_exe, home, *args, COPILOT_LLM_BACKEND="llama_cpp")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    (row,) = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert row["question_type"] == "behavioral", row
    assert row["bullets"], row
    # The generator's own time is only non-zero when llama.cpp ran (rehearse.py).
    assert row["timings_ms"]["generate"] > 0, row


def test_desktop_app_starts_and_quits(app_exe, tmp_path):
    """No arguments opens the desktop app; COPILOT_QUIT_AFTER_SHOWN closes it once the window is up.

    A fresh user folder, so the first-run path runs too: the library is seeded from the bundled
    example stories and the models load before the app quits.
    """
    (tmp_path / "run").mkdir(mode=0o700)
    result = run_app(app_exe, tmp_path, QT_QPA_PLATFORM="offscreen", COPILOT_QUIT_AFTER_SHOWN="1")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "window shown" in result.stderr, result.stderr
    assert (tmp_path / "data" / "stories").is_dir()  # seeded from the bundle's personal_stories/
