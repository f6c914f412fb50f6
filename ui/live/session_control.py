"""Starting, stopping and finishing live sessions for the live window.

The session itself is opened by the core (`copilot.live.wiring.open_live_session`, as `copilot listen`
opens it); here are only what the window adds: its level meters on each source, its pause, the
status strip, and a generation number so a stopped session's late events never reach the window.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QObject

from copilot.audio.levels import LevelMeter
from copilot.audio.sources import AudioSource, EndCallback, FrameCallback
from copilot.events import AudioFrame, SourceEnded
from ui.common.bridge import CoreBridge, Progress
from ui.live.tasks import TaskRunner
from ui.live.view_models import LiveViewModel

IDLE_WAIT_S = 60.0  # how long a finished replay waits for the model's last rewrite before stopping
RecorderFactory = Callable[[str, Callable[[str], None]], Any]


class MeteredSource:
    """An AudioSource that feeds a LevelMeter on the source's own thread, then passes each frame on.

    The meter is a few floats the window reads on a timer, so the audio path never touches Qt.
    """

    def __init__(self, source: AudioSource, meter: LevelMeter) -> None:
        self._source = source
        self._meter = meter
        self.speaker = source.speaker
        self.description = source.description
        # The session reads `realtime` to decide whether it may block the source (a fast replay).
        self.realtime = getattr(source, "realtime", True)

    @property
    def dropped_blocks(self) -> int:
        return self._source.dropped_blocks

    def start(self, on_frame: FrameCallback, on_end: EndCallback) -> None:
        def metered(frame: AudioFrame) -> None:
            self._meter.update(frame.samples)
            on_frame(frame)

        self._source.start(metered, on_end)

    def stop(self) -> None:
        self._source.stop()


class SessionControl(QObject):
    """One live session at a time: start (devices or a replay), stop, and wind down when it ends.

    `closing` is set by the app when the window closes: no new session starts, and a finishing one
    stops waiting for its last rewrite."""

    def __init__(
        self,
        window: Any,  # ui.live.window.LiveWindow: set_running(), pause_s()
        model: LiveViewModel,
        bridge: CoreBridge,
        runner: TaskRunner,
        history_messages: Callable[[str], None],
        closing: threading.Event,
    ) -> None:
        super().__init__(window)
        self._window, self._model, self._bridge, self._runner = window, model, bridge, runner
        self._history_messages = history_messages
        self._closing = closing
        self.recorder_factory: RecorderFactory = _session_recorder
        self.session: Any = None
        self.recorder: Any = None  # copilot.history.session.SessionRecorder of the running session
        self._generation = 0  # bumps per session, so a stopped session's late events are dropped
        self._ended_sources, self._source_count = 0, 0
        bridge.core_event.connect(self._on_event)

    def start(self, core: Any, open_sources: Callable[[], list[AudioSource]], status: str) -> None:
        if core is None or self.session is not None or self._closing.is_set():
            return
        self._generation += 1
        generation = self._generation
        self._ended_sources, self._source_count = 0, 1_000
        before = self._model.snapshot()  # a Start that fails (no sound server) must not wipe the last question
        self._model.reset()
        self._window.set_running(True)
        self._model.set_status("opening audio…")
        meters, show = self._model.meters, partial(self._session_sink, generation)
        pause_s = self._window.pause_s()  # the toolbar's pause is the one in effect for this session
        recorder = self.recorder_factory("live", self._history_messages)

        def work(_: Progress) -> Any:
            from copilot.live.wiring import open_live_session

            opened: list[AudioSource] = []

            def metered(source: AudioSource) -> AudioSource:
                opened.append(source)
                return MeteredSource(source, meters[source.speaker])

            session = open_live_session(
                core, open_sources, show, history=recorder, pause_s=pause_s, wrap_source=metered
            )
            return session, len(opened)

        def started(result: tuple[Any, int]) -> None:
            self.session, self._source_count = result
            self.recorder = recorder
            self._model.set_status(status)
            self._maybe_finish()  # a very short file may have ended before we got here

        def failed(exc: BaseException) -> None:
            recorder.close()
            self._window.set_running(False)
            if generation == self._generation:
                self._model.restore(before)
            self._show_error(exc, "not listening")

        self._runner.run(work, started, failed)

    def answer_now(self) -> None:
        if self.session is not None:
            self.session.answer_now()  # a queue offer: returns at once

    def stop(self) -> None:
        if self.session is not None:
            self._finish(self.session, wait_idle=False)

    def take(self) -> tuple[Any, Any]:
        """The running session and its recorder, handed over to be closed (the window is closing)."""
        session, recorder = self.session, self.recorder
        self.session = self.recorder = None
        return session, recorder

    def _session_sink(self, generation: int, event: object) -> None:
        """Called on the core's threads: only the current session's events reach the window."""
        if generation == self._generation:
            self._bridge.sink(event)

    def _on_event(self, event: object) -> None:
        if isinstance(event, SourceEnded):
            self._ended_sources += 1
            self._maybe_finish()

    def _maybe_finish(self) -> None:
        """Every source has ended (a replay reached its end, devices went away): wind the session down."""
        session = self.session
        if session is not None and self._ended_sources >= self._source_count:
            self._finish(session, wait_idle=True)

    def _finish(self, session: Any, wait_idle: bool) -> None:
        """Stop on a pool thread: stop() joins the audio and model threads, up to seconds."""
        self.session = None
        recorder, self.recorder = self.recorder, None
        self._window.set_running(False)
        if not wait_idle:
            self._generation += 1  # a user stop: nothing more from this session
        self._model.set_status("finishing…" if wait_idle else "stopping…")
        closing = self._closing

        def work(_: Progress) -> None:
            deadline = time.monotonic() + IDLE_WAIT_S
            # Let the last rewrite reach the window, in slices so closing the window cuts it short.
            while wait_idle and not closing.is_set() and time.monotonic() < deadline:
                if session.answerer.wait_idle(0.2):
                    break
            session.stop()
            if recorder is not None:
                recorder.close()  # after stop(): every event of the session is queued before the end

        ended = "finished: every source has ended" if wait_idle else "stopped"
        self._runner.run(work, lambda _: self._model.set_status(ended), lambda exc: self._show_error(exc, ended))

    def _show_error(self, exc: BaseException, status: str) -> None:
        self._model.add_error(str(exc) or type(exc).__name__)
        self._model.set_status(status)


def _session_recorder(kind: str, on_message: Callable[[str], None]) -> Any:
    from copilot.history.session import SessionRecorder

    return SessionRecorder(kind, on_message)
