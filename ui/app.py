"""The desktop app's wiring: the windows, their menus, and the live window's controller.

The window appears at once; the models load on a pool thread (`open_core` takes seconds) with their
progress in the status strip. The controller owns the core and hands each job to its own part in
ui/live/: `TaskRunner` (background work), `SessionControl` (live sessions), `StorySync` (the story
index kept in step with the folder); what stays here is what reaches other window families: the
saved settings (theme, devices, pause: ui/settings) and the history messages (ui/practice).
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox

from copilot.audio.sources import AudioSource
from copilot.config import paths
from copilot.errors import UserError
from ui.common.bridge import CoreBridge, Progress
from ui.common.qt_check import binding_problem
from ui.common.theme import apply_theme
from ui.library.window import open_library_window
from ui.live.session_control import MeteredSource, RecorderFactory, SessionControl
from ui.live.story_sync import StorySync
from ui.live.tasks import TaskRunner
from ui.live.view_models import LiveViewModel
from ui.live.window import LiveWindow
from ui.practice.answer_recording import HistoryMessages
from ui.practice.rehearsal_window import open_rehearsal_window
from ui.settings.dialog import is_first_run, open_settings_dialog
from ui.settings.store import SettingsForm, read_form, save_live_choices

__all__ = ["App", "LiveController", "MeteredSource", "main"]
log = logging.getLogger(__name__)
PAUSE_SAVE_DELAY_MS = 500  # the pause spin box steps in 0.05 s clicks: save once the user settles
WATCHER_JOIN_S = 30.0  # closing waits this long for a re-index in flight before closing the core anyway
HISTORY_CLOSE_S = 10.0  # closing waits this long for the session history to be written and closed


class LiveController(QObject):
    """Owns the core; loads it, lists the devices, applies and saves the toolbar's settings, closes."""

    def __init__(
        self,
        window: LiveWindow,
        model: LiveViewModel,
        bridge: CoreBridge,
        stories: str | None = None,
        no_llm: bool = False,
    ) -> None:
        super().__init__(window)
        self.window, self.model, self.bridge = window, model, bridge
        self.stories, self.no_llm = stories, no_llm
        self.core: Any = None
        self._pending_replay: str | None = None
        self._closing: Callable[[], None] | None = None  # set by shutdown(): what to call once closed
        self._closing_now = threading.Event()  # read by pool threads that may wait a long time
        self.tasks = TaskRunner(self, model.set_status)
        self.tasks.on_idle = self._close_when_idle  # a shutdown may be waiting for the last task
        self.story_sync = StorySync(model, self._closing_now, self)
        # Session history: one recorder per session; its messages (no keychain...) reach the banner once.
        self._history_bridge = HistoryMessages(self)
        self._history_bridge.error.connect(self.model.add_error)
        self.sessions = SessionControl(window, model, bridge, self.tasks, self._history_bridge.sink, self._closing_now)
        self._unsaved: dict[str, Any] = {}  # toolbar choices waiting to be written
        self._saving = False  # one settings write at a time, in the order the user made them
        self._devices_known = False  # the pickers are filled (the device list comes from a pool thread)
        # The file is fixed now: a save that lands later (the pause is saved after a delay) must go to
        # the file this window read, never to wherever the config folder points by then.
        self._settings_file = paths.config_file()
        self._pause_timer = QTimer(self)
        self._pause_timer.setSingleShot(True)
        self._pause_timer.setInterval(PAUSE_SAVE_DELAY_MS)
        self._pause_timer.timeout.connect(lambda: self._save_choices(pause_s=self.window.pause_s()))
        bridge.core_event.connect(model.apply)
        window.start_requested.connect(self.start_devices)
        window.stop_requested.connect(self.stop)
        window.replay_requested.connect(self.replay)
        window.answer_now_requested.connect(self.sessions.answer_now)
        window.devices_chosen.connect(self._devices_chosen)
        window.pause_changed.connect(lambda _: self._pause_timer.start())
        self.settings = self._read_settings()
        apply_theme(self.settings.theme)
        window.set_pause(self.settings.pause_s)

    # --- what the parts hold, read by the app's other windows and by tests ----------------------

    @property
    def session(self) -> Any:
        return self.sessions.session

    @property
    def recorder(self) -> Any:
        return self.sessions.recorder

    @property
    def recorder_factory(self) -> RecorderFactory:
        return self.sessions.recorder_factory

    @recorder_factory.setter
    def recorder_factory(self, factory: RecorderFactory) -> None:
        self.sessions.recorder_factory = factory

    @property
    def story_watcher(self) -> Any:
        return self.story_sync.watcher

    def _run(
        self, work: Callable[[Progress], Any], done: Callable[[Any], None], failed: Callable[[BaseException], None]
    ) -> Any:
        return self.tasks.run(work, done, failed)

    def _show_error(self, exc: BaseException, status: str) -> None:
        self.model.add_error(str(exc) or type(exc).__name__)
        self.model.set_status(status)

    # --- saved settings: theme, devices, pause ---------------------------------------------------

    def _read_settings(self) -> SettingsForm:
        try:
            return read_form(self._settings_file)
        except UserError as exc:  # a broken settings file: the defaults, and say why
            self.model.add_error(str(exc))
            return SettingsForm()

    def apply_settings(self, form: SettingsForm) -> None:
        """The settings dialog saved: show its devices and pause (it applied the theme itself)."""
        self.settings = form
        self.window.set_pause(form.pause_s)
        if self._devices_known:
            self._preselect_devices()

    def _preselect_devices(self) -> None:
        for note in self.window.select_devices(self.settings.system_audio, self.settings.microphone):
            self.model.add_error(note)

    def _devices_chosen(self, system_audio: str, microphone: str) -> None:
        self.settings = replace(self.settings, system_audio=system_audio, microphone=microphone)
        self._save_choices(system_audio=system_audio, microphone=microphone)

    def _save_choices(self, **choices: Any) -> None:
        """Write toolbar choices to the settings file off the GUI thread, one write at a time."""
        if "pause_s" in choices:
            self.settings = replace(self.settings, pause_s=choices["pause_s"])
        self._unsaved.update(choices)
        if self._saving or self._closing is not None:
            return
        changes, self._unsaved = self._unsaved, {}
        self._saving = True

        def done(_: Any) -> None:
            self._saving = False
            if self._unsaved:
                self._save_choices()

        def failed(exc: BaseException) -> None:
            self._saving = False
            self._show_error(exc, "settings not saved")

        self._run(lambda _: save_live_choices(**changes, path=self._settings_file), done, failed)

    # --- the core and the devices ---------------------------------------------------------------

    def load_core(self) -> None:
        self.model.set_status("loading the models…")
        self._run(self._open_core, self._core_loaded, lambda exc: self._show_error(exc, "models not loaded"))

    def _open_core(self, progress: Progress) -> Any:
        from copilot.composition import open_core
        from copilot.config.settings import load_settings

        settings = load_settings()
        if self.no_llm:
            settings = replace(settings, llm=replace(settings.llm, backend="none"))
        return open_core(settings, self.stories, progress=progress)

    def _core_loaded(self, core: Any) -> None:
        self.core = core
        self.window.set_core_ready(True)
        for problem in core.library.errors:
            self.model.add_error(problem)
        self.model.set_status(f"ready · {len(core.library.stories)} stories from {core.library.folder}")
        if self._closing is None:
            self.story_sync.watch(core)
        if self._pending_replay and self._closing is None:
            self.replay(self._pending_replay)

    def load_devices(self) -> None:
        self._run(lambda _: list_device_choices(), self._devices_listed, lambda exc: None)

    def _devices_listed(self, choices: tuple[list, list, str | None]) -> None:
        self.window.set_devices(*choices)
        self._devices_known = True
        self._preselect_devices()

    # --- the session ----------------------------------------------------------------------------

    def start_devices(self) -> None:
        system, mic = self.window.selected_devices()
        self._start(partial_input(system=system, microphone=mic), "listening")

    def replay(self, path: str) -> None:
        if self.core is None:
            self._pending_replay = path  # start as soon as the models are in
            return
        self._pending_replay = None
        self._start(partial_input(replay=path), f"replaying {path}")

    def _start(self, open_sources: Callable[[], list[AudioSource]], status: str) -> None:
        self.sessions.start(self.core, open_sources, status)

    def stop(self) -> None:
        self.sessions.stop()

    # --- closing --------------------------------------------------------------------------------

    def shutdown(self, then: Callable[[], None]) -> None:
        """Stop the session and close the core off the GUI thread, then call `then` (quit).

        Work still in flight (the models loading, a session starting) is waited for first, so a
        core or session that lands after the window closed is closed too, never leaked.
        """
        if self._pause_timer.isActive():  # a pause edited just before closing is still saved
            self._pause_timer.stop()
            self._save_choices(pause_s=self.window.pause_s())
        self.bridge.close()
        self._closing_now.set()
        self._closing = then
        self.story_sync.stop()  # returns at once; the watcher is joined below, off the GUI thread
        self._close_when_idle()

    def _close_when_idle(self) -> None:
        if self._closing is None or self.tasks.busy:
            return
        then, self._closing = self._closing, None
        (session, recorder), core, watcher = self.sessions.take(), self.core, self.story_sync.watcher
        self.core = self.story_sync.watcher = None
        self._history_bridge.close()

        def work(_: Progress) -> None:
            if session is not None:
                session.stop()
            if recorder is not None:
                recorder.close()
                recorder.wait(HISTORY_CLOSE_S)  # the end time is stamped before the app quits
            if watcher is not None and not watcher.join(WATCHER_JOIN_S):
                log.warning("the story watcher is still re-indexing; closing the core anyway")
            if core is not None:
                core.close()  # waits for a reload in flight (Core.reload_stories holds its lock)

        self._run(work, lambda _: then(), lambda _: then())


