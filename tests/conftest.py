"""Shared fixtures. Every test runs with its own config, data and cache folders, so nothing ever
touches the user's real library or index."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import keyring
import keyring.backend
import pytest
from keyring.errors import PasswordDeleteError

REPO = Path(__file__).resolve().parent.parent
# Everything a test reads lives in the repository (tests/data/, each set with its licence).
TEST_DATA = REPO / "tests" / "data"
JFK_WAV = TEST_DATA / "audio" / "jfk" / "jfk_16k_mono.wav"
JFK_FLAC = TEST_DATA / "audio" / "jfk" / "jfk.flac"
JFK_TEXT = TEST_DATA / "audio" / "jfk" / "jfk.txt"
# Real interview questions with our labels: a held-out measure of the classifier, never shipped.
QUESTIONS_TSV = TEST_DATA / "questions" / "questions_train.tsv"
EXAMPLE_STORIES = REPO / "personal_stories"


@pytest.fixture(scope="session", autouse=True)
def no_real_folders(tmp_path_factory: pytest.TempPathFactory):
    """A backstop for work that outlives its test (a Qt timer, a daemon thread): with the per-test
    folders already restored, it still writes here, never to the user's real config or library."""
    import os

    root = tmp_path_factory.mktemp("session-home")
    names = ("COPILOT_CONFIG_DIR", "COPILOT_DATA_DIR", "COPILOT_STORIES_DIR")
    saved = {name: os.environ.get(name) for name in names}
    for name in names:
        os.environ[name] = str(root / name.lower())
    yield root
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def private_folders(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("COPILOT_CONFIG_DIR", str(root / "config"))
    monkeypatch.setenv("COPILOT_DATA_DIR", str(root / "data"))
    # The classifier cache is content-addressed and safe to share: reuse one across tests for speed.
    monkeypatch.setenv("COPILOT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "shared-cache"))
    monkeypatch.delenv("COPILOT_STORIES_DIR", raising=False)
    # CI has no OS keychain: keep the history key in a private file, as a user without one would.
    monkeypatch.setenv("COPILOT_HISTORY_KEY_FILE", str(root / "history.key"))
    return root


@pytest.fixture(scope="session")
def embedder():
    from copilot.adapters.embedding import OnnxEmbedder
    from copilot.config import models

    return OnnxEmbedder(models.embedding_model().path, models.embedding_tokenizer().path)


@pytest.fixture
def inline_tasks():
    """The windows' background jobs run at once on the test's thread and report before the call that
    started them returns, so a test asserts on the next line instead of polling. Tests of real
    threading (work that waits on the GUI thread, cancelling a job in flight) do not use it."""
    from ui.common.bridge import InlineExecutor, use_executor

    previous = use_executor(InlineExecutor())
    yield
    use_executor(previous)


def speak(text: str, path: Path, voice: str = "en-us") -> Path:
    """Real synthetic speech for tests: espeak-ng at 16 kHz mono (flite as a fallback)."""
    if shutil.which("espeak-ng"):
        raw = path.with_suffix(".raw.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True)
        # -D: no dither. sox dithers by default when it writes 16 bits, so each run heard different
        # audio, and a decode on the edge came out one way or the other (a flaky test).
        subprocess.run(["sox", "-D", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path)], check=True)
        raw.unlink()
        return path
    if shutil.which("flite"):
        subprocess.run(["flite", "-t", text, "-o", str(path)], check=True)
        return path
    pytest.fail("espeak-ng or flite is needed to make test speech: apt install espeak-ng sox")


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word error rate by edit distance between the word sequences (the bench's own measure)."""
    from copilot.live.bench import word_error_rate as wer

    return wer(reference, hypothesis)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An OS keychain in a dict, so tests never touch (or need) a real one."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")  # as real backends do


@pytest.fixture
def use_keyring(monkeypatch: pytest.MonkeyPatch):
    """`use_keyring(backend)` installs a keyring backend for one test; the previous one comes back after."""
    from copilot.config import secrets

    previous = keyring.get_keyring()
    monkeypatch.setattr(secrets, "_warned_no_backend", False)

    def use(backend: keyring.backend.KeyringBackend) -> keyring.backend.KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    yield use
    keyring.set_keyring(previous)


# What ran, by kind: printed at the end of every run so a newcomer sees the real paths were tested.
# A test's kind is its first match: packaging, UI, audio loop, reliability, real models (marked slow or given the
# real embedder), else unit.
_KINDS = ("unit", "real models", "UI", "audio loop", "reliability", "packaging")
_kind_of: dict[str, str] = {}
_ran: dict[str, dict[str, int]] = {kind: {} for kind in _KINDS}


def _kind(item: pytest.Item) -> str:
    path = Path(str(item.fspath)).as_posix()
    if item.get_closest_marker("package") or "/tests/package/" in path:
        return "packaging"
    if "/tests/ui/" in path:
        return "UI"
    if item.get_closest_marker("audio"):
        return "audio loop"
    if "/tests/reliability/" in path:  # kill -9 loops, concurrent writers, full disks, the soak
        return "reliability"
    if item.get_closest_marker("slow") or "embedder" in getattr(item, "fixturenames", ()):
        return "real models"
    return "unit"


@pytest.hookimpl(tryfirst=True)  # before `-m "not slow"` deselects, so it sees the marker added here
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        # The `slow` marker means "needs the real models": a test given the real MiniLM embedder is one,
        # whether or not its file says so; tests whose subject is not the model use tests/fakes.py.
        if "embedder" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
    _kind_of.update({item.nodeid: _kind(item) for item in items})


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    outcome = report.outcome
    if report.when == "call" or (report.when == "setup" and outcome != "passed"):
        counts = _ran[_kind_of.get(report.nodeid, "unit")]
        counts[outcome] = counts.get(outcome, 0) + 1


def pytest_terminal_summary(terminalreporter) -> None:
    terminalreporter.section("what ran, by kind")
    for kind in _KINDS:
        counts = _ran[kind]
        detail = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "none"
        terminalreporter.write_line(f"{kind:>12}: {detail}")
