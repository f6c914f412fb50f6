"""open_live_session: one wiring of sources, sink, history and options for `copilot listen` and the app."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import JFK_WAV

from copilot.config.settings import Settings, TurnSettings
from copilot.events import INTERVIEWER, Question, SourceEnded
from copilot.live import wiring


class FakeSession:
    """Records how it was made; on start() it "hears" one question and its source ends."""

    def __init__(self, core: Any, sources: Any, sink: Any, options: Any) -> None:
        self.sources, self.sink, self.options = sources, sink, options
        self.started = False

    def start(self) -> None:
        self.started = True
        self.sink(Question(1, "Why us?", 2.0))
        self.sink(SourceEnded(INTERVIEWER, "end of file"))


class FakeHistory:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def open(self) -> None:
        self.log.append("history open")

    def record_event(self, event: object) -> None:
        self.log.append(f"recorded {type(event).__name__}")

    def close(self) -> None:
        self.log.append("history closed")


class Wrapped:
    def __init__(self, source: Any) -> None:
        self.inner = source


@pytest.fixture
def fake_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wiring, "LiveSession", FakeSession)


def _core(pause_s: float = 0.6) -> Any:
    return SimpleNamespace(settings=replace(Settings(), turn=TurnSettings(pause_s=pause_s, speculate_after_s=0.15)))


def test_every_event_reaches_the_sink_and_the_history_opened_before_the_session(fake_session: None) -> None:
    log: list[str] = []
    source = SimpleNamespace(speaker=INTERVIEWER)
    session: Any = wiring.open_live_session(
        _core(), lambda: [source], lambda e: log.append(f"shown {type(e).__name__}"), history=FakeHistory(log)
    )
    assert session.started
    assert log == [
        "history open",
        "shown Question",
        "recorded Question",
        "shown SourceEnded",
        "recorded SourceEnded",
    ]
    assert session.sources == [source]
    assert "history closed" not in log  # the caller closes it, after stop()


def test_the_pause_passed_in_is_the_session_s_and_the_settings_stay(fake_session: None) -> None:
    core = _core(pause_s=0.6)
    session: Any = wiring.open_live_session(core, list, print, pause_s=1.4)
    assert session.options.interviewer.end_pause_s == pytest.approx(1.4)
    assert core.settings.turn.pause_s == pytest.approx(0.6)
    default: Any = wiring.open_live_session(core, list, print)
    assert default.options.interviewer.end_pause_s == pytest.approx(0.6)


def test_each_source_is_wrapped_and_a_failed_open_starts_no_history(fake_session: None) -> None:
    source = SimpleNamespace(speaker=INTERVIEWER)
    session: Any = wiring.open_live_session(_core(), lambda: [source], print, wrap_source=Wrapped)
    assert [s.inner for s in session.sources] == [source]

    def no_device() -> list:
        raise OSError("no such device")

    log: list[str] = []
    with pytest.raises(OSError):
        wiring.open_live_session(_core(), no_device, print, history=FakeHistory(log))
    assert log == []


def test_a_replay_is_the_interviewer_with_silence_after_it() -> None:
    from copilot.audio.sources import FileSource

    (source,) = wiring.LiveInput(replay=str(JFK_WAV)).open()
    assert source.speaker == INTERVIEWER
    assert source.duration_s == pytest.approx(FileSource(JFK_WAV).duration_s + wiring.REPLAY_TAIL_S, abs=0.01)
    assert source.realtime is True
    assert "jfk_16k_mono.wav" in source.description
