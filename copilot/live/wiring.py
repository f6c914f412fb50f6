"""Opening a live session: its sources, its sink and its history, wired one way for every caller.

`copilot listen` and the desktop app both call `open_live_session()`; they differ only in what they
pass: where the audio comes from (`LiveInput`), what the user sees (`sink`: JSON lines, the window),
a history recorder (the history package is above this one, so the caller makes it), the pause chosen
for this session, and a wrapper for each source (the app's level meters).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from copilot.audio.sources import AudioSource
from copilot.composition import Core
from copilot.events import CANDIDATE, INTERVIEWER
from copilot.live.session import LiveSession, Sink, options_from_settings

REPLAY_TAIL_S = 3.0  # silence after a replayed recording, so the pause that ends its question comes
SourceWrapper = Callable[[AudioSource], AudioSource]


class SessionHistory(Protocol):
    """What a live session needs of a history recorder (copilot/history/session.SessionRecorder).

    No method may block: `record_event` is called on the session's threads, inside its sink."""

    def open(self) -> None: ...

    def record_event(self, event: object) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class LiveInput:
    """What a session listens to: a recording replayed as the interviewer, or the devices.

    `system` and `microphone` name a device (an index or a name; None is the default one);
    `microphone=None` with `with_microphone=False` listens to the interviewer only."""

    replay: str | None = None
    system: int | str | None = None
    microphone: int | str | None = None
    with_microphone: bool = True

    def open(self) -> list[AudioSource]:
        from copilot.audio.sources import open_source

        if self.replay is not None:
            return [open_source("file", path=self.replay, speaker=INTERVIEWER, tail_silence_s=REPLAY_TAIL_S)]
        sources = [open_source("system", device=self.system, speaker=INTERVIEWER)]
        if self.with_microphone:
            sources.append(open_source("microphone", device=self.microphone, speaker=CANDIDATE))
        return sources


def open_live_session(
    core: Core,
    open_sources: Callable[[], list[AudioSource]],
    sink: Sink,
    *,
    history: SessionHistory | None = None,
    pause_s: float | None = None,
    wrap_source: SourceWrapper | None = None,
) -> LiveSession:
    """Open the sources, start the history session and the live one; return it running.

    Every event goes to `sink` and to `history`. `pause_s` is the end-of-question pause for this
    session (None: the settings'). The caller stops the session, then closes `history` (after
    `stop()`, so every event of the session is recorded before the end is stamped).
    """
    sources = open_sources()
    if wrap_source is not None:
        sources = [wrap_source(source) for source in sources]

    def to_sink_and_history(event: object) -> None:  # on the session's threads
        sink(event)
        if history is not None:
            history.record_event(event)  # a queue put: the store is written on the recorder's thread

    options = options_from_settings(core, pause_s=pause_s)
    session = LiveSession(core, sources, to_sink_and_history, options=options)
    if history is not None:
        history.open()  # the history session starts with the live one
    session.start()
    return session
