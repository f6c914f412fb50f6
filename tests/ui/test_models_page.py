"""The Settings dialog's Models page, driven through its real widgets: Get from a local HTTP server the
test starts (progress shown, file installed), Cancel (nothing installed, a later Get resumes), Use
writes the setting, Remove deletes; unavailable and packaged entries cannot be fetched."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from copilot.config.model_catalog import Entry, load_catalog
from copilot.config.settings import load_settings
from ui.settings.models_page import ModelsPage

PAYLOAD = os.urandom(2 * 1024 * 1024 + 17)
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        srv: Any = self.server
        start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
        srv.ranges.append(self.headers.get("Range"))
        body = PAYLOAD[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for i in range(0, len(body), 32 * 1024):
                self.wfile.write(body[i : i + 32 * 1024])
                time.sleep(srv.delay_s)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Any]:
    srv: Any = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads, srv.delay_s, srv.ranges = True, 0.0, []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _entry(srv: Any) -> Entry:
    return Entry(
        name="tiny-gguf", role="llm", kind="url", description="a test file", good_for="tests", licence="MIT",
        ram_mb=10, url=f"http://127.0.0.1:{srv.server_address[1]}/tiny.gguf", file="tiny.gguf", sha256=SHA,
        setting={"llm": {"backend": "llama_cpp", "model_path": "{path}"}},
    )  # fmt: skip


@pytest.fixture
def page(qtbot: Any, server: Any, tmp_path: Path) -> ModelsPage:
    catalog = [e for e in load_catalog() if e.name in ("smollm2-135m", "whisper-small.en")] + [_entry(server)]
    widget = ModelsPage(catalog, root=tmp_path / "models", config_path=tmp_path / "config.toml")
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_get_shows_progress_then_use_and_remove(page: ModelsPage, qtbot: Any, server: Any, tmp_path: Path) -> None:
    server.delay_s = 0.002
    page.select("tiny-gguf")
    texts: list[str] = []
    page.download_progress.connect(lambda _pct, text: texts.append(text))
    assert page.get_button.isEnabled() and not page.use_button.isEnabled()
    qtbot.mouseClick(page.get_button, Qt.MouseButton.LeftButton)
    assert page.cancel_button.isEnabled() and not page.get_button.isEnabled()
    qtbot.waitUntil(lambda: "installed tiny-gguf" in page.status.text(), timeout=30_000)
    installed = tmp_path / "models" / "gguf" / "tiny.gguf"
    assert installed.read_bytes() == PAYLOAD
    assert texts and "MB/s" in texts[-1] and "of 2.1 MB" in texts[-1]
    assert page.table.item(2, 4).text() == "yes"

    qtbot.mouseClick(page.use_button, Qt.MouseButton.LeftButton)
    assert load_settings(tmp_path / "config.toml", environ={}).llm.model_path == str(installed)
    assert "now using tiny-gguf" in page.status.text()
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert not installed.exists() and page.table.item(2, 4).text() == "no"


def test_cancel_installs_nothing_and_get_resumes(page: ModelsPage, qtbot: Any, server: Any, tmp_path: Path) -> None:
    server.delay_s = 0.05  # slow enough to be cancelled part way
    page.select("tiny-gguf")
    qtbot.mouseClick(page.get_button, Qt.MouseButton.LeftButton)
    part = tmp_path / "models" / "gguf" / "tiny.gguf.part"
    qtbot.waitUntil(lambda: part.exists() and part.stat().st_size > 0, timeout=30_000)
    qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "cancelled" in page.status.text(), timeout=30_000)
    assert not (tmp_path / "models" / "gguf" / "tiny.gguf").exists()
    assert page.get_button.isEnabled()

    server.delay_s = 0.0
    qtbot.mouseClick(page.get_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "installed tiny-gguf" in page.status.text(), timeout=30_000)
    assert server.ranges[-1] and server.ranges[-1].startswith("bytes=")
    assert (tmp_path / "models" / "gguf" / "tiny.gguf").read_bytes() == PAYLOAD


def test_packaged_and_unavailable_entries_cannot_be_fetched(page: ModelsPage) -> None:
    page.select("smollm2-135m")
    assert not page.get_button.isEnabled() and not page.remove_button.isEnabled()
    page.select("whisper-small.en")
    assert not page.get_button.isEnabled()
    assert page.table.item(1, 4).text() == "unavailable"


def test_settings_dialog_has_the_page_and_use_updates_its_form(qtbot: Any, tmp_path: Path, monkeypatch: Any) -> None:
    """After Use on the Get models tab, OK in the dialog keeps that choice instead of writing the old one."""
    from ui.settings.dialog import SettingsDialog
    from ui.settings.store import read_form

    models = tmp_path / "models"
    (models / "gguf").mkdir(parents=True)
    gguf = models / "gguf" / "qwen2.5-0.5b-instruct-q4_k_m.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setenv("COPILOT_MODELS_DIR", str(models))
    config = tmp_path / "config.toml"
    dialog = SettingsDialog(config_path=config, start_checks=False)
    qtbot.addWidget(dialog)
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert "Get models" in tabs
    dialog.models_page.select("qwen2.5-0.5b-instruct")
    qtbot.mouseClick(dialog.models_page.use_button, Qt.MouseButton.LeftButton)
    assert dialog.gguf_edit.text() == str(gguf) and dialog.backend_radios["gguf"].isChecked()
    dialog.accept()
    assert read_form(config).gguf_path == str(gguf)


def test_first_run_check_names_installed_and_recommended_models() -> None:
    from ui.settings.dialog import doctor_html

    report = {
        "models": [],
        "catalogue": {"memory_gb": 8.0, "installed": ["whisper-tiny.en"], "recommended": ["qwen2.5-1.5b-instruct"]},
    }
    text = doctor_html(report)
    assert "Installed models: whisper-tiny.en" in text
    assert "Recommended for this machine's memory (8.0 GB): qwen2.5-1.5b-instruct" in text
