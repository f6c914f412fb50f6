"""Session history: encryption at rest, keys (keychain, file, none), crash safety, the sink and the CLI."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import MemoryKeyring
from cryptography.fernet import Fernet
from fakes import StaticKey
from keyring.backends import fail

from copilot.cli.history import register
from copilot.errors import UserError
from copilot.events import CANDIDATE, INTERVIEWER, Bullets, CardsReady, Hit, Question, QuestionTyped, Transcript
from copilot.history.report import answers, to_html, to_markdown
from copilot.history.store import (
    KEY_USERNAME,
    SERVICE,
    FileKeyProvider,
    HistoryStore,
    KeyringKeyProvider,
    default_key_provider,
    default_path,
    recorder_sink,
)

REPO = Path(__file__).resolve().parents[2]
SECRET = "Zebra-42 migration that saved 37% of the GPU bill"


@pytest.fixture
def key() -> bytes:
    return Fernet.generate_key()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


def _file_bytes(db: Path) -> bytes:
    """The database with its write-ahead log: everything SQLite has put on disk."""
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def _fill(store: HistoryStore) -> int:
    sid = store.start_session("rehearsal")
    store.record(sid, "question", {"question_id": 1, "text": "Tell me about a time you cut costs."})
    store.record(sid, "transcript", {"speaker": CANDIDATE, "text": SECRET, "t_start_s": 0.0, "t_end_s": 6.0})
    store.record(sid, "bullets", {"question_id": 1, "bullets": ["Situation: GPU bill"], "source": "composer"})
    return sid


# --- encryption -----------------------------------------------------------------------------------


def test_round_trip_decrypts_what_was_recorded(db: Path, key: bytes) -> None:
    with HistoryStore(db, StaticKey(key)) as store:
        sid = _fill(store)
        store.end_session(sid)
    with HistoryStore(db, StaticKey(key)) as store:
        session = store.load_session(sid)
        [summary] = store.list_sessions()
    assert [i.kind for i in session.items] == ["question", "transcript", "bullets"]
    assert [i.seq for i in session.items] == [1, 2, 3]
    assert session.items[1].payload["text"] == SECRET
    assert session.kind == "rehearsal" and session.ended_at is not None
    assert summary.item_counts == {"question": 1, "transcript": 1, "bullets": 1} and summary.questions == 1


def test_the_file_never_holds_the_plaintext(db: Path, key: bytes) -> None:
    store = HistoryStore(db, StaticKey(key))
    _fill(store)
    while_open = _file_bytes(db)  # items are still in the write-ahead log here
    store.close()
    for data in (while_open, _file_bytes(db)):
        assert b"Zebra-42" not in data and b"GPU bill" not in data and b"cut costs" not in data
        assert b"rehearsal" in data  # the listing metadata is in clear, as designed


def test_wrong_key_is_a_clear_error_and_changes_nothing(db: Path, key: bytes) -> None:
    with HistoryStore(db, StaticKey(key)) as store:
        sid = _fill(store)
    before = sorted(db.parent.iterdir()), db.read_bytes()
    with pytest.raises(UserError, match=r"the history at .*history\.sqlite3 cannot be decrypted with this key"):
        HistoryStore(db, StaticKey(Fernet.generate_key()))
    assert (sorted(db.parent.iterdir()), db.read_bytes()) == before
    with HistoryStore(db, StaticKey(key)) as store:  # the right key still reads everything
        assert len(store.load_session(sid).items) == 3


def test_a_file_that_is_not_a_database_is_moved_aside_once(db: Path, key: bytes) -> None:
    db.write_bytes(b"not sqlite at all" * 100)
    with HistoryStore(db, StaticKey(key)) as store:
        assert store.notice is not None
        (aside,) = db.parent.glob("history.sqlite3.damaged-*")
        assert str(db) in store.notice and str(aside) in store.notice and "new history was started" in store.notice
        assert store.list_sessions() == []
        _fill(store)
    assert aside.read_bytes() == b"not sqlite at all" * 100  # the user's file is kept, untouched
    with HistoryStore(db, StaticKey(key)) as store:  # reported once: the new file is sound
        assert store.notice is None and len(store.list_sessions()) == 1


def _garble_last_page(db: Path) -> None:
    size = db.stat().st_size
    with open(db, "r+b") as handle:
        handle.seek(size - 4096)
        handle.write(b"\xff" * 4096)


def test_a_garbled_last_page_is_moved_aside_and_never_written_into(db: Path, key: bytes) -> None:
    with HistoryStore(db, StaticKey(key)) as store:
        for _ in range(30):
            _fill(store)
    with HistoryStore(db, StaticKey(key)):  # checkpoint the WAL into the file, so the garbling sticks
        pass
    _garble_last_page(db)
    damaged = db.read_bytes()
    with HistoryStore(db, StaticKey(key)) as store:
        assert store.notice is not None and "was damaged" in store.notice
        store.start_session("rehearsal")
    (aside,) = db.parent.glob("history.sqlite3.damaged-*")
    assert aside.read_bytes() == damaged


def test_history_list_on_a_garbled_file_explains_and_does_not_trace(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with HistoryStore(default_path(), default_key_provider()) as store:
        for _ in range(30):
            _fill(store)
    with HistoryStore(default_path(), default_key_provider()):
        pass
    _garble_last_page(default_path())
    assert _cli("list") == 0
    err = capsys.readouterr().err
    assert "was damaged" in err and "moved to" in err and "Traceback" not in err
    assert _cli("list") == 0
    assert "damaged" not in capsys.readouterr().err  # once


def test_a_deleted_key_file_is_reported_not_silently_replaced(tmp_path: Path) -> None:
    key_file, db = tmp_path / "history.key", tmp_path / "history.sqlite3"
    with HistoryStore(db, FileKeyProvider(key_file)) as store:
        _fill(store)
    key_file.unlink()
    with pytest.raises(UserError, match=r"history key file .*history\.key is missing.*encrypted with it"):
        HistoryStore(db, FileKeyProvider(key_file))
    assert not key_file.exists()  # no new key was made


def test_a_full_disk_is_named_as_such(db: Path, key: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's own SQLITE_FULL, by capping the file at its current page count."""
    import sqlite3

    with HistoryStore(db, StaticKey(key)) as store:
        sid = _fill(store)
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store._db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(UserError, match="the disk is full") as caught:
            for _ in range(200):
                store.record(sid, "transcript", {"text": "x" * 4000})
        assert "not a usable" not in str(caught.value)
    assert isinstance(sqlite3.sqlite_version, str)


