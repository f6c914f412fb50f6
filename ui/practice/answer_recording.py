"""Answering a question out loud, shared by the rehearsal room and the drill: the microphone recording
(`MicRecorder`), the answer-file dialog, and the panel that shows an answer's transcript, delivery
metrics, suggestions and checks (`FeedbackPanel`). The windows decide what an answer is scored
against; this module only records and renders."""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QFrame, QLabel, QTextBrowser, QWidget

from ui.common.bridge import CoreBridge
from ui.common.widgets import bullet_html, metric_box, wrapped_label

AUDIO_FILTER = "Audio (*.wav *.mp3 *.m4a *.flac *.ogg *.opus *.webm);;All files (*)"
TRANSCRIPT_HINT = "Your answer's transcript appears here."
METRIC_TEXT: dict[str, Callable[[dict], str]] = {  # a delivery metric as its box shows it
    "pace": lambda d: f"{float(d.get('words_per_minute', 0)):.0f}",
    "fillers": lambda d: str(d.get("filler_count", 0)),
    "pause": lambda d: _pause_text(d),
    "duration": lambda d: f"{float(d.get('duration_s', 0)):.0f} s",
}


def _pause_text(delivery: dict) -> str:
    """The longest pause; the feedback lists only pauses over LONG_PAUSE_S, so none means "under" that."""
    from copilot.practice.feedback import LONG_PAUSE_S

    longest = float(delivery.get("longest_pause_s") or 0)
    if longest <= 0:
        return f"< {LONG_PAUSE_S:.1f} s" if delivery.get("words") else "–"
    return f"{longest:.1f} s"


def ask_answer_file(parent: QWidget) -> Path | None:
    """The dialog for a recorded answer (an audio file) used instead of the microphone."""
    path, _ = QFileDialog.getOpenFileName(parent, "Use a recorded answer", "", AUDIO_FILTER)
    return Path(path) if path else None


class MicRecorder(QObject):
    """The microphone while an answer is being recorded: frames are kept as they arrive (on the source's
    thread); `stop()` hands back the work that stops the source and joins the frames, for a pool thread.
    A microphone that does not open is reported as `error`; one that ends on its own (unplugged, a device
    error) as `error`, then `lost`, so the window can stop and use what was recorded. (Signals, not
    stored callbacks: the window's methods would keep the window alive.)"""

    error = Signal(object)  # an exception or a message
    lost = Signal()

    def __init__(self, parent: QObject, microphone: Callable[[], Any]) -> None:
        super().__init__(parent)
        self._microphone = microphone
        self._mic: Any = None
        self._frames: list[np.ndarray] = []
        self._frames_lock = threading.Lock()
        self._bridge = CoreBridge(self)
        self._bridge.event.connect(self._on_ended)

    @property
    def recording(self) -> bool:
        return self._mic is not None

    def start(self) -> bool:
        """Open the microphone and start keeping frames; False (the error shown) when it cannot."""
        with self._frames_lock:
            self._frames = []
        bridge = self._bridge
        try:
            mic = self._microphone()
            mic.start(self._on_frame, lambda reason: bridge.sink(("ended", reason)))
        except Exception as exc:
            self.error.emit(exc)
            return False
        self._mic = mic
        return True

    def stop(self) -> Callable[[], np.ndarray] | None:
        """The recorded samples as work for a pool thread (it stops the source); None if not recording."""
        mic, self._mic = self._mic, None
        if mic is None:
            return None
        lock = self._frames_lock

        def samples() -> np.ndarray:
            mic.stop()  # joins the source's threads: never on the GUI thread
            with lock:
                frames = list(self._frames)
            if not frames:
                raise ValueError("nothing was recorded; check the microphone")
            return np.concatenate(frames)

        return samples

    def close(self, thread_name: str) -> None:
        """The window is closing: no more events, and a running source stops on a daemon thread."""
        self._bridge.close()
        mic, self._mic = self._mic, None
        if mic is not None:
            threading.Thread(target=mic.stop, name=thread_name, daemon=True).start()

    def _on_frame(self, frame: Any) -> None:  # a source thread
        with self._frames_lock:
            self._frames.append(np.asarray(frame.samples, dtype=np.float32))

    def _on_ended(self, event: object) -> None:
        reason = event[1] if isinstance(event, tuple) else None
        if self._mic is not None and reason and reason != "stopped":
            self.error.emit(str(reason))
            self.lost.emit()


class HistoryMessages(CoreBridge):
    """The bridge a window's history session (copilot.history.session.SessionRecorder) reports through.
    Why the practice is not saved (no keychain, a wrong key) comes out as `error`, once per window."""

    error = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._warned = False
        self.event.connect(self._message)

    def _message(self, message: object) -> None:
        if not self._warned:
            self._warned = True
            self.error.emit(str(message))


def checks_html(checks: dict[str, Any]) -> str:
    rows = []
    for key, value in checks.items():
        name = html.escape(key.replace("_", " "))
        if isinstance(value, bool):
            mark = "<span style='color:#5fb37a'>✔</span>" if value else "<span style='color:#e06c6c'>✘</span>"
            rows.append(f"{mark} {name}")
        else:
            rows.append(f"<span style='color:#7fa7d4'>{html.escape(str(value))}</span> {name}")
    return "<br>".join(rows)


class FeedbackPanel:
    """The widgets that show one answer's feedback; the window lays them out. `metrics` are (key,
    caption) pairs out of pace, fillers, pause and duration."""

    def __init__(self, metrics: Sequence[tuple[str, str]], transcript_height: tuple[int, int]) -> None:
        self.transcript_view = QTextBrowser()
        self.transcript_view.setPlaceholderText(TRANSCRIPT_HINT)
        self.transcript_view.setMinimumHeight(transcript_height[0])
        self.transcript_view.setMaximumHeight(transcript_height[1])
        self.metric_boxes: list[QFrame] = []
        self.metric_labels: dict[str, QLabel] = {}
        for key, caption in metrics:
            box, self.metric_labels[key] = metric_box(caption)
            self.metric_boxes.append(box)
        self.suggestions_label = wrapped_label("")
        self.suggestions_label.setTextFormat(Qt.TextFormat.RichText)
        self.checks_label = wrapped_label("")
        self.checks_label.setTextFormat(Qt.TextFormat.RichText)

    def clear(self) -> None:
        self.transcript_view.clear()
        self.transcript_view.setPlaceholderText(TRANSCRIPT_HINT)
        for label in self.metric_labels.values():
            label.setText("–")
        self.suggestions_label.clear()
        self.checks_label.clear()

    def waiting(self, status: str) -> None:
        """An answer is being transcribed and scored: says so where the transcript will be."""
        self.clear()
        self.transcript_view.setPlaceholderText(status)

    def failed(self) -> None:
        self.transcript_view.setPlaceholderText(TRANSCRIPT_HINT)

    def render(self, feedback: dict) -> None:
        transcript = feedback.get("transcript") or ""
        self.transcript_view.setPlainText(transcript)
        if not transcript.strip():
            self.transcript_view.setPlaceholderText("No speech was recognised in the answer.")
        d = feedback.get("delivery") or {}
        for key, label in self.metric_labels.items():
            label.setText(METRIC_TEXT[key](d))
        tips = list(feedback.get("suggestions") or [])
        self.suggestions_label.setText(bullet_html(tips) or "<i>Nothing to add: a solid answer.</i>")
        checks = (feedback.get("content") or {}).get("checks") or {}
        self.checks_label.setText(checks_html(checks) or "<i>No checks for this question type.</i>")
