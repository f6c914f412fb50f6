"""The Models page of the Settings dialog: the catalogue of models/manifest.toml as a table, with Get
(progress: bytes, rate, time left; Cancel keeps the partial file for a resume), Use and Remove.

The work is `copilot.config.model_install`, the same as `copilot models`; this page only draws it. The
download runs on a pool thread (ui.common.bridge.BackgroundTask); its progress comes back as a Qt signal.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from copilot.config import model_catalog, model_install
from copilot.config.downloads import DownloadCancelled, Progress, format_progress
from copilot.config.model_catalog import Entry
from copilot.errors import UserError
from ui.common.bridge import BackgroundTask

COLUMNS = ("Model", "Kind", "Size", "RAM", "Installed", "Good for")


class ModelsPage(QWidget):
    """`used(name)` fires after Use wrote the setting, so the dialog can reload its form."""

    used = Signal(str)
    download_progress = Signal(int, str)  # percent (-1 unknown), text; emitted from the pool thread

    def __init__(
        self,
        catalog: list[Entry] | None = None,
        root: Path | None = None,
        config_path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._catalog = model_catalog.load_catalog() if catalog is None else catalog
        self._root, self._config_path = root, config_path
        self._task: BackgroundTask | None = None
        self._cancel = threading.Event()
        self._last_progress = 0.0
        self._build()
        self.download_progress.connect(self._show_progress)
        self.refresh()

    def _build(self) -> None:
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.get_button, self.cancel_button = QPushButton("Get"), QPushButton("Cancel")
        self.use_button, self.remove_button = QPushButton("Use"), QPushButton("Remove")
        self.allow_unverified = QCheckBox("Allow files without a checked sha256")
        self.get_button.clicked.connect(self.start_get)
        self.cancel_button.clicked.connect(lambda: self._cancel.set())  # the current download's event
        self.use_button.clicked.connect(self.use_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.progress_bar = QProgressBar()
        self.progress_bar.setVisible(False)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.get_button, self.cancel_button, self.use_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addWidget(self.allow_unverified)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status)

    def refresh(self) -> None:
        selected = self.selected()
        self.table.setRowCount(len(self._catalog))
        memory = model_catalog.total_memory_bytes()
        recommended = {e.name for e in model_catalog.recommended(self._catalog, memory)}
        for row, entry in enumerate(self._catalog):
            installed = model_catalog.installed_path(entry, self._root) is not None
            state = "yes" if installed else ("unavailable" if entry.unavailable else "no")
            name = entry.name + (" (recommended)" if entry.name in recommended else "")
            size = f"{entry.approx_bytes() / 1e6:.0f} MB" if entry.approx_bytes() else "-"
            cells = (name, entry.kind, size, f"{entry.ram_mb / 1000:.1f} GB", state, entry.good_for)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{entry.description}\nlicence: {entry.licence}\n{entry.unavailable}".strip())
                self.table.setItem(row, column, item)
        if selected is not None:
            self.select(selected.name)
        self._update_buttons()

    def select(self, name: str) -> None:
        for row, entry in enumerate(self._catalog):
            if entry.name == name:
                self.table.selectRow(row)

    def selected(self) -> Entry | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self._catalog[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        entry, busy = self.selected(), self._task is not None
        installed = entry is not None and model_catalog.installed_path(entry, self._root) is not None
        can_get = entry is not None and entry.kind != "packaged" and not entry.unavailable
        self.get_button.setEnabled(can_get and not busy)
        self.cancel_button.setEnabled(busy)
        self.use_button.setEnabled(installed and bool(entry and entry.setting) and not busy)
        self.remove_button.setEnabled(installed and bool(entry and entry.kind != "packaged") and not busy)

    # --- get ---------------------------------------------------------------------------------------

    def start_get(self) -> None:
        entry = self.selected()
        if entry is None or self._task is not None:
            return
        self._cancel = threading.Event()
        allow, cancel = self.allow_unverified.isChecked(), self._cancel

        def work(_progress: Any) -> Path:
            return model_install.get(
                entry, root=self._root, allow_unverified=allow, progress=self._report, cancel=cancel
            )

        self._task = BackgroundTask(work, self)
        self._task.finished.connect(lambda path: self._done(f"installed {entry.name} in {path}"))
        self._task.failed.connect(self._failed)
        self.progress_bar.setRange(0, 0)  # busy until the first figures come
        self.progress_bar.setVisible(True)
        self.status.setText(f"getting {entry.name}…")
        self._update_buttons()
        self._task.start()

    def _report(self, p: Progress) -> None:
        """On the pool thread: at most 10 updates a second cross to the GUI thread."""
        now = time.monotonic()
        if now - self._last_progress < 0.1 and not (p.total and p.done >= p.total):
            return
        self._last_progress = now
        percent = int(100 * p.done / p.total) if p.total else -1
        self.download_progress.emit(percent, format_progress(p))

    def _show_progress(self, percent: int, text: str) -> None:
        if percent >= 0:
            self.progress_bar.setRange(0, 100)
            self.progress_bar.setValue(percent)
        self.status.setText(text)

    def _done(self, message: str) -> None:
        self._task = None
        self.progress_bar.setVisible(False)
        self.status.setText(message)
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, DownloadCancelled):
            self._done(f"{exc} (Get resumes it)")
        elif isinstance(exc, UserError):
            self._done(str(exc))
        else:
            self._done(f"the download failed: {exc!r}")

    # --- use / remove ------------------------------------------------------------------------------

    def use_selected(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        try:
            values = model_install.use(entry, self._root, self._config_path)
        except UserError as exc:
            self.status.setText(str(exc))
            return
        text = ", ".join(f"[{s}] {k} = {v}" for s, keys in values.items() for k, v in keys.items())
        self.status.setText(f"now using {entry.name}: {text}")
        self.used.emit(entry.name)

    def remove_selected(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        try:
            removed = model_install.remove(entry, self._root)
        except UserError as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(f"removed {entry.name}" if removed else f"{entry.name} was not installed")
        self.refresh()
