"""Answering a question out loud, shared by the rehearsal room and the drill: the Record and Answer-file
buttons with the microphone behind them (`AnswerRecording`, over `MicRecorder`), the devices they use,
and the panel that shows an answer's transcript, delivery metrics, suggestions and checks
(`FeedbackPanel`). The windows decide what an answer is scored against; this module only records and
renders."""

from __future__ import annotations

import html
import threading
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QFrame, QLabel, QPushButton, QTextBrowser, QWidget

from ui.common.bridge import CoreBridge
from ui.common.theme import color
from ui.common.widgets import bullet_html, metric_box, wrapped_label

if TYPE_CHECKING:
    from copilot.practice.feedback import AnswerFeedback, Delivery

AUDIO_FILTER = "Audio (*.wav *.mp3 *.m4a *.flac *.ogg *.opus *.webm);;All files (*)"
TRANSCRIPT_HINT = "Your answer's transcript appears here."
SAMPLE_RATE = 16_000
METRIC_TEXT: dict[str, Callable[[Delivery], str]] = {  # a delivery metric as its box shows it
    "pace": lambda d: f"{d.words_per_minute:.0f}",
    "fillers": lambda d: str(d.filler_count),
    "pause": lambda d: _pause_text(d),
    "duration": lambda d: f"{d.duration_s:.0f} s",
}


def _pause_text(delivery: Delivery) -> str:
    """The longest silence between two words; "–" when fewer than two words were heard."""
    if delivery.words < 2:
        return "–"
    return f"{delivery.longest_pause_s:.1f} s"


# --- the devices an answer is recorded and played with (injected, so tests need none) ----------------


def default_decode(path: Path) -> np.ndarray:
    from copilot.audio.decode import load_audio

    return load_audio(path)


def probe_audio_devices() -> tuple[str | None, str | None]:
    """(why there is no microphone, why there is no output); None where the device exists."""
    try:
        from copilot.audio.devices import import_sounddevice

        sd = import_sounddevice()
        devices = list(sd.query_devices())
    except Exception as exc:  # UserError (no PortAudio) or PortAudioError
        reason = str(exc) or type(exc).__name__
        return reason, reason
    has_in = any(int(d.get("max_input_channels", 0)) > 0 for d in devices)
    has_out = any(int(d.get("max_output_channels", 0)) > 0 for d in devices)
    return (
        None if has_in else "No microphone was found (PortAudio lists no input device)",
        None if has_out else "No audio output was found (PortAudio lists no output device)",
    )


def default_microphone() -> Any:
    from copilot.audio.sources import MicrophoneSource

    return MicrophoneSource()


def default_play(samples: np.ndarray) -> None:
    from copilot.audio.devices import import_sounddevice

    sd = import_sounddevice()
    sd.play(samples, SAMPLE_RATE)
    sd.wait()


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
        self._bridge.core_event.connect(self._on_ended)

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
        self.core_event.connect(self._message)

    def _message(self, message: object) -> None:
        if not self._warned:
            self._warned = True
            self.error.emit(str(message))


def checks_html(checks: dict[str, Any]) -> str:
    rows = []
    for key, value in checks.items():
        name = html.escape(key.replace("_", " "))
        if isinstance(value, bool):
            tick, token = ("✔", "success") if value else ("✘", "danger")
            mark = f"<span style='color:{color(token)}'>{tick}</span>"
            rows.append(f"{mark} {name}")
        else:
            rows.append(f"<span style='color:{color('link')}'>{html.escape(str(value))}</span> {name}")
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

    def render(self, feedback: AnswerFeedback) -> None:
        transcript = feedback.transcript
        self.transcript_view.setPlainText(transcript)
        if not transcript.strip():
            self.transcript_view.setPlaceholderText("No speech was recognised in the answer.")
        for key, label in self.metric_labels.items():
            label.setText(METRIC_TEXT[key](feedback.delivery))
        if feedback.heard_only_filler and transcript.strip():
            # What speech recognition invents in silence or noise ("you", "Thank you."): not an answer to score.
            self.suggestions_label.setText(bullet_html([filler_warning(transcript)]))
        else:
            tips = list(feedback.suggestions)
            self.suggestions_label.setText(bullet_html(tips) or "<i>Nothing to add: a solid answer.</i>")
        self.checks_label.setText(checks_html(feedback.checks) or "<i>No checks for this question type.</i>")


