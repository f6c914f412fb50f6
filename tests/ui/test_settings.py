"""The settings dialog: what OK writes, what it keeps, what it refuses, and the first-run check."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import tomllib  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from conftest import MemoryKeyring  # noqa: E402

from copilot.config import paths  # noqa: E402
from copilot.config.secrets import SERVICE  # noqa: E402
from copilot.config.settings import load_settings  # noqa: E402
from ui.common import theme  # noqa: E402
from ui.settings.dialog import SettingsDialog  # noqa: E402
from ui.settings.store import SettingsInvalid, read_form, save_live_choices  # noqa: E402

pytestmark = pytest.mark.usefixtures("inline_tasks")

REPORT: dict[str, Any] = {
    "platform": "Linux",
    "config_file": "/tmp/x/config.toml",
    "models": [
        {"name": "speech-to-text", "found": True, "path": "/models/tiny.en", "source": "repo", "required": True},
        {"name": "llm", "found": False, "error": "SmolLM2 not found; run `make models`", "required": True},
    ],
    "audio": {"backend": "sounddevice", "portaudio": "19.7", "input_devices": ["Built-in Mic"]},
    "loopback": {"help": "Use the monitor of your output device.", "available": False},
}
DEVICES = [
    {"name": "Built-in Mic", "is_loopback_candidate": False},
    {"name": "speakers.monitor", "is_loopback_candidate": True},
]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COPILOT_CONFIG_DIR", str(tmp_path / "config"))
    return paths.config_file()


def make_dialog(qtbot: Any, first_run: bool = False) -> SettingsDialog:
    """The doctor check and the device list run as the dialog's background task: done on return here."""
    dialog = SettingsDialog(first_run=first_run, doctor=lambda: REPORT, devices=lambda: DEVICES)
    qtbot.addWidget(dialog)
    assert dialog.report is not None
    return dialog


def test_round_trip(qtbot: Any, config: Path) -> None:
    assert not config.exists()
    dialog = make_dialog(qtbot)
    dialog.whisper_combo.setCurrentText("base.en")
    dialog.pause_spin.setValue(1.25)
    dialog.mic_combo.setCurrentIndex(dialog.mic_combo.findData("Built-in Mic"))
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    assert config.exists()
    settings = load_settings()
    assert settings.models.whisper == "base.en"
    assert settings.turn.pause_s == pytest.approx(1.25)
    raw = tomllib.loads(config.read_text())
    assert raw["audio"]["microphone"] == "Built-in Mic"
    assert raw["ui"]["theme"] == "dark"
    reopened = make_dialog(qtbot)  # and the dialog shows what was saved
    assert reopened.whisper_combo.currentText() == "base.en"
    assert reopened.pause_spin.value() == pytest.approx(1.25)
    assert reopened.mic_combo.currentData() == "Built-in Mic"


def test_unknown_keys_survive(qtbot: Any, config: Path) -> None:
    config.parent.mkdir(parents=True)
    config.write_text(
        'future_top = "keep"\n[models]\nwhisper = "tiny.en"\nbrand_new = 7\n'
        "[retrieval]\nstories_top_k = 5\n[plugins.alpha]\nenabled = true\nlevels = [1, 2]\n"
    )
    dialog = make_dialog(qtbot)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("light"))
    dialog.accept()
    raw = tomllib.loads(config.read_text())
    assert raw["future_top"] == "keep"
    assert raw["models"]["brand_new"] == 7
    assert raw["retrieval"]["stories_top_k"] == 5
    assert raw["plugins"]["alpha"] == {"enabled": True, "levels": [1, 2]}
    assert raw["ui"]["theme"] == "light"
    assert load_settings().retrieval.stories_top_k == 5


def test_invalid_gguf_shows_error_and_writes_nothing(qtbot: Any, config: Path, tmp_path: Path) -> None:
    config.parent.mkdir(parents=True)
    config.write_bytes(b"# mine\n[turn]\npause_s = 0.7\n")
    before = config.read_bytes()
    dialog = make_dialog(qtbot)
    dialog.backend_radios["gguf"].setChecked(True)
    dialog.gguf_edit.setText(str(tmp_path / "missing.gguf"))
    dialog.accept()
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    assert not dialog.error_label.isHidden()
    assert "missing.gguf" in dialog.error_label.text()
    assert config.read_bytes() == before
    (tmp_path / "model.bin").write_bytes(b"x")  # exists, but not a .gguf
    dialog.gguf_edit.setText(str(tmp_path / "model.bin"))
    dialog.accept()
    assert "not a .gguf" in dialog.error_label.text()
    assert config.read_bytes() == before


def test_bad_server_url_is_refused(qtbot: Any, config: Path) -> None:
    dialog = make_dialog(qtbot)
    dialog.backend_radios["server"].setChecked(True)
    dialog.server_url_edit.setText("localhost:8080")
    dialog.accept()
    assert "http" in dialog.error_label.text()
    assert not config.exists()


def test_api_key_goes_to_keychain_not_file(qtbot: Any, config: Path, use_keyring: Any) -> None:
    fake = use_keyring(MemoryKeyring())
    dialog = make_dialog(qtbot)
    dialog.backend_radios["server"].setChecked(True)
    dialog.server_url_edit.setText("https://llm.example.com/v1")
    dialog.server_model_edit.setText("my-model")
    dialog.api_key_edit.setText("sk-secret-123")
    dialog.accept()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    assert fake.store == {(SERVICE, "https://llm.example.com/v1"): "sk-secret-123"}
    text = config.read_text()
    assert "sk-secret-123" not in text
    llm = load_settings().llm
    assert (llm.backend, llm.server_url, llm.server_model) == ("server", "https://llm.example.com/v1", "my-model")


