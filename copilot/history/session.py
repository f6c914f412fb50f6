"""Recording a CLI or app session into the encrypted history, without ever stopping the practice.

If history cannot be opened (no OS keychain, a wrong key), the user is told once, with the two
explicit choices (a key file, or history off), and the session goes on unrecorded.

`recorded_session` is the CLI's form (a `with` block, messages on stderr). The desktop app uses
`SessionRecorder`: every store access (the keychain, SQLite) runs on the recorder's own thread, in the
order it was asked for, so the GUI thread never waits; the messages go to a callback the window routes
to its banner. History is off when COPILOT_HISTORY says so or the settings file has
`[history] enabled = false` (the settings dialog's "Save session history").
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from copilot.config import paths
from copilot.config.history import history_switch
from copilot.errors import UserError
from copilot.history.store import (
    HistoryStore,
    KeyProvider,
    default_key_provider,
    default_path,
    event_payload,
    history_enabled,
    recorder_sink,
)

log = logging.getLogger(__name__)
NOT_SAVED = "this session is not saved to history"
Warn = Callable[[str], None]


def settings_history_enabled(config: Path | None = None) -> bool:
    """False when the settings file says `[history] enabled = false` (copilot.config.history reads it).

    A value that is not true or false (`enabled = "no"`), or a file that cannot be read, raises
    InputFileError naming it, because guessing "on" would record sessions the user may have asked us not to.
    """
    return history_switch(config)


def history_wanted(config: Path | None = None) -> bool:
    """Record sessions? Off by COPILOT_HISTORY=off or by the settings file."""
    return history_enabled() and settings_history_enabled(config)


class SessionRecord:
    def __init__(self, store: HistoryStore, session_id: int, warn: Warn | None = None) -> None:
        self._store, self.session_id = store, session_id
        self._failed = False
        self._closed = False
        self.warn: Warn = warn or _warn

    def record(self, kind: str, payload: dict[str, Any]) -> None:
        if self._failed or self._closed:
            return
        try:
            self._store.record(self.session_id, kind, payload)
        except UserError as exc:
            self._failed = True
            self.warn(f"session history stopped recording: {exc}")

    def sink(self) -> Callable[[object], None]:
        return recorder_sink(self._store, self.session_id)

    def record_rehearsal(self, result: dict[str, Any], question_id: int) -> None:
        """One `copilot rehearse` result, split into the items the history report reads."""
        if "error" in result:
            return
        self.record("question", {"question_id": question_id, "final": True, "text": result.get("transcript", "")})
        self.record(
            "cards",
            {
                "question_id": question_id,
                "question_type": result.get("question_type"),
                "type_confidence": result.get("type_confidence"),
                "frameworks": [f["id"] for f in result.get("frameworks") or []],
                "stories": [s["id"] for s in result.get("stories") or []],
                "topics": [t["id"] for t in result.get("topics") or []],
            },
        )
        self.record(
            "bullets",
            {
                "question_id": question_id,
                "source": result.get("bullets_source"),
                "done": True,
                "bullets": list(result.get("bullets") or []),
            },
        )
        if result.get("timings_ms"):
            self.record("timings", {"question_id": question_id, "timings_ms": result["timings_ms"]})

    def end(self) -> None:
        """Stamp the end time; the store stays open (close() closes it)."""
        if self._closed:
            return
        try:
            self._store.end_session(self.session_id)
        except UserError as exc:
            self.warn(f"the session's end was not saved to history: {exc}")

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._store.close()


def open_session(
    kind: str,
    *,
    path: Path | None = None,
    key_provider: KeyProvider | None = None,
    config: Path | None = None,
    enabled: bool | None = None,
) -> tuple[SessionRecord | None, str | None]:
    """Open the history and start a session: (the record, None), (None, None) when history is off, or
    (None, why it could not be opened, naming the choices). A record may come with a message too: the
    old history was damaged and moved aside (where to is in the message). Blocking: keychain and SQLite."""
    if not (history_enabled() if enabled is None else enabled):
        return None, None
    try:
        if not settings_history_enabled(config):
            return None, None
    except UserError as exc:  # an invalid switch: not recorded, and said why
        return None, f"{NOT_SAVED}: {exc}"
    try:
        store = HistoryStore(path or default_path(), key_provider or default_key_provider())
    except UserError as exc:
        return None, f"{NOT_SAVED}: {exc}"
    except Exception as exc:  # a keychain backend failing in its own way: still never stop the practice
        log.exception("opening the session history failed")
        return None, f"{NOT_SAVED}: {type(exc).__name__}: {exc}"
    try:
        session_id = store.start_session(kind)
    except UserError as exc:
        store.close()
        return None, f"{NOT_SAVED}: {exc}"
    return SessionRecord(store, session_id), store.notice  # a damaged history moved aside: said once


@contextlib.contextmanager
def recorded_session(kind: str) -> Iterator[SessionRecord | None]:
    """A history session for the duration of the block, or None when history is off or unavailable."""
    record, message = open_session(kind)
    if message:
        _warn(message)
    if record is None:
        yield None
        return
    try:
        yield record
        record.end()
    finally:
        record.close()


Opener = Callable[[str], tuple[SessionRecord | None, str | None]]


class SessionRecorder:
    """One history session recorded on its own thread; no method blocks, any thread may call them.

    The store opens at `open()` or at the first item, whichever comes first; `close()` stamps the end
    and closes it. Where the history lives (folders, key file, settings file) is fixed when the recorder
    is made. `on_message` gets, on the recorder's thread, why history could not be opened or stopped
    recording (each at most once per recorder).
    """

    def __init__(self, kind: str, on_message: Warn | None = None, opener: Opener | None = None) -> None:
        self.kind = kind
        self._on_message = on_message or _warn
        self._opener: Opener = opener or partial(
            open_session,
            path=default_path(),
            key_provider=default_key_provider(),
            config=paths.config_file(),
            enabled=history_enabled(),
        )
        self._queue: queue.SimpleQueue[Callable[[], object] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._opened = False
        self._record: SessionRecord | None = None
        self.session_id: int | None = None  # once opened, on the recorder's thread
        self.finished = threading.Event()  # set once closed and everything asked for was done

    # --- asking (any thread) ----------------------------------------------------------------------

    def open(self) -> None:
        self._submit(partial(self._with_record, lambda _: None))

    def record(self, kind: str, payload: dict[str, Any]) -> None:
        self._submit(partial(self._with_record, lambda r: r.record(kind, payload)))

    def record_rehearsal(self, result: dict[str, Any], question_id: int) -> None:
        self._submit(partial(self._with_record, lambda r: r.record_rehearsal(result, question_id)))

    def record_event(self, event: object) -> None:
        """A live-session sink: keeps the settled events (final transcripts, questions, cards, bullets)."""
        converted = event_payload(event)
        if converted is not None:
            self.record(*converted)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._thread is None:  # nothing was ever asked: nothing to open or end
                self.finished.set()
                return
            self._queue.put(None)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until closed and done (tests, and the app's last moments); True when it finished."""
        return self.finished.wait(timeout)

    # --- the recorder's thread --------------------------------------------------------------------

    def _submit(self, op: Callable[[], object]) -> None:
        with self._lock:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"history-{self.kind}", daemon=True)
                self._thread.start()
            self._queue.put(op)

    def _run(self) -> None:
        try:
            while (op := self._queue.get()) is not None:
                try:
                    op()
                except Exception:  # a malformed payload: logged, and recording goes on
                    log.exception("recording to the session history failed")
            if self._record is not None:
                self._record.end()
                self._record.close()
        finally:
            self.finished.set()

    def _ensure_open(self) -> SessionRecord | None:
        if not self._opened:
            self._opened = True
            record, message = self._opener(self.kind)
            if message:
                self._on_message(message)
            if record is not None:
                record.warn = self._on_message
                self._record, self.session_id = record, record.session_id
        return self._record

    def _with_record(self, action: Callable[[SessionRecord], None]) -> None:
        record = self._ensure_open()
        if record is not None:
            action(record)


def _warn(message: str) -> None:
    print(f"copilot: {message}", file=sys.stderr)