# --- keys -----------------------------------------------------------------------------------------


def test_missing_keychain_explains_both_choices(db: Path, use_keyring: Any) -> None:
    use_keyring(fail.Keyring())
    with pytest.raises(UserError) as caught:
        HistoryStore(db, KeyringKeyProvider())
    message = str(caught.value)
    assert "no system keychain" in message
    assert "COPILOT_HISTORY_KEY_FILE" in message and "0600" in message
    assert "COPILOT_HISTORY=off" in message
    assert not db.exists()  # nothing is created without a key


def test_keychain_key_is_created_once_and_reused(db: Path, use_keyring: Any) -> None:
    backend = MemoryKeyring()
    use_keyring(backend)
    with HistoryStore(db, KeyringKeyProvider()) as store:
        sid = _fill(store)
    stored = backend.store[(SERVICE, KEY_USERNAME)]
    with HistoryStore(db, KeyringKeyProvider()) as store:
        assert store.load_session(sid).items[1].payload["text"] == SECRET
    assert backend.store[(SERVICE, KEY_USERNAME)] == stored


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "history.key"
    first = FileKeyProvider(path).get_key()
    assert path.stat().st_mode & 0o777 == 0o600
    assert FileKeyProvider(path).get_key() == first
    Fernet(first)  # a valid key
    assert [p.name for p in path.parent.iterdir()] == ["history.key"]  # no temporary file left


def test_a_broken_key_file_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "history.key"
    path.write_text("hunter2\n")
    with pytest.raises(UserError, match="not a valid history key"):
        FileKeyProvider(path).get_key()


def test_key_file_variable_selects_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COPILOT_HISTORY_KEY_FILE", str(tmp_path / "k"))
    provider = default_key_provider()
    assert isinstance(provider, FileKeyProvider) and provider.path == tmp_path / "k"
    monkeypatch.delenv("COPILOT_HISTORY_KEY_FILE")
    assert isinstance(default_key_provider(), KeyringKeyProvider)


# --- crash safety, delete -------------------------------------------------------------------------

_KILLED_SCRIPT = """
import os, sys
from copilot.history.store import FileKeyProvider, HistoryStore
store = HistoryStore(sys.argv[1], FileKeyProvider(sys.argv[2]))
sid = store.start_session("live")
store.record(sid, "question", {"question_id": 1, "text": "Why this team?"})
store.record(sid, "transcript", {"speaker": "candidate", "text": "Because of the roadmap."})
print(sid, flush=True)
os._exit(1)  # killed mid-session: no end_session, no close, no checkpoint
"""


