"""The live view model's rules and the window's rendering, driven by synthetic core events (no models)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from copilot.audio.sources import FileSource  # noqa: E402
from copilot.errors import ModelMissingError  # noqa: E402
from copilot.events import (  # noqa: E402
    CANDIDATE,
    INTERVIEWER,
    Bullets,
    CardsReady,
    Hit,
    Question,
    QuestionTyped,
    SourceEnded,
    StageError,
    Transcript,
)
from copilot.pipeline import knowledge  # noqa: E402
from copilot.stories.parse import load_story  # noqa: E402
from ui.app import LiveController, MeteredSource  # noqa: E402
from ui.common.bridge import CoreBridge  # noqa: E402
from ui.common.theme import apply_theme, tone  # noqa: E402
from ui.common.widgets import Card  # noqa: E402
from ui.live.view_models import LiveViewModel  # noqa: E402
from ui.live.window import LiveWindow  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
STORY_FILE = REPO / "personal_stories" / "distilled-intent-classifier.md"
QUESTION_TEXT = "Tell me about a time you had to cut the cost of serving a model."


def transcript(uid: int, text: str, final: bool, speaker: str = INTERVIEWER) -> Transcript:
    return Transcript(uid, speaker, text, final, 0.0, 1.0, latency_ms=480.0)


def cards_for(question_id: int, text: str = QUESTION_TEXT, stories=(), topics=(), frameworks=()) -> CardsReady:
    typed = QuestionTyped(Question(question_id, text, 3.0), "behavioral", 0.87, latency_ms=9.0)
    return CardsReady(typed, tuple(frameworks), tuple(stories), tuple(topics), latency_ms=31.0)


def bullets_for(question_id: int, *items: str, source: str = "composer", done: bool = True) -> Bullets:
    return Bullets(question_id, tuple(items), source, done, latency_ms=2.0)


@pytest.fixture
def story_hit() -> Hit:
    story = load_story(STORY_FILE)
    return Hit("story", story.id, story.title, 0.71, story)


@pytest.fixture
def topic_hit() -> Hit:
    topic = knowledge.topics()[0]
    return Hit("topic", topic.id, topic.title, 0.55, topic)


@pytest.fixture
def framework_hit() -> Hit:
    framework = knowledge.frameworks()["behavioral"]
    return Hit("framework", framework.id, framework.title, 1.0, framework)


# --- the view model ---------------------------------------------------------------------------


def test_final_transcript_replaces_the_partial() -> None:
    model = LiveViewModel()
    model.apply(transcript(1, "tell me about", final=False))
    assert [(line.text, line.is_final) for line in model.lanes[INTERVIEWER].lines] == [("tell me about", False)]
    model.apply(transcript(1, "Tell me about a time.", final=True))
    model.apply(transcript(1, "tell me about a", final=False))  # a late partial must not undo the final
    assert [(line.text, line.is_final) for line in model.lanes[INTERVIEWER].lines] == [("Tell me about a time.", True)]
    assert model.lanes[CANDIDATE].lines == []


def test_cards_and_bullets_for_an_older_question_are_dropped() -> None:
    model = LiveViewModel()
    model.apply(Question(1, "First question?", 1.0))
    model.apply(cards_for(1, "First question?"))
    model.apply(Question(2, "Second question?", 5.0))
    assert model.cards.stories == () and model.bullets.bullets == ()  # the new question starts empty
    model.apply(cards_for(1, "First question?", topics=[Hit("topic", "t", "Old", 0.5, None)]))
    model.apply(bullets_for(1, "old bullet"))
    assert model.question.text == "Second question?"
    assert model.cards.topics == ()
    assert model.bullets.bullets == ()
    model.apply(cards_for(2, "Second question?"))
    model.apply(bullets_for(2, "new bullet"))
    assert model.question.question_type == "behavioral"
    assert model.bullets.bullets == ("new bullet",)


def test_latency_errors_and_observers() -> None:
    model = LiveViewModel()
    changes: list[str] = []
    model.subscribe(changes.append)
    model.apply(transcript(1, "hello", final=True))
    model.apply(cards_for(1))
    model.apply(StageError("generate", "the model crashed", 1))
    assert model.latency_ms == {"transcribe": 480.0, "classify": 9.0, "retrieve": 31.0}
    assert model.errors == ["generate: the model crashed"]
    assert {"lanes", "cards", "question", "latency", "errors"} <= set(changes)


def test_a_rewrite_that_kept_the_draft_counts_as_the_models_time_not_the_composers() -> None:
    model = LiveViewModel()
    model.apply(cards_for(1))
    model.apply(Bullets(1, ("Result: cost down 76%",), "composer", False, 2.0))
    model.apply(Bullets(1, ("Result: cost down 76%",), "composer", True, 6133.0, stage="generate"))
    assert model.latency_ms["compose"] == 2.0 and model.latency_ms["generate"] == 6133.0
    assert model.bullets.bullets == ("Result: cost down 76%",) and model.bullets.done


# --- the window -------------------------------------------------------------------------------


@pytest.fixture
def window(qtbot) -> LiveWindow:
    win = LiveWindow(LiveViewModel())
    qtbot.addWidget(win)
    win.show()
    return win


def test_window_renders_a_turn(window: LiveWindow, story_hit: Hit, topic_hit: Hit, framework_hit: Hit) -> None:
    model = window.model
    model.apply(transcript(1, "tell me about a time", final=False))
    assert "tell me about a time" in window.interviewer_lane.plain_text()
    partial_html = window.interviewer_lane.text.toHtml()
    assert "font-style:italic" in partial_html and "#8d96a0" in partial_html  # grey italics while partial
    model.apply(transcript(1, QUESTION_TEXT, final=True))
    model.apply(transcript(2, "Sure, let me think.", final=True, speaker=CANDIDATE))
    model.apply(Question(1, QUESTION_TEXT, 3.0))
    model.apply(cards_for(1, stories=[story_hit], topics=[topic_hit], frameworks=[framework_hit]))
    model.apply(bullets_for(1, "Situation: intent classifier cost", source="composer", done=True))
    model.apply(bullets_for(1, "Cut GPU cost by distilling", source="llm", done=False))

    assert window.interviewer_lane.plain_text().strip() == QUESTION_TEXT
    assert "Sure, let me think." in window.you_lane.plain_text()
    assert window.question_label.text() == QUESTION_TEXT
    assert window.type_chip.text() == "Behavioral"
    assert window.confidence_label.text() == "87% confident"
    assert "Cut GPU cost by distilling" in window.bullets_label.text()
    assert "Situation: intent classifier" not in window.bullets_label.text()  # the rewrite replaced the draft
    titles = [card.title.text() for card in window.card_widgets()]
    assert titles == [framework_hit.title, story_hit.title, topic_hit.title]
    topic_card = window.card_widgets()[2]
    assert topic_hit.item.key_points[0].split()[0] in topic_card.body.text()
    assert "transcribe 480 ms" in window.latency_label.text()


def test_story_card_expands_to_its_star_sections(qtbot, window: LiveWindow, story_hit: Hit) -> None:
    window.model.apply(cards_for(1, stories=[story_hit]))
    card = window.card_widgets()[0]
    assert "Situation" not in card.body.text()
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton)
    card = window.card_widgets()[0]  # re-rendered from the model
    story = story_hit.item
    for name in ("Situation", "Task", "Action", "Result"):
        assert f"<b>{name}</b>" in card.body.text()
    assert story.section("action").split()[0] in card.body.text()
    qtbot.mouseClick(window.card_widgets()[0], Qt.MouseButton.LeftButton)
    assert "<b>Situation</b>" not in window.card_widgets()[0].body.text()


def test_a_story_card_says_why_it_was_chosen_and_follows_a_new_reason(window: LiveWindow, story_hit: Hit) -> None:
    from dataclasses import replace

    window.model.apply(cards_for(1, stories=[replace(story_hit, reason="ownership, cost reduction: Action section")]))
    body = window.card_widgets()[0].body.text()
    assert "Why: ownership, cost reduction: Action section" in body
    assert "font-style:italic" in body.split("Why:")[0].rsplit("<p", 1)[-1]  # its own greyed line
    # The question grew and the same story now fits for another reason: the card says the new one.
    window.model.apply(cards_for(1, stories=[replace(story_hit, reason="conflict: Result section")]))
    body = window.card_widgets()[0].body.text()
    assert body.split("Why:")[1].split("</p>")[0].strip() == "conflict: Result section"
    window.model.apply(cards_for(1, stories=[story_hit]))  # no reason: no line
    assert "Why:" not in window.card_widgets()[0].body.text()


def test_errors_show_in_a_banner_and_can_be_dismissed(qtbot, window: LiveWindow) -> None:
    window.model.apply(StageError("transcribe", "the speech model failed"))
    assert window.banner.isVisible()
    assert "the speech model failed" in window.banner.label.text()
    window.banner.dismissed.emit()
    assert not window.banner.isVisible()


def test_always_on_top_only_sets_the_stay_on_top_hint(window: LiveWindow) -> None:
    flags_before = window.windowFlags()
    window.on_top_action.setChecked(True)
    assert window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert window.windowFlags() & ~Qt.WindowType.WindowStaysOnTopHint == flags_before
    assert window.isVisible()
    window.on_top_action.setChecked(False)
    assert not window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint


def test_answer_now_has_its_shortcut(window: LiveWindow) -> None:
    assert window.answer_action.shortcut().toString() == "Ctrl+Return"


# --- the controller, without models ---------------------------------------------------------


@pytest.mark.usefixtures("inline_tasks")
def test_missing_model_shows_in_the_window_not_a_crash(qtbot, window: LiveWindow, monkeypatch) -> None:
    def no_model(self, progress) -> None:
        progress("loading the embedding model")
        raise ModelMissingError("embedding model not found: run `make setup`")

    monkeypatch.setattr(LiveController, "_open_core", no_model)
    controller = LiveController(window, window.model, CoreBridge())
    controller.load_core()
    assert window.banner.isVisible()
    assert "run `make setup`" in window.banner.label.text()
    assert window.status_label.full_text() == "models not loaded"
    assert not window.start_action.isEnabled()


def test_source_ended_shows_in_the_status(window: LiveWindow) -> None:
    window.model.apply(SourceEnded(INTERVIEWER, "end of file"))
    assert window.status_label.full_text() == "interviewer: end of file"


def test_metered_source_feeds_the_level_meter() -> None:
    model = LiveViewModel()
    samples = np.full(16_000, 0.5, dtype=np.float32)
    source = MeteredSource(FileSource.from_samples(samples, realtime=False), model.meters[INTERVIEWER])
    frames: list = []
    ended = threading.Event()
    source.start(frames.append, lambda _: ended.set())
    assert ended.wait(5)
    source.stop()
    assert len(frames) == 32  # one second in 512-sample blocks, padded
    meter = model.meters[INTERVIEWER]
    assert meter.fraction(meter.peak_dbfs) == pytest.approx(1 - 6.02 / 60, abs=0.01)  # 0.5 is -6 dBFS


def test_closing_while_the_models_load_still_closes_the_core(qtbot, window: LiveWindow, monkeypatch) -> None:
    closed = threading.Event()

    class FakeCore:
        library = type("Library", (), {"errors": [], "stories": [], "folder": "stories"})()

        def close(self) -> None:
            closed.set()

    def slow_load(self, progress) -> FakeCore:
        time.sleep(0.3)  # the window closes meanwhile
        return FakeCore()

    monkeypatch.setattr(LiveController, "_open_core", slow_load)
    controller = LiveController(window, window.model, CoreBridge())
    controller.load_core()
    quit_called: list[bool] = []
    controller.shutdown(lambda: quit_called.append(True))
    assert quit_called == []  # not before the load has landed
    qtbot.waitUntil(lambda: quit_called == [True], timeout=5000)
    assert closed.is_set()


# --- saved settings: devices, pause, theme ---------------------------------------------------

SYSTEMS = [("speakers.monitor", "speakers.monitor"), ("hdmi.monitor", "hdmi.monitor")]
MICS = [("Built-in Mic", 3), ("Headset Mic", 5)]


def write_config(text: str) -> Path:
    from copilot.config import paths

    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def dark_again(qapp):
    """The theme is app-wide: put the dark one back for the tests that follow."""
    yield
    apply_theme("dark")


def test_saved_devices_are_preselected(window: LiveWindow) -> None:
    write_config('[audio]\nsystem_audio = "hdmi.monitor"\nmicrophone = "Headset Mic"\n')
    controller = LiveController(window, window.model, CoreBridge())
    controller._devices_listed((SYSTEMS, MICS, None))  # what load_devices() hands over
    assert window.system_combo.currentText() == "hdmi.monitor"
    assert window.mic_combo.currentText() == "Headset Mic"
    assert window.selected_devices() == ("hdmi.monitor", 5)  # the session opens the index
    assert window.model.errors == []


def test_a_missing_saved_device_falls_back_to_the_default_and_says_so(window: LiveWindow) -> None:
    write_config('[audio]\nsystem_audio = "speakers.monitor"\nmicrophone = "USB Podcast Mic"\n')
    controller = LiveController(window, window.model, CoreBridge())
    controller._devices_listed((SYSTEMS, MICS, None))
    assert window.system_combo.currentText() == "speakers.monitor"
    assert window.selected_devices() == ("speakers.monitor", None)  # None: the default microphone
    assert len(window.model.errors) == 1
    assert "“USB Podcast Mic” is not connected" in window.banner.label.text()
    assert window.banner.isVisible()


@pytest.mark.usefixtures("inline_tasks")
def test_device_picks_are_saved(qtbot, window: LiveWindow) -> None:
    from ui.settings.store import read_form

    controller = LiveController(window, window.model, CoreBridge())
    controller._devices_listed((SYSTEMS, MICS, None))
    index = window.mic_combo.findText("No microphone")
    window.mic_combo.setCurrentIndex(index)
    window.mic_combo.activated.emit(index)  # as a user's pick does
    assert read_form().microphone == "off"
    index = window.system_combo.findText("hdmi.monitor")
    window.system_combo.setCurrentIndex(index)
    window.system_combo.activated.emit(index)
    assert read_form().system_audio == "hdmi.monitor"
    assert read_form().microphone == "off"


def test_the_pause_starts_at_the_saved_value_and_a_change_is_saved(qtbot, window: LiveWindow) -> None:
    from ui.settings.store import read_form

    config = write_config('[turn]\npause_s = 1.2\n\n[future]\nkeep = "me"\n')
    LiveController(window, window.model, CoreBridge())
    assert window.pause_spin.value() == pytest.approx(1.2)
    assert read_form().pause_s == pytest.approx(1.2)  # showing it wrote nothing
    window.pause_spin.setValue(0.85)
    qtbot.waitUntil(lambda: read_form().pause_s == pytest.approx(0.85), timeout=5000)
    assert 'keep = "me"' in config.read_text(encoding="utf-8")


@pytest.mark.usefixtures("inline_tasks")
def test_a_session_uses_the_pause_shown(qtbot, window: LiveWindow, monkeypatch) -> None:
    from copilot.config.settings import Settings
    from copilot.live import wiring

    seen: list[float] = []

    class FakeSession:
        def __init__(self, core, sources, sink, options) -> None:
            seen.append(options.interviewer.end_pause_s)

        def start(self) -> None:
            pass

        def stop(self) -> None:
            pass

    class FakeSource:
        speaker, description, dropped_blocks = INTERVIEWER, "fake", 0

    monkeypatch.setattr(wiring, "LiveSession", FakeSession)
    controller = LiveController(window, window.model, CoreBridge())
    controller.core = type("FakeCore", (), {"settings": Settings()})()
    window.pause_spin.setValue(1.5)
    controller._start(lambda: [FakeSource()], "listening")
    assert controller.session is not None
    assert seen == [pytest.approx(1.5)]
    # Passed in, not written into the core's settings (which other windows share).
    assert Settings().turn.pause_s != pytest.approx(1.5)  # so the check below can tell the two apart
    assert controller.core.settings.turn.pause_s == pytest.approx(Settings().turn.pause_s)
    assert not window.pause_spin.isEnabled()  # fixed while the session runs
    controller.stop()
    assert window.pause_spin.isEnabled()


def test_the_saved_theme_is_applied_at_start(window: LiveWindow, story_hit: Hit, dark_again) -> None:
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    apply_theme("dark")
    dark_sheet = window.styleSheet()
    window.model.apply(cards_for(window.model.current_question_id, stories=[story_hit]))
    assert "#8d96a0" in window.card_widgets()[0].body.text()  # the dark look's muted text

    write_config('[ui]\ntheme = "light"\n')
    LiveController(window, window.model, CoreBridge())

    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() > 200
    assert window.styleSheet() != dark_sheet
    assert "#1e2126" not in window.styleSheet() and "#f3f4f6" in window.styleSheet()
    body = window.card_widgets()[0].body.text()  # cards redrawn: their rich text has its own colours
    assert "#8d96a0" not in body and tone("#8d96a0", "light") in body


def test_windows_opened_later_get_the_theme(qtbot, dark_again) -> None:
    apply_theme("light")
    later = LiveWindow(LiveViewModel())
    qtbot.addWidget(later)
    # Themed as it is built, so it never shows dark for a frame.
    assert "#1e2126" not in later.styleSheet() and "#f3f4f6" in later.styleSheet()
    later.show()
    assert "#1e2126" not in later.styleSheet() and "#f3f4f6" in later.styleSheet()


def test_card_widgets_are_refilled_not_rebuilt(window: LiveWindow, story_hit: Hit, topic_hit: Hit) -> None:
    # Making and polishing a styled card is most of the GUI thread's time in a replayed interview.
    qid = window.model.current_question_id
    made = len(window.findChildren(Card))
    window.model.apply(cards_for(qid, stories=[story_hit]))
    (story_card,) = window.card_widgets()
    moved = Hit("story", story_hit.id, story_hit.title, 0.64, story_hit.item)
    window.model.apply(cards_for(qid, stories=[moved], topics=[topic_hit]))
    kept, topic_card = window.card_widgets()
    assert kept is story_card and "MATCH 0.64" in kept.kind.text()  # same widget, new score
    assert topic_card.title.text() == topic_hit.title and not topic_card.isHidden()
    window.model.apply(cards_for(qid, topics=[topic_hit]))
    (only,) = window.card_widgets()
    assert only is story_card and only.title.text() == topic_hit.title  # the slot shows the topic now
    assert only.focusPolicy() == Qt.FocusPolicy.NoFocus and not only.toolTip()  # a topic does not open
    assert len(window.findChildren(Card)) == made  # the cards were made with the window, not per render
    window.model.apply(cards_for(qid))
    assert window.card_widgets() == [] and not window.no_cards_label.isHidden()
