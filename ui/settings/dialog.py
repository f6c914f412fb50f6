"""The settings dialog (Ctrl+,) and its first-run variant.

Tabs: Models, Audio, Timing, Appearance & history; on first run a "First run" page comes first and shows what
`copilot doctor` found. The doctor check and the device list run on a pool thread (BackgroundTask),
so the dialog opens at once. OK checks and saves through ui/settings/store.py (errors are shown in
the dialog and nothing is written); Cancel discards. Model changes apply on the next start; the theme
applies at once, app-wide, and `saved` tells the live window's controller the new devices and pause.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from copilot.config.settings import NO_MICROPHONE
from copilot.errors import UserError
from ui.common.bridge import BackgroundTask, Progress
from ui.common.theme import apply_theme, color, set_window_sheet
from ui.common.widgets import STYLE
from ui.settings.models_page import ModelsPage
from ui.settings.store import (
    MERGE_RANGE,
    PAUSE_RANGE,
    THEMES,
    WHISPER_SIZES,
    SettingsForm,
    SettingsInvalid,
    is_first_run,
    read_form,
    save_form,
)

__all__ = ["SettingsDialog", "doctor_html", "is_first_run", "open_settings_dialog"]

DIALOG_STYLE = (
    STYLE
    + """
QDialog { background: @window; }
QLineEdit { background: @pane; border: 1px solid @border; border-radius: 5px; padding: 4px 6px;
  selection-background-color: @accent; }
QLineEdit:focus { border: 1px solid @focus; }
QTabWidget::pane { border: 1px solid @divider; border-radius: 6px; top: -1px; background: @pane; }
QTabBar::tab { background: @surface; color: @text_secondary; padding: 5px 14px; border: 1px solid @divider;
  border-bottom: none; border-top-left-radius: 5px; border-top-right-radius: 5px; margin-right: 2px; }
QTabBar::tab:selected { background: @pane; color: @text_strong; }
QWidget#page { background: @pane; }
QLabel#hint { color: @text_muted; font-size: 12px; }
QLabel#pageTitle { font-size: 16px; font-weight: 600; color: @text_strong; }
QLabel#error { color: @banner_text; background: @banner_bg; border: 1px solid @banner_border; border-radius: 5px;
  padding: 6px; }
QFrame#info { background: @callout; border: 1px solid @accent; border-radius: 6px; }
"""
)


def _mark(token: str) -> str:
    """A status dot in the token's colour, for rich text (asked when drawn, so it follows the theme)."""
    return f'<span style="color:{color(token)}">●</span>'


RESTART_NOTE = "Model changes apply the next time Interview Copilot starts; timing and audio apply to the next session."
BACKEND_LABELS = {
    "packaged": "Packaged SmolLM2 (small, offline)",
    "gguf": "A GGUF model file",
    "server": "An OpenAI-compatible server",
    "none": "None (grounded bullets only)",
}


def _default_doctor() -> dict[str, Any]:
    from copilot.cli.doctor import doctor_report

    return doctor_report()


def _default_devices() -> list[dict[str, Any]]:
    from copilot.audio.devices import list_devices

    return list_devices()


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    return label


def _page() -> tuple[QWidget, QVBoxLayout]:
    page = QWidget()
    page.setObjectName("page")
    layout = QVBoxLayout(page)
    layout.setContentsMargins(14, 14, 14, 14)
    layout.setSpacing(10)
    return page, layout


