"""The live window as a product: every window and action in the menu bar with its shortcut, toolbar
buttons reachable by Tab, nothing cut off at 800 and 1024 px, story cards opened from their text or
by keyboard (issue 9, items 2-4)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QToolButton, QWidget  # noqa: E402

from copilot.events import CardsReady, Hit, Question, QuestionTyped  # noqa: E402
from copilot.stories.parse import load_story  # noqa: E402
from tests.ui.keyboard import activate  # noqa: E402
from ui import app as app_module  # noqa: E402
from ui.live.view_models import LiveViewModel  # noqa: E402
from ui.live.window import MENUS, LiveWindow  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
STORY_FILE = REPO / "personal_stories" / "distilled-intent-classifier.md"
WINDOWS = {
    "Story library…": ("Library", "Ctrl+L"),
    "Job description coverage…": ("Library", "Ctrl+J"),
    "Rehearsal room…": ("Practice", "Ctrl+R"),
    "Drill…": ("Practice", "Ctrl+D"),
    "Session history…": ("File", "Ctrl+H"),
    "Settings…": ("File", "Ctrl+,"),
}


@pytest.fixture
def live_app(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> app_module.App:
    """The real App (window, controller, menus) without models or devices."""
    monkeypatch.setattr(app_module.LiveController, "load_core", lambda self: None)
    monkeypatch.setattr(app_module.LiveController, "load_devices", lambda self: None)
    monkeypatch.setattr(app_module, "is_first_run", lambda: False)
    monkeypatch.setattr(app_module.QApplication, "quit", staticmethod(lambda: None))
    live = app_module.App(app_module.parse_args([]), 0.0)
    qtbot.addWidget(live.window)
    return live


@pytest.fixture
def window(qtbot: Any) -> LiveWindow:
    win = LiveWindow(LiveViewModel())
    qtbot.addWidget(win)
    return win


def menu_entries(window: LiveWindow) -> dict[str, tuple[str, str]]:
    return {action: (menu, keys) for menu, action, keys in window.shortcut_rows()}


def test_every_window_and_action_is_in_the_menu_bar_with_its_shortcut(live_app: app_module.App) -> None:
    window = live_app.window
    assert list(window.menus) == list(MENUS)
    assert [a.text().replace("&", "") for a in window.menuBar().actions()] == list(MENUS)
    entries = menu_entries(window)
    for name, where in WINDOWS.items():
        assert entries.get(name) == where, f"{name}: {entries.get(name)}"
    for name, where in {
        "Start": ("Practice", "F5"),
        "Stop": ("Practice", "Shift+F5"),
        "Answer now": ("Practice", "Ctrl+Return"),
        "Replay file…": ("File", "Ctrl+O"),
        "Always on top": ("View", "Ctrl+T"),
        "Quit": ("File", "Ctrl+Q"),
        "Keyboard shortcuts": ("Help", "F1"),
    }.items():
        assert entries.get(name) == where, f"{name}: {entries.get(name)}"
    # No two entries share a key: a shortcut that is taken twice fires neither.
    keys = [keys for _, keys in entries.values()]
    assert len(keys) == len(set(keys))


def test_menu_shortcuts_open_the_windows(qtbot: Any, live_app: app_module.App) -> None:
    window = live_app.window
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # models not loaded yet
    assert "opens once they are ready" in window.model.status
    qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert window.on_top_action.isChecked()
    window.on_top_action.setChecked(False)


def tab_chain(window: QWidget, start: QWidget, steps: int = 40) -> list[QWidget]:
    chain, widget = [], start
    for _ in range(steps):
        widget = widget.nextInFocusChain()
        if widget is start:
            break
        if widget.isVisible() and widget.isEnabled() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            chain.append(widget)
    return chain


def test_tab_reaches_the_toolbar_the_pickers_and_the_story_cards(qtbot: Any, window: LiveWindow) -> None:
    window.set_core_ready(True)
    story = load_story(STORY_FILE)
    hit = Hit("story", story.id, story.title, 0.71, story)
    typed = QuestionTyped(Question(1, "Tell me about a time you cut cost.", 3.0), "behavioral", 0.9, latency_ms=9.0)
    window.model.apply(CardsReady(typed, (), (hit,), (), latency_ms=30.0))
    activate(qtbot, window)
    start = window.session_bar.widgetForAction(window.start_action)
    start.setFocus(Qt.FocusReason.TabFocusReason)
    seen = [start]
    for _ in range(30):  # walk by real Tab presses
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    replay = window.session_bar.widgetForAction(window.replay_action)
    on_top = window.audio_bar.widgetForAction(window.on_top_action)
    card = window.card_widgets()[0]
    for wanted in (replay, window.system_combo, window.mic_combo, window.pause_spin, on_top, card):
        assert wanted in seen, f"Tab never reached {wanted!r}"
    # Enter opens the focused card and keeps the focus on it.
    card.setFocus()
    qtbot.keyClick(card, Qt.Key.Key_Return)
    opened = window.card_widgets()[0]
    assert "<b>Situation</b>" in opened.body.text() and opened.hasFocus()


def test_a_click_on_a_cards_text_opens_it(qtbot: Any, window: LiveWindow) -> None:
    story = load_story(STORY_FILE)
    hit = Hit("story", story.id, story.title, 0.71, story)
    typed = QuestionTyped(Question(1, "Tell me about a time you cut cost.", 3.0), "behavioral", 0.9, latency_ms=9.0)
    window.model.apply(CardsReady(typed, (), (hit,), (), latency_ms=30.0))
    window.show()
    qtbot.waitExposed(window)
    card = window.card_widgets()[0]
    assert "Click for the full STAR story" in card.body.text()
    qtbot.mouseClick(card.body, Qt.MouseButton.LeftButton, pos=QPoint(20, card.body.height() - 6))
    assert "<b>Situation</b>" in window.card_widgets()[0].body.text()
    opened = window.card_widgets()[0]
    qtbot.mouseClick(opened.title, Qt.MouseButton.LeftButton, pos=QPoint(10, 5))
    assert "<b>Situation</b>" not in window.card_widgets()[0].body.text()


def _inside(widget: QWidget, window: QWidget) -> bool:
    top_left = widget.mapTo(window, QPoint(0, 0))
    return widget.isVisible() and top_left.x() >= 0 and top_left.x() + widget.width() <= window.width() + 1


@pytest.mark.parametrize("size", [(800, 600), (1024, 700), (1600, 1000)])
def test_every_toolbar_control_is_visible_at_laptop_widths(
    qtbot: Any, window: LiveWindow, size: tuple[int, int]
) -> None:
    window.latency_label.setText("transcribe 480 ms · classify 9 ms · retrieve 31 ms · compose 2 ms · generate 900 ms")
    window.model.set_status("replaying /home/me/recordings/a-long-folder-name/question-one.wav")
    window.show()
    qtbot.waitExposed(window)
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() == size[0])
    QApplication.processEvents()
    controls: list[QWidget] = [window.system_combo, window.mic_combo, window.pause_spin]
    for bar in (window.session_bar, window.audio_bar):
        controls += [w for w in bar.findChildren(QToolButton) if w.defaultAction() in bar.actions()]
        extension = [w for w in bar.findChildren(QToolButton) if w.objectName() == "qt_toolbar_ext_button"]
        assert not any(e.isVisible() for e in extension), "controls hidden behind the toolbar's overflow arrow"
    for control in controls:
        assert _inside(control, window), f"{control!r} cut off at {size[0]} px"
    latency = window.latency_label
    assert latency.width() >= latency.sizeHint().width() - 2, "status-bar timings cut"
    assert window.toolBarBreak(window.audio_bar) == (size[0] < 1500)


def test_the_drafts_stay_on_screen_while_the_rewrite_streams(window: LiveWindow) -> None:
    from copilot.events import Bullets

    drafts = (
        "Situation: eight GPUs",
        "Task: halve the bill",
        "Action: distilled",
        "Result: 76% lower",
        "Lesson: profile",
    )
    window.model.apply(Bullets(1, drafts, "composer", False, latency_ms=2.0))
    window.model.apply(Bullets(1, ("Lead with the $38k monthly bill",), "llm", False, latency_ms=300.0))
    shown = window.bullets_label.text()
    assert "Lead with the $38k monthly bill" in shown and "Situation: eight GPUs" not in shown
    assert all(d in shown for d in drafts[1:]), "drafts not yet rewritten vanished while the rewrite streams"
    assert shown.count("<li") == 5 and "still writing" in window.bullets_source.text()
    final = ("Lead with the $38k monthly bill", "Say you owned it", "Distillation, not quantization")
    window.model.apply(Bullets(1, final, "llm", True, latency_ms=900.0))
    assert window.bullets_label.text().count("<li") == 3 and "still writing" not in window.bullets_source.text()


@pytest.mark.usefixtures("inline_tasks")
def test_a_failed_start_keeps_the_question_and_cards_on_screen(qtbot: Any, window: LiveWindow) -> None:
    from copilot.config.settings import Settings
    from copilot.errors import UserError
    from ui.app import LiveController
    from ui.common.bridge import CoreBridge

    story = load_story(STORY_FILE)
    question = Question(1, "Tell me about a time you cut cost.", 3.0)
    window.model.apply(question)
    typed = QuestionTyped(question, "behavioral", 0.9, latency_ms=9.0)
    window.model.apply(CardsReady(typed, (), (Hit("story", story.id, story.title, 0.7, story),), (), latency_ms=3.0))
    controller = LiveController(window, window.model, CoreBridge())
    controller.core = type("FakeCore", (), {"settings": Settings()})()
    window.set_core_ready(True)
    controller.recorder_factory = lambda kind, sink: type("R", (), {"close": lambda self: None})()

    def no_sound_server() -> list:
        raise UserError("No PulseAudio server: start one with `pulseaudio --start`")

    controller._start(no_sound_server, "listening")
    assert window.model.errors
    assert window.question_label.text() == "Tell me about a time you cut cost."
    assert [c.title.text() for c in window.card_widgets()] == [story.title]
    assert "pulseaudio --start" in window.banner.label.text() and window.start_action.isEnabled()  # try again
