"""The bridge: events sunk on a core thread arrive on the GUI thread; background tasks report there."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading  # noqa: E402

from PySide6.QtCore import QThread  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from copilot.events import StageError  # noqa: E402
from ui.common.bridge import BackgroundTask, CoreBridge, InlineExecutor  # noqa: E402


def test_event_sunk_on_a_worker_thread_arrives_on_the_gui_thread(qtbot) -> None:
    bridge = CoreBridge()
    gui_thread = QApplication.instance().thread()
    seen: list[tuple[object, bool]] = []
    bridge.core_event.connect(lambda e: seen.append((e, QThread.currentThread() is gui_thread)))
    event = StageError("transcribe", "boom")
    sent_from: list[str] = []

    def worker() -> None:
        sent_from.append(threading.current_thread().name)
        bridge.sink(event)

    with qtbot.waitSignal(bridge.core_event, timeout=2000) as blocker:
        thread = threading.Thread(target=worker, name="core-worker")
        thread.start()
    thread.join()
    assert blocker.args == [event]
    assert sent_from == ["core-worker"]
    assert seen == [(event, True)]


def test_sink_never_delivers_synchronously(qtbot) -> None:
    """Even from the GUI thread itself the delivery is queued: a sink call cannot re-enter the window."""
    bridge = CoreBridge()
    seen: list[object] = []
    bridge.core_event.connect(seen.append)
    bridge.sink("first")
    assert seen == []
    qtbot.waitUntil(lambda: seen == ["first"], timeout=2000)


def test_events_after_close_are_dropped(qtbot) -> None:
    bridge = CoreBridge()
    seen: list[object] = []
    bridge.core_event.connect(seen.append)
    bridge.sink("before")
    bridge.close()
    bridge.sink("after")
    qtbot.wait(50)
    assert seen == []  # "before" was still queued when the window closed: dropped too


def test_background_task_reports_progress_and_result_on_the_gui_thread(qtbot) -> None:
    gui_thread = QApplication.instance().thread()
    progress: list[tuple[str, bool]] = []

    def work(report) -> int:
        assert QThread.currentThread() is not gui_thread  # really off the GUI thread
        report("loading the embedding model")
        return 42

    task = BackgroundTask(work)
    task.progress.connect(lambda text: progress.append((text, QThread.currentThread() is gui_thread)))
    with qtbot.waitSignal(task.finished, timeout=5000) as blocker:
        task.start()
    assert blocker.args == [42]
    qtbot.waitUntil(lambda: progress == [("loading the embedding model", True)], timeout=2000)


def test_background_task_failure_is_reported_not_raised(qtbot) -> None:
    def work(report) -> None:
        raise RuntimeError("no speech model")

    task = BackgroundTask(work)
    with qtbot.waitSignal(task.failed, timeout=5000) as blocker:
        task.start()
    assert isinstance(blocker.args[0], RuntimeError)
    assert str(blocker.args[0]) == "no speech model"


def test_an_inline_task_reports_on_the_calling_thread_before_start_returns(qtbot) -> None:
    """What the tests' `inline_tasks` fixture relies on: no event loop turn, no polling."""
    gui_thread = QApplication.instance().thread()
    seen: list[tuple[str, object, bool]] = []

    def work(report) -> int:
        report("half way")
        return 7

    task = BackgroundTask(work)
    task.progress.connect(lambda text: seen.append(("progress", text, QThread.currentThread() is gui_thread)))
    task.finished.connect(lambda value: seen.append(("finished", value, QThread.currentThread() is gui_thread)))
    task.start(InlineExecutor())
    assert seen == [("progress", "half way", True), ("finished", 7, True)]

    failing = BackgroundTask(lambda report: 1 / 0)
    errors: list[BaseException] = []
    failing.failed.connect(errors.append)
    failing.start(InlineExecutor())
    assert len(errors) == 1 and isinstance(errors[0], ZeroDivisionError)


def test_the_inline_tasks_fixture_makes_inline_the_default_for_one_test(qtbot, inline_tasks) -> None:
    done: list[int] = []
    task = BackgroundTask(lambda report: threading.get_ident())
    task.finished.connect(done.append)
    task.start()
    assert done == [threading.get_ident()]  # ran here, and reported already


def test_a_burst_of_events_lets_the_event_loop_run_between_slow_renders(qtbot) -> None:
    """Each render lays out and paints the window: two heavy ones back to back froze it (issue 9)."""
    import time

    from PySide6.QtCore import QTimer

    bridge = CoreBridge()
    seen: list[object] = []
    loop_turns: list[int] = []

    def slow_render(event: object) -> None:
        seen.append(event)
        if len(seen) == 1:  # runs only if the event loop gets a turn before the next event
            QTimer.singleShot(0, lambda: loop_turns.append(len(seen)))
        time.sleep(0.008)  # beyond the bridge's budget per turn

    bridge.core_event.connect(slow_render)
    for name in ("cards", "bullets", "latency"):
        bridge.sink(name)
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=2000)
    assert seen == ["cards", "bullets", "latency"]  # in order
    assert loop_turns == [1]  # the loop ran after the first render, before the second


def test_cheap_events_are_handed_out_together(qtbot) -> None:
    bridge = CoreBridge()
    seen: list[object] = []
    bridge.core_event.connect(seen.append)
    for i in range(50):
        bridge.sink(i)
    qtbot.waitUntil(lambda: len(seen) == 50, timeout=2000)
    assert seen == list(range(50))