def partial_input(**choice: Any) -> Callable[[], list[AudioSource]]:
    """What `SessionControl.start` opens: a replay (`replay=path`) or the picked devices
    (`system=...`, `microphone=...`, where "off" means no microphone)."""
    from copilot.live.wiring import LiveInput

    microphone = choice.pop("microphone", None)
    with_microphone = microphone != "off"
    return LiveInput(microphone=microphone if with_microphone else None, with_microphone=with_microphone, **choice).open


def list_device_choices() -> tuple[list[tuple[str, object]], list[tuple[str, object]], str | None]:
    """(system-audio choices, microphone choices, a note when PortAudio is unusable)."""
    from copilot.audio.devices import monitor_devices, portaudio_inputs
    from copilot.errors import UserError

    note = None
    try:
        inputs = portaudio_inputs()
    except (UserError, OSError) as exc:  # PortAudio missing: the file replay still works
        inputs, note = [], str(exc)
    systems: list[tuple[str, object]] = [(m["name"], m["name"]) for m in monitor_devices()]
    systems += [(d["name"], d["name"]) for d in inputs if d["is_loopback_candidate"]]
    mics: list[tuple[str, object]] = [(d["name"], d["index"]) for d in inputs if not d["is_loopback_candidate"]]
    return systems, mics, note


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ui", description="Interview Copilot: the live window")
    parser.add_argument("--replay", metavar="AUDIO", help="replay a recording as the interviewer once the models load")
    parser.add_argument("--stories", metavar="DIR", help="story folder (default: COPILOT_STORIES_DIR or your library)")
    parser.add_argument("--no-llm", action="store_true", help="grounded bullets only, skip the language model")
    return parser.parse_args(argv)