class SettingsDialog(QDialog):
    saved = Signal(object)  # the SettingsForm just written

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        first_run: bool = False,
        config_path: Path | None = None,
        doctor: Callable[[], dict[str, Any]] = _default_doctor,
        devices: Callable[[], list[dict[str, Any]]] = _default_devices,
        set_key: Callable[[str, str], None] | None = None,
        start_checks: bool = True,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Interview Copilot" if first_run else "Settings")
        set_window_sheet(self, DIALOG_STYLE)
        self.resize(720, 560)
        self._path = config_path
        self._set_key = set_key
        self._doctor = doctor
        self._devices = devices
        self._task: BackgroundTask | None = None
        self.report: dict[str, Any] | None = None
        self.load_error: str | None = None
        try:
            form = read_form(config_path)
        except UserError as exc:  # a broken file: start from the defaults, say so, overwrite only on OK
            form, self.load_error = SettingsForm(), str(exc)
        self.form = form

        self.tabs = QTabWidget()
        self.first_run_page: QWidget | None = None
        if first_run:
            self.first_run_page = self._build_first_run()
            self.tabs.addTab(self.first_run_page, "First run")
        self.tabs.addTab(self._build_models(form), "Models")
        self.models_page = ModelsPage(config_path=config_path)  # the catalogue: get, use, remove
        self.models_page.used.connect(self._models_used)
        self.tabs.addTab(self.models_page, "Get models")
        self.tabs.addTab(self._build_audio(form), "Audio")
        self.tabs.addTab(self._build_timing(form), "Timing")
        self.tabs.addTab(self._build_appearance(form), "Appearance && history")

        self.error_label = QLabel()
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(bool(self.load_error))
        self.error_label.setText(self.load_error or "")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(_hint(RESTART_NOTE))
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        if start_checks:
            self.start_checks()

    # --- pages ---

    def _build_first_run(self) -> QWidget:
        page, layout = _page()
        title = QLabel("Let's check your setup")
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        layout.addWidget(
            _hint(
                "Everything runs on this computer. Below is what was found; pick your microphone and the "
                "interviewer's audio on the Audio tab, then press OK to save."
            )
        )
        self.doctor_label = QLabel("Checking models and audio…")
        self.doctor_label.setWordWrap(True)
        self.doctor_label.setTextFormat(Qt.TextFormat.RichText)
        self.doctor_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.doctor_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        host = QWidget()
        host.setObjectName("page")
        host_layout = QVBoxLayout(host)
        host_layout.setContentsMargins(0, 0, 0, 0)
        host_layout.addWidget(self.doctor_label)
        host_layout.addStretch(1)
        scroll.setWidget(host)
        layout.addWidget(scroll, 1)
        return page

    def _build_models(self, form: SettingsForm) -> QWidget:
        page, layout = _page()
        grid = QFormLayout()
        self.whisper_combo = QComboBox()
        self.whisper_combo.setEditable(True)
        self.whisper_combo.addItems(list(WHISPER_SIZES))
        self.whisper_combo.setCurrentText(form.whisper)
        browse = QPushButton("Folder…")
        browse.clicked.connect(self._pick_whisper_folder)
        row = QHBoxLayout()
        row.addWidget(self.whisper_combo, 1)
        row.addWidget(browse)
        grid.addRow("Speech model", row)
        layout.addLayout(grid)
        layout.addWidget(_hint("tiny.en is fastest; base.en and small.en are more accurate but slower on 2 cores."))

        layout.addWidget(QLabel("Language model for answer bullets"))
        self.backend_group = QButtonGroup(self)
        self.backend_radios: dict[str, QRadioButton] = {}
        for key, text in BACKEND_LABELS.items():
            radio = QRadioButton(text)
            self.backend_radios[key] = radio
            self.backend_group.addButton(radio)
            radio.toggled.connect(self._backend_changed)
            layout.addWidget(radio)
            if key == "gguf":
                self.gguf_edit = QLineEdit(form.gguf_path)
                self.gguf_edit.setPlaceholderText("/path/to/model.gguf")
                gguf_browse = QPushButton("Browse…")
                gguf_browse.clicked.connect(self._pick_gguf)
                self.gguf_row = QWidget()
                gguf_layout = QHBoxLayout(self.gguf_row)
                gguf_layout.setContentsMargins(24, 0, 0, 0)
                gguf_layout.addWidget(self.gguf_edit, 1)
                gguf_layout.addWidget(gguf_browse)
                layout.addWidget(self.gguf_row)
            if key == "server":
                self.server_url_edit = QLineEdit(form.server_url)
                self.server_url_edit.setPlaceholderText("http://localhost:8080/v1")
                self.server_model_edit = QLineEdit(form.server_model)
                self.api_key_edit = QLineEdit()
                self.api_key_edit.setEchoMode(QLineEdit.EchoMode.Password)
                self.api_key_edit.setPlaceholderText("kept in the system keychain; leave empty to keep the stored key")
                self.server_box = QWidget()
                server_form = QFormLayout(self.server_box)
                server_form.setContentsMargins(24, 0, 0, 0)
                server_form.addRow("URL", self.server_url_edit)
                server_form.addRow("Model", self.server_model_edit)
                server_form.addRow("API key", self.api_key_edit)
                layout.addWidget(self.server_box)
        self.backend_radios.get(form.backend, self.backend_radios["packaged"]).setChecked(True)
        self._backend_changed()
        layout.addStretch(1)
        return page

    def _models_used(self, _name: str) -> None:
        """`Use` on the Get models tab wrote the file: show its choice here too, so OK does not undo it."""
        form = read_form(self._path)
        self.whisper_combo.setCurrentText(form.whisper)
        self.gguf_edit.setText(form.gguf_path)
        self.backend_radios.get(form.backend, self.backend_radios["packaged"]).setChecked(True)

    def _build_audio(self, form: SettingsForm) -> QWidget:
        page, layout = _page()
        grid = QFormLayout()
        self.mic_combo = QComboBox()
        self.system_combo = QComboBox()
        for combo, value in ((self.mic_combo, form.microphone), (self.system_combo, form.system_audio)):
            combo.addItem("System default", "")
            if combo is self.mic_combo:
                combo.addItem("No microphone", NO_MICROPHONE)
            if value and combo.findData(value) < 0:
                combo.addItem(value, value)
            combo.setCurrentIndex(max(0, combo.findData(value)))
        grid.addRow("Your microphone", self.mic_combo)
        grid.addRow("Interviewer (system audio)", self.system_combo)
        layout.addLayout(grid)
        self.devices_note = _hint("Listing audio devices…")
        layout.addWidget(self.devices_note)
        self.loopback_help = _hint("")
        layout.addWidget(self.loopback_help)
        layout.addStretch(1)
        return page

    def _build_timing(self, form: SettingsForm) -> QWidget:
        page, layout = _page()
        grid = QFormLayout()
        self.pause_spin = QDoubleSpinBox()
        self.pause_spin.setRange(*PAUSE_RANGE)
        self.pause_spin.setSingleStep(0.05)
        self.pause_spin.setDecimals(2)
        self.pause_spin.setSuffix(" s")
        self.pause_spin.setValue(form.pause_s)
        self.merge_spin = QDoubleSpinBox()
        self.merge_spin.setRange(*MERGE_RANGE)
        self.merge_spin.setSingleStep(0.25)
        self.merge_spin.setDecimals(2)
        self.merge_spin.setSuffix(" s")
        self.merge_spin.setValue(form.merge_window_s)
        grid.addRow("Pause that ends a question", self.pause_spin)
        grid.addRow("Merge window", self.merge_spin)
        layout.addLayout(grid)
        layout.addWidget(
            _hint(
                "A shorter pause shows answers sooner but may cut a question that has a hesitation in it; "
                "if the interviewer goes on within the merge window, the parts are joined into one question."
            )
        )
        layout.addStretch(1)
        return page

    def _build_appearance(self, form: SettingsForm) -> QWidget:
        page, layout = _page()
        grid = QFormLayout()
        self.theme_combo = QComboBox()
        for theme in THEMES:
            self.theme_combo.addItem(theme.capitalize(), theme)
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(form.theme)))
        grid.addRow("Theme", self.theme_combo)
        layout.addLayout(grid)
        layout.addSpacing(12)
        self.history_check = QCheckBox("Save session history")
        self.history_check.setChecked(form.history)
        layout.addWidget(self.history_check)
        layout.addWidget(
            _hint(
                "Each live, rehearsal and drill session is kept on this computer, encrypted, with its key in "
                "the system keychain (or in the file COPILOT_HISTORY_KEY_FILE names). Ctrl+H in the live "
                "window lists, exports and deletes them. COPILOT_HISTORY=off turns it off whatever this says."
            )
        )
        layout.addStretch(1)
        return page

    # --- actions ---

    def _backend_changed(self, *_: object) -> None:
        if not hasattr(self, "server_box"):
            return  # still building
        self.gguf_row.setEnabled(self.backend_radios["gguf"].isChecked())
        self.server_box.setEnabled(self.backend_radios["server"].isChecked())

    def _pick_whisper_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Whisper model folder (CTranslate2)")
        if folder:
            self.whisper_combo.setCurrentText(folder)

    def _pick_gguf(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "GGUF model", "", "GGUF models (*.gguf);;All files (*)")
        if name:
            self.gguf_edit.setText(name)
            self.backend_radios["gguf"].setChecked(True)

    def current_form(self) -> SettingsForm:
        backend = next((k for k, r in self.backend_radios.items() if r.isChecked()), "packaged")
        return SettingsForm(
            whisper=self.whisper_combo.currentText().strip(),
            backend=backend,
            gguf_path=self.gguf_edit.text().strip(),
            server_url=self.server_url_edit.text().strip(),
            server_model=self.server_model_edit.text().strip(),
            api_key=self.api_key_edit.text(),
            microphone=str(self.mic_combo.currentData() or ""),
            system_audio=str(self.system_combo.currentData() or ""),
            pause_s=self.pause_spin.value(),
            merge_window_s=self.merge_spin.value(),
            theme=str(self.theme_combo.currentData()),
            history=self.history_check.isChecked(),
        )

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(True)

    def accept(self) -> None:
        form = self.current_form()
        try:
            self.saved_path = save_form(form, self._path, self._set_key)
        except SettingsInvalid as exc:
            self.show_error("Not saved: " + "; ".join(exc.errors.values()))
            return
        except UserError as exc:  # no keychain, or the file cannot be written
            self.show_error(f"Not saved: {exc}")
            return
        apply_theme(form.theme)  # every window, this one included, at once
        self.saved.emit(form)
        super().accept()

    # --- background checks ---

    def start_checks(self) -> None:
        doctor, devices = self._doctor, self._devices

        def work(_: Progress) -> dict[str, Any]:
            out: dict[str, Any] = {}
            try:
                out["report"] = doctor()
            except Exception as exc:  # shown in the dialog; the settings still work without it
                out["report"] = {"error": str(exc)}
            try:
                out["devices"] = devices()
            except Exception as exc:
                out["devices"], out["devices_error"] = [], str(exc)
            return out

        self._task = BackgroundTask(work, self)
        self._task.finished.connect(self.show_checks)
        self._task.start()

    def show_checks(self, result: dict[str, Any]) -> None:
        self.report = result.get("report") or {}
        self._fill_devices(result.get("devices") or [], result.get("devices_error"))
        loop = self.report.get("loopback") or {}
        self.loopback_help.setText(loop.get("help", ""))
        if self.first_run_page is not None:
            self.doctor_label.setText(doctor_html(self.report))

    def _fill_devices(self, devices: list[dict[str, Any]], error: str | None) -> None:
        for combo, loopback in ((self.mic_combo, False), (self.system_combo, True)):
            current = combo.currentData()
            combo.clear()
            combo.addItem("System default", "")
            if not loopback:
                combo.addItem("No microphone", NO_MICROPHONE)
            for d in devices:
                if bool(d.get("is_loopback_candidate")) == loopback:
                    combo.addItem(str(d["name"]), str(d["name"]))
            index = combo.findData(current)
            if index < 0 and current:
                combo.addItem(f"{current} (not connected)", current)
                index = combo.count() - 1
            combo.setCurrentIndex(max(0, index))
        if error:
            self.devices_note.setText(f"Audio devices could not be listed: {error}")
        else:
            self.devices_note.setText(
                f"{len(devices)} input device(s) found. “System default” follows your OS setting."
            )


