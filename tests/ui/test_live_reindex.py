"""The live window's controller keeps the running core's story index in step with the story folder.

A real Chroma index on the fake models of tests/fakes.py (the reload is the subject, not MiniLM's
ranking): a story file written while the app runs is re-indexed and found by retrieval, a broken one
is named without a crash, and closing stops the watcher before the core closes.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from conftest import EXAMPLE_STORIES  # noqa: E402
from fakes import use_fake_models  # noqa: E402

from copilot.composition import open_core  # noqa: E402
from copilot.config.settings import Settings  # noqa: E402
from ui.app import LiveController  # noqa: E402
from ui.common.bridge import CoreBridge  # noqa: E402
from ui.live.view_models import LiveViewModel  # noqa: E402
from ui.live.window import LiveWindow  # noqa: E402

NEW_STORY = """---
id: beekeeping-sensor-anomalies
title: Caught failing beehives early with sensor anomaly detection
competencies: [initiative, technical-depth]
role: ML Engineer, agritech
year: 2022
---
## Situation
Beekeepers lost hives because they noticed a failing colony weeks too late.

## Task
I set out to warn beekeepers of a failing beehive from the hive's weight and humidity sensors.

## Action
I built an anomaly detector on the beehive sensor series and tuned its alerts with the beekeepers.

## Result
Beekeepers got warnings eleven days earlier on average, and hive losses fell by a third.
"""
QUESTION = "Tell me about a time you used sensor data to help beekeepers save failing beehives."
LOAD_TIMEOUT_MS = 240_000  # indexing the examples on a busy 2-core machine
CHANGE_TIMEOUT_MS = 30_000


def retrieved_ids(controller: LiveController, question: str) -> list[str]:
    core = controller.core
    vector = core.embedder.embed_one(question)
    return [h.id for h in core.retriever.retrieve(question, "behavioral", vector).stories]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "stories"
    shutil.copytree(EXAMPLE_STORIES, folder)
    return folder


@pytest.fixture
def controller(qtbot, folder: Path, monkeypatch):
    def open_small_core(self, progress):
        return open_core(Settings(), self.stories, with_transcriber=False, with_generator=False, progress=progress)

    monkeypatch.setattr(LiveController, "_open_core", open_small_core)
    use_fake_models(monkeypatch)
    # Not qtbot.addWidget: pytest-qt deletes those before fixture teardown, and the controller (a
    # child of the window) must outlive its shutdown below, as it does in the app.
    window = LiveWindow(LiveViewModel())
    controller = LiveController(window, window.model, CoreBridge(), stories=str(folder))
    controller.load_core()
    qtbot.waitUntil(lambda: controller.core is not None, timeout=LOAD_TIMEOUT_MS)
    qtbot.waitUntil(lambda: controller.story_watcher.ready.is_set(), timeout=CHANGE_TIMEOUT_MS)
    yield controller
    closed: list[bool] = []
    watcher, core = controller.story_watcher, controller.core
    controller.shutdown(lambda: closed.append(True))
    qtbot.waitUntil(lambda: closed == [True], timeout=CHANGE_TIMEOUT_MS)
    assert not watcher.running and core._closed  # the watcher ended before the core closed
    window.deleteLater()


def test_a_story_written_while_running_is_reindexed_and_found(qtbot, controller: LiveController, folder: Path):
    assert "beekeeping-sensor-anomalies" not in retrieved_ids(controller, QUESTION)
    stories_before = len(controller.core.library.stories)

    (folder / "beekeeping-sensor-anomalies.md").write_text(NEW_STORY, encoding="utf-8")

    qtbot.waitUntil(lambda: controller.model.status.startswith("re-indexed"), timeout=CHANGE_TIMEOUT_MS)
    assert controller.model.status == f"re-indexed {stories_before + 1} stories (1 added)"
    assert controller.window.status_label.full_text() == controller.model.status
    assert retrieved_ids(controller, QUESTION)[0] == "beekeeping-sensor-anomalies"


def test_a_broken_story_is_named_and_nothing_crashes(qtbot, controller: LiveController, folder: Path):
    (folder / "half-written.md").write_text("---\ntitle: [oops\n---\n## Situation\n", encoding="utf-8")

    qtbot.waitUntil(lambda: "half-written.md" in controller.model.status, timeout=CHANGE_TIMEOUT_MS)
    assert controller.model.status.startswith("re-indexed")
    assert any("half-written.md" in e for e in controller.model.errors)  # the full message, in the banner
    # Fixed by the next save: the story is indexed and the banner is not repeated.
    errors_before = list(controller.model.errors)
    (folder / "half-written.md").write_text(NEW_STORY, encoding="utf-8")
    qtbot.waitUntil(lambda: controller.model.status.endswith("(1 added)"), timeout=CHANGE_TIMEOUT_MS)
    assert controller.model.errors == errors_before
    assert retrieved_ids(controller, QUESTION)[0] == "beekeeping-sensor-anomalies"


def test_a_library_window_save_is_picked_up(qtbot, controller: LiveController, folder: Path):
    """The library window saves through the core's story API (an atomic rename); it comes back here."""
    from ui.library.model import LibraryModel

    model = LibraryModel(folder)
    model.reload()
    model.select(folder / "killed-visual-dedup.md")
    assert model.draft is not None and model.draft.id == "killed-visual-dedup"
    model.set_title("Saved failing beehives with sensor anomaly alerts for beekeepers")
    model.set_section("result", "Beekeepers got sensor alerts on failing beehives eleven days sooner.")
    assert model.save()

    qtbot.waitUntil(lambda: controller.model.status.endswith("(1 changed)"), timeout=CHANGE_TIMEOUT_MS)
    core = controller.core
    cards = core.retriever.retrieve(QUESTION, "behavioral", core.embedder.embed_one(QUESTION))
    hit = cards.stories[0]  # the edited story now answers the question, with its new text on the card
    assert hit.id == "killed-visual-dedup" and "eleven days sooner" in hit.item.section("result")