def filler_warning(transcript: str) -> str:
    from copilot.practice.filler import filler_error

    return filler_error("Your answer", transcript, heard="answer") + " or the microphone"


class AnswerRecording(QObject):
    """The Record and Answer-file buttons of a practice window, with the microphone behind them. An answer,
    recorded or from a file, comes out as `answer(samples_work, answer_file_or_None, status)`, where
    `samples_work` is a callable for a pool thread (stopping a microphone or decoding a file blocks).
    `may_record`, a method of the window, says whether recording can start now (a question is up, nothing
    busy); it is held weakly, so the panel does not keep a closed window alive. `update()` sets the
    buttons from the window's state."""

    answer = Signal(object, object, str)
    started = Signal()
    error = Signal(object)

    def __init__(
        self,
        parent: QObject,
        microphone: Callable[[], Any],
        decode: Callable[[Path], np.ndarray],
        may_record: Callable[[], bool],
        *,
        doing: str = "transcribing",
        stop_tip: str = "Stop and get feedback",
        start_tip: str = "Answer out loud",
    ) -> None:
        super().__init__(parent)
        self._decode, self._doing = decode, doing
        self._stop_tip, self._start_tip = stop_tip, start_tip
        self._may_record = weakref.WeakMethod(may_record)  # a bound method of the window
        self.recorder = MicRecorder(self, microphone)
        self.recorder.error.connect(self.error)
        self.recorder.lost.connect(self.stop)
        self.record_button = QPushButton("● Record answer")
        self.record_button.clicked.connect(self.toggle)
        self.file_button = QPushButton("Answer file…")  # short: it sits beside Record on a laptop screen
        self.file_button.setToolTip("Use a recorded answer (audio file) instead of the microphone")
        self.file_button.clicked.connect(self._file_dialog)

    @property
    def recording(self) -> bool:
        return self.recorder.recording

    def toggle(self) -> None:
        if self.recording:
            self.stop()
        else:
            self.start()

    def start(self) -> bool:
        may_record = self._may_record()
        if self.recording or may_record is None or not may_record():
            return False
        if not self.recorder.start():
            return False
        self.started.emit()
        return True

    def stop(self) -> None:
        samples = self.recorder.stop()
        if samples is not None:
            self.answer.emit(samples, None, f"{self._doing} your answer…")

    def use_file(self, path: Path | str) -> None:
        decode, path = self._decode, Path(path)
        self.answer.emit(lambda: decode(path), path, f"{self._doing} {path.name}…")

    def use_samples(self, samples: np.ndarray) -> None:
        self.answer.emit(lambda: samples, None, f"{self._doing} your answer…")

    def _file_dialog(self) -> None:
        path = ask_answer_file(self.record_button.window())
        if path:
            self.use_file(path)

    def update(self, *, can_answer: bool, no_mic: str | None, can_record_now: bool = True) -> bool:
        """Set the buttons: `can_answer` when a question waits for its answer and none is being scored;
        `can_record_now` false while the window plays something. True when recording can start or stop."""
        recording = self.recording
        record_ok = recording or (no_mic is None and can_answer and can_record_now)
        self.record_button.setEnabled(record_ok)
        self.record_button.setToolTip(no_mic or (self._stop_tip if recording else self._start_tip))
        self.record_button.setText("■ Stop" if recording else "● Record answer")
        self.record_button.setObjectName("recording" if recording else "")
        self.record_button.style().polish(self.record_button)
        self.file_button.setEnabled(can_answer and not recording)
        return record_ok

    def close(self, thread_name: str) -> None:
        self.recorder.close(thread_name)