def doctor_html(report: dict[str, Any]) -> str:
    """The first-run page's text: each model found or missing with what to do, then system audio."""
    esc = html.escape
    ok, missing, optional = _mark("success"), _mark("danger"), _mark("warning")
    if "error" in report or "config_error" in report:
        return f"{missing} The setup check failed: {esc(report.get('error') or report.get('config_error', ''))}"
    parts = ["<p><b>Models</b></p><table cellspacing='4'>"]
    for m in report.get("models", []):
        if m.get("found"):
            mark, detail = ok, f"found: {esc(str(m.get('path', '')))} ({esc(str(m.get('source', '')))})"
        else:
            mark = missing if m.get("required") else optional
            detail = "missing: " + esc(str(m.get("error", "not found")))
            if not m.get("required"):
                detail += " <i>(not needed with the current settings)</i>"
        parts.append(f"<tr><td>{mark}</td><td><b>{esc(m['name'])}</b></td><td>{detail}</td></tr>")
    parts.append("</table>")
    parts.append(_catalogue_html(report.get("catalogue") or {}))
    audio = report.get("audio") or {}
    inputs = audio.get("input_devices") or []
    parts.append("<p><b>Audio</b></p>")
    if audio.get("error"):
        parts.append(f"<p>{missing} {esc(str(audio['error']))}</p>")
    else:
        parts.append(f"<p>{ok if inputs else missing} {len(inputs)} input device(s) found</p>")
    loop = report.get("loopback") or {}
    available = bool(loop.get("available"))
    parts.append(
        f"<p><b>System audio (the interviewer)</b></p><p>{ok if available else missing} "
        f"{'available' if available else 'not found'} on {esc(str(report.get('platform', 'this system')))}</p>"
        f"<p>{esc(str(loop.get('help', '')))}</p>"
    )
    if report.get("config_file"):
        parts.append(f"<p style='color:{color('text_muted')}'>Settings file: {esc(str(report['config_file']))}</p>")
    return "".join(parts)


def open_settings_dialog(parent: QWidget | None = None, first_run: bool = False) -> SettingsDialog:
    """Open the dialog without blocking; the caller keeps the returned reference while it is open."""
    dialog = SettingsDialog(parent, first_run=first_run)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def _catalogue_html(cat: dict[str, Any]) -> str:
    """Which catalogue models are installed and which suit this machine (doctor's `catalogue`)."""
    if not cat or cat.get("error"):
        return ""
    esc = html.escape
    text = f"<p>Installed models: {esc(', '.join(cat.get('installed', [])) or 'none')}</p>"
    if cat.get("recommended"):
        memory = f" ({cat['memory_gb']} GB)" if cat.get("memory_gb") else ""
        names = esc(", ".join(cat["recommended"]))
        text += f"<p>Recommended for this machine's memory{memory}: {names}, on the Get models tab.</p>"
    return text