def test_a_session_killed_mid_way_is_readable_after_restart(db: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "history.key"
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_KILLED_SCRIPT), str(db), str(key_file)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1, run.stderr
    sid = int(run.stdout.strip())
    with HistoryStore(db, FileKeyProvider(key_file)) as store:
        session = store.load_session(sid)
        [summary] = store.list_sessions()
    assert [i.payload.get("text") for i in session.items] == ["Why this team?", "Because of the roadmap."]
    assert session.ended_at is None and summary.ended_at is None


def test_delete_removes_the_session_and_its_items(db: Path, key: bytes) -> None:
    with HistoryStore(db, StaticKey(key)) as store:
        keep, gone = _fill(store), _fill(store)
        store.delete_session(gone)
        assert [s.id for s in store.list_sessions()] == [keep]
        with pytest.raises(UserError, match=f"no session {gone}"):
            store.load_session(gone)
        with pytest.raises(UserError, match="no session 999"):
            store.delete_session(999)
        assert len(store.load_session(keep).items) == 3


def test_unknown_kinds_are_programming_errors(db: Path, key: bytes) -> None:
    with HistoryStore(db, StaticKey(key)) as store:
        with pytest.raises(ValueError):
            store.start_session("party")
        sid = store.start_session("drill")
        with pytest.raises(ValueError):
            store.record(sid, "gossip", {})


# --- the live sink --------------------------------------------------------------------------------


def _live_events() -> list[object]:
    question = Question(7, "Tell me about a conflict.", t_end_s=3.0)
    typed = QuestionTyped(question, "behavioral", 0.91, latency_ms=4.0)
    story = Hit("story", "halved-serving-cost", "Halved GPU cost", 0.8, item=None)
    return [
        Transcript(1, INTERVIEWER, "Tell me about", False, 0.0, 1.5, 10.0),
        Transcript(1, INTERVIEWER, "Tell me about a conflict.", True, 0.0, 3.0, 10.0),
        Question(7, "Tell me about", t_end_s=1.5, is_final=False),
        question,
        CardsReady(typed, frameworks=(), stories=(story,), topics=(), latency_ms=20.0),
        Bullets(7, ("Situation: two teams", "Action: I"), "llm", done=False, latency_ms=90.0),
        Bullets(7, ("Situation: two teams", "Action: I mediated"), "llm", done=True, latency_ms=300.0),
        object(),
    ]


def test_recorder_sink_keeps_only_settled_events(db: Path, key: bytes) -> None:
    with HistoryStore(db, StaticKey(key)) as store:
        sid = store.start_session("live")
        sink = recorder_sink(store, sid)
        for event in _live_events():
            sink(event)
        items = store.load_session(sid).items
    assert [i.kind for i in items] == ["transcript", "question", "cards", "bullets"]
    assert items[0].payload["text"] == "Tell me about a conflict." and items[0].payload["speaker"] == INTERVIEWER
    assert items[2].payload["question_type"] == "behavioral" and items[2].payload["stories"] == ["halved-serving-cost"]
    assert items[3].payload["bullets"][-1] == "Action: I mediated"
    assert "event" not in items[0].payload


def test_recorder_sink_never_stops_the_session(db: Path, key: bytes, caplog: pytest.LogCaptureFixture) -> None:
    store = HistoryStore(db, StaticKey(key))
    sink = recorder_sink(store, 12345)  # no such session: every record fails
    for event in _live_events():
        sink(event)  # does not raise
    store.close()
    assert sum("stopped recording" in r.message for r in caplog.records) == 1


def test_markdown_report_lists_questions_answers_and_bullets(db: Path, key: bytes) -> None:
    with HistoryStore(db, StaticKey(key)) as store:
        session = store.load_session(_fill(store))
    md = to_markdown(session)
    assert "## Q1. Tell me about a time you cut costs." in md
    assert "- Situation: GPU bill" in md
    assert f"> {SECRET}" in md and "words per minute" in md
    assert "did not end cleanly" in md