def test_no_keychain_shows_message_and_writes_nothing(qtbot: Any, config: Path, use_keyring: Any) -> None:
    from keyring.backends import fail

    use_keyring(fail.Keyring())
    dialog = make_dialog(qtbot)
    dialog.backend_radios["server"].setChecked(True)
    dialog.server_url_edit.setText("http://localhost:8080/v1")
    dialog.api_key_edit.setText("sk-x")
    dialog.accept()
    assert "keychain" in dialog.error_label.text()
    assert not config.exists()


def test_first_run_page_lists_doctor_results(qtbot: Any, config: Path) -> None:
    dialog = make_dialog(qtbot, first_run=True)
    assert dialog.tabs.tabText(0) == "First run"
    text = dialog.doctor_label.text()
    assert "speech-to-text" in text and "/models/tiny.en" in text
    assert "SmolLM2 not found; run `make models`" in text
    assert "Use the monitor of your output device." in text
    assert "not found" in text  # system audio unavailable
    assert dialog.loopback_help.text() == "Use the monitor of your output device."
    systems = [dialog.system_combo.itemData(i) for i in range(dialog.system_combo.count())]
    mics = [dialog.mic_combo.itemData(i) for i in range(dialog.mic_combo.count())]
    assert systems == ["", "speakers.monitor"] and mics == ["", "off", "Built-in Mic"]


def test_cancel_discards(qtbot: Any, config: Path) -> None:
    dialog = make_dialog(qtbot)
    dialog.whisper_combo.setCurrentText("small.en")
    dialog.reject()
    assert not config.exists()


@pytest.fixture
def dark_again(qapp: Any):
    """The theme is app-wide: put the dark one back for the tests that follow."""
    yield
    theme.apply_theme("dark")


def test_saving_a_theme_applies_it_at_once(qtbot: Any, config: Path, dark_again: None) -> None:
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication, QMainWindow

    other = QMainWindow()  # an open window of the app, styled dark as every window is
    other.setStyleSheet("QMainWindow { background: #1e2126; color: #d8dde3; }")
    qtbot.addWidget(other)
    theme.apply_theme("dark")
    window_color = QApplication.palette().color(QPalette.ColorRole.Window)
    dialog = make_dialog(qtbot)
    saved: list[Any] = []
    dialog.saved.connect(saved.append)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("light"))
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

    assert tomllib.loads(config.read_text())["ui"]["theme"] == "light"
    assert [form.theme for form in saved] == ["light"]
    light_window = QApplication.palette().color(QPalette.ColorRole.Window)
    assert light_window != window_color and light_window.lightness() > 200
    assert "#f3f4f6" in other.styleSheet() and "#1e2126" not in other.styleSheet()
    assert "#1e2126" not in dialog.styleSheet()  # the dialog itself too

    theme.apply_theme("dark")  # and back: each window gets its own sheet as written
    assert other.styleSheet() == "QMainWindow { background: #1e2126; color: #d8dde3; }"
    assert QApplication.palette().color(QPalette.ColorRole.Window).name() == "#1e2126"


def test_no_microphone_round_trips(qtbot: Any, config: Path) -> None:
    dialog = make_dialog(qtbot)
    dialog.mic_combo.setCurrentIndex(dialog.mic_combo.findData("off"))
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert tomllib.loads(config.read_text())["audio"]["microphone"] == "off"
    reopened = make_dialog(qtbot)
    assert reopened.mic_combo.currentText() == "No microphone"


def test_live_choices_change_only_their_keys(config: Path) -> None:
    config.parent.mkdir(parents=True)
    config.write_text('[ui]\ntheme = "light"\n\n[future]\nkeep = 1\n')
    save_live_choices(microphone="USB Mic", pause_s=1.1)
    save_live_choices(system_audio="speakers.monitor")
    raw = tomllib.loads(config.read_text())
    assert raw["audio"] == {"microphone": "USB Mic", "system_audio": "speakers.monitor"}
    assert raw["turn"] == {"pause_s": 1.1} and raw["future"] == {"keep": 1}
    form = read_form()
    assert (form.theme, form.pause_s, form.microphone) == ("light", 1.1, "USB Mic")
    with pytest.raises(SettingsInvalid):
        save_live_choices(pause_s=9.0)
    assert read_form().pause_s == 1.1


def test_a_broken_url_left_behind_a_switch_to_none_is_not_saved(qtbot: Any, config: Path) -> None:
    dialog = make_dialog(qtbot)
    dialog.backend_radios["server"].setChecked(True)
    dialog.server_url_edit.setText("localhost8080")
    dialog.backend_radios["none"].setChecked(True)  # the user gives up on the server
    dialog.accept()
    text = config.read_text(encoding="utf-8")
    assert 'backend = "none"' in text and "localhost8080" not in text
    dialog = make_dialog(qtbot)  # a good URL is remembered for later even with another backend
    dialog.server_url_edit.setText("http://localhost:8080/v1")
    dialog.accept()
    assert 'server_url = "http://localhost:8080/v1"' in config.read_text(encoding="utf-8")