class App:
    """The window, shown at once, and its controller; `window_shown_s` is how long that took."""

    def __init__(self, args: argparse.Namespace, started_at: float) -> None:
        self.model = LiveViewModel()
        self.bridge = CoreBridge()
        self.window = LiveWindow(self.model)
        self.controller = LiveController(self.window, self.model, self.bridge, args.stories, args.no_llm)
        self.window.closing.connect(lambda: self.controller.shutdown(QApplication.quit))
        # --- story library hook: Ctrl+L opens ui/library/window.py on the same story folder ---
        self.library_action = QAction("Story library…", self.window, shortcut=QKeySequence("Ctrl+L"))
        self.library_action.triggered.connect(lambda: open_library_window(args.stories, self.window))
        self.window.add_menu_action("Library", self.library_action)
        self.rehearsal_action = QAction("Rehearsal room…", self.window, shortcut=QKeySequence("Ctrl+R"))
        self.rehearsal_action.triggered.connect(self._open_rehearsal)
        self.window.add_menu_action("Practice", self.rehearsal_action)
        self.settings_action = QAction("Settings…", self.window, shortcut=QKeySequence("Ctrl+,"))
        self.settings_action.triggered.connect(lambda: self._open_settings(first_run=False))

        # --- drill (Ctrl+D) and job-description coverage (Ctrl+J), on the live window's loaded core ---
        self._core_windows: dict[str, Any] = {}

        def open_on_core(name: str, open_window: Callable[..., Any]) -> None:
            if self.controller.core is None:
                self.model.set_status(f"the models are still loading; {name} opens once they are ready")
                return
            self._core_windows[name] = open_window(self.window, core=self.controller.core)

        def open_drill() -> None:
            from ui.practice.drill_window import open_drill_window

            open_on_core("the drill", open_drill_window)

        def open_jd() -> None:
            from ui.practice.jd_window import open_jd_window

            open_on_core("the coverage view", open_jd_window)

        self.drill_action = QAction("Drill…", self.window, shortcut=QKeySequence("Ctrl+D"))
        self.drill_action.triggered.connect(open_drill)
        self.window.add_menu_action("Practice", self.drill_action)
        self.jd_action = QAction("Job description coverage…", self.window, shortcut=QKeySequence("Ctrl+J"))
        self.jd_action.triggered.connect(open_jd)
        self.window.add_menu_action("Library", self.jd_action)
        # --- mock interview (Ctrl+M): ui/practice/mock_window.py, answers transcribed by the live window's core ---

        def open_mock() -> None:
            from ui.practice.mock_window import open_mock_window

            open_on_core("the mock interview", open_mock_window)

        self.mock_action = QAction("Mock interview…", self.window, shortcut=QKeySequence("Ctrl+M"))
        self.mock_action.triggered.connect(open_mock)
        self.window.add_menu_action("Practice", self.mock_action)
        # --- session history (Ctrl+H): ui/history/window.py lists, exports and deletes recorded sessions ---
        self.history_action = QAction("Session history…", self.window, shortcut=QKeySequence("Ctrl+H"))

        def open_history() -> None:
            from ui.history.window import open_history_window

            self._core_windows["history"] = open_history_window(self.window)

        self.history_action.triggered.connect(open_history)
        self.window.add_menu_action("File", self.history_action)
        self.window.add_menu_action("File", self.settings_action)
        self.window.finish_menus()
        self.window.show()
        if is_first_run():
            # After the window is on screen: the first-run check opens over a visible, usable window.
            QTimer.singleShot(0, lambda: self._open_settings(first_run=True))
        self.window_shown_s = time.perf_counter() - started_at
        log.info("window shown %.0f ms after start", self.window_shown_s * 1000)
        self.controller.load_devices()
        if args.replay:
            self.controller.replay(args.replay)
        self.controller.load_core()

    def _open_settings(self, first_run: bool) -> None:
        self._settings = open_settings_dialog(self.window, first_run=first_run)
        self._settings.saved.connect(self.controller.apply_settings)  # devices, pause; it applies the theme

    def _open_rehearsal(self) -> None:
        """Ctrl+R: the rehearsal room on the live window's models, once they are loaded."""
        if self.controller.core is None:
            self.model.set_status("the models are still loading; the rehearsal room opens once they are ready")
            return
        self._rehearsal = open_rehearsal_window(self.controller.stories, self.window, core=self.controller.core)


def main(argv: list[str] | None = None, started_at: float | None = None) -> int:
    started_at = time.perf_counter() if started_at is None else started_at
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    qt_app = cast(QApplication, QApplication.instance() or QApplication([]))  # a QApplication, always
    qt_app.setApplicationName("Interview Copilot")
    if (problem := binding_problem()) is not None:  # a binding that would crash mid-session: say so now
        log.error("%s", problem)
        QMessageBox.critical(None, "Interview Copilot cannot start", problem)
        return 1
    qt_app.setQuitOnLastWindowClosed(False)  # the controller quits once the core is closed
    app = App(args, started_at)
    import os  # only the test hook below needs it

    if os.environ.get("COPILOT_QUIT_AFTER_SHOWN") == "1":
        # For the packaged app's smoke test (tests/package): close once the window is up, as a user
        # would. The controller still lets the models finish loading and closes them before quitting,
        # so the run also proves the bundle can load them.
        QTimer.singleShot(0, app.window.close)
    code = qt_app.exec()
    del app
    return code