def test_report_reads_drill_feedback_as_copilot_feedback_writes_it(db: Path, key: bytes) -> None:
    def feedback(question: str, wpm: float, task: bool) -> dict[str, Any]:
        checks = {"situation_heard": True, "task_heard": task, "action_heard": True, "result_heard": False}
        return {
            "question": question,
            "question_type": "behavioral",
            "transcript": "We had a outage. I rolled back.",
            "delivery": {"words_per_minute": wpm},
            "content": {"checks": checks, "sections": {}},
        }

    with HistoryStore(db, StaticKey(key)) as store:
        sid = store.start_session("drill")
        store.record(sid, "feedback", feedback("Tell me about an outage.", 150.0, True))
        store.record(sid, "feedback", feedback("Tell me about a conflict.", 95.0, False))
        session = store.load_session(sid)
    first, second = answers(session)
    assert (first.question, first.words_per_minute()) == ("Tell me about an outage.", 150.0)
    assert second.star() == {"situation": 1.0, "task": 0.0, "action": 1.0, "result": 0.0}
    assert second.question_type == "behavioral" and second.answer[0]["text"].startswith("We had")
    page = to_html(session)
    assert page.count("<svg") == 2  # pace and STAR; no timings were recorded


# --- the command line -----------------------------------------------------------------------------


def _cli(*argv: str) -> int:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers()
    register(sub)
    args = p.parse_args(["history", *argv])
    return int(args.func(args))


@pytest.fixture
def history(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> int:
    """Two sessions in the default history (COPILOT_DATA_DIR comes from conftest), key in a file."""
    monkeypatch.setenv("COPILOT_HISTORY_KEY_FILE", str(tmp_path / "history.key"))
    monkeypatch.delenv("COPILOT_HISTORY", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal: delete must not prompt
    with HistoryStore(default_path(), default_key_provider()) as store:
        _fill(store)
        sid = _fill(store)
        store.end_session(sid)
    return sid


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_cli_list(history: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli("list", "--json") == 0
    rows = _json_lines(capsys.readouterr().out)
    assert [r["id"] for r in rows] == [1, history]
    assert rows[0]["ended_at"] is None and rows[1]["ended_at"] and rows[1]["questions"] == 1
    assert _cli("list") == 0
    out = capsys.readouterr().out
    assert "unfinished" in out and "rehearsal" in out and SECRET not in out


def test_cli_show(history: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli("show", str(history)) == 0
    assert SECRET in capsys.readouterr().out
    assert _cli("show", str(history), "--json") == 0
    [session] = _json_lines(capsys.readouterr().out)
    assert session["id"] == history and session["items"][1]["payload"]["text"] == SECRET


def test_cli_export(history: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli("export", str(history), "--format", "md", "--out", str(tmp_path / "s.md")) == 0
    assert SECRET in (tmp_path / "s.md").read_text(encoding="utf-8")
    assert _cli("export", str(history), "--out", str(tmp_path / "s.html")) == 0  # format from the suffix
    assert (tmp_path / "s.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    capsys.readouterr()
    assert _cli("export", str(history), "--out", str(tmp_path / "s.txt")) == 2
    assert "--format" in capsys.readouterr().err


def test_cli_delete(history: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli("delete", str(history)) == 2  # no --yes and no terminal to ask
    assert "--yes" in capsys.readouterr().err
    assert _cli("delete", str(history), "--yes", "--json") == 0
    assert _json_lines(capsys.readouterr().out) == [{"id": history, "deleted": True}]
    assert _cli("list", "--json") == 0
    assert [r["id"] for r in _json_lines(capsys.readouterr().out)] == [1]


def test_cli_errors_are_one_line(history: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli("show", "999") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no session 999" in err and "Traceback" not in err
    assert _cli("show", "999", "--json") == 1
    assert "no session 999" in _json_lines(capsys.readouterr().out)[0]["error"]


def test_cli_wrong_key_and_history_off(history: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setenv("COPILOT_HISTORY_KEY_FILE", str(tmp_path / "missing.key"))
    assert _cli("list") == 1
    assert "missing.key is missing" in capsys.readouterr().err
    (tmp_path / "other.key").write_bytes(Fernet.generate_key())
    monkeypatch.setenv("COPILOT_HISTORY_KEY_FILE", str(tmp_path / "other.key"))
    assert _cli("list") == 1
    assert "cannot be decrypted with this key" in capsys.readouterr().err
    monkeypatch.setenv("COPILOT_HISTORY", "off")
    assert _cli("list") == 1
    assert "COPILOT_HISTORY=off" in capsys.readouterr().err


def test_cli_without_a_command_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli() == 2
    assert "choose a command" in capsys.readouterr().err
