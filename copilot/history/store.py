"""Session history: every live, rehearsal or drill session, kept locally in SQLite, encrypted at rest.

One row per session (kind and timestamps, in clear so sessions can be listed) and one row per item
(transcript, question, cards, bullets, feedback, timings) whose content is JSON encrypted with Fernet.
Only what listing needs (kinds, timestamps, counts) is stored in clear; what was said never is.

Each item is committed as it is recorded (WAL mode), so a session cut short by a crash or a kill is
still readable after a restart; it simply has no end time.

The key lives in the OS keychain (service "interview-copilot", user name "history-key"), kept by
copilot.config.secrets.KeyringKeyProvider. Without a keychain the user chooses explicitly: keep the key
in a file (COPILOT_HISTORY_KEY_FILE, created with mode 0600) or turn history off (COPILOT_HISTORY=off).
Both variables are read by copilot.config.history, the settings reader. A key that does not match the
file is reported and nothing is modified or deleted.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from copilot.config.history import history_allowed, history_key_file, history_path
from copilot.config.secrets import HISTORY_KEY_USERNAME, KeyringKeyProvider, new_history_key
from copilot.config.secrets import SERVICE as SERVICE  # re-exported: the keychain entry's service name
from copilot.errors import UserError

log = logging.getLogger(__name__)

KEY_USERNAME = HISTORY_KEY_USERNAME  # the keychain entry's user name, under SERVICE
SESSION_KINDS = ("live", "rehearsal", "drill", "mock")
ITEM_KINDS = ("transcript", "question", "cards", "bullets", "feedback", "timings", "mock_answer", "mock_summary")
SCHEMA_VERSION = 1
# A known plaintext encrypted with the key when the file is created: lets us tell "wrong key" apart
# from an empty history before anything is read or written.
_KEY_CHECK = b"interview-copilot history key check v1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE TABLE IF NOT EXISTS items (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL,
    payload BLOB NOT NULL,
    PRIMARY KEY (session_id, seq)
);
"""

# --- keys -----------------------------------------------------------------------------------------


class KeyProvider(Protocol):
    def get_key(self) -> bytes:
        """A Fernet key (urlsafe base64 of 32 bytes), created on first use."""
        ...


class FileKeyProvider:
    """The key in a file the user chose (COPILOT_HISTORY_KEY_FILE), created with mode 0600."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()

    def get_key(self) -> bytes:
        if not self.path.exists():
            self._create()
        try:
            key = self.path.read_bytes().strip()
        except OSError as exc:
            raise UserError(f"{self.path}: the history key file cannot be read ({exc.strerror or exc})") from None
        _check_key_format(key, self.path)
        return key

    def key_exists(self) -> bool:
        return self.path.exists()

    def _create(self) -> None:
        # mkstemp creates the file with mode 0600 before any byte is written; os.link then publishes it
        # atomically and fails if another process got there first (we then read theirs).
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(new_history_key() + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.link(tmp, self.path)
        except FileExistsError:
            pass
        except OSError as exc:
            raise UserError(f"{self.path}: the history key file cannot be created ({exc.strerror or exc})") from None
        finally:
            os.unlink(tmp)


def _check_key_format(key: bytes, where: Path | str) -> None:
    from cryptography.fernet import Fernet

    try:
        Fernet(key)
    except ValueError:
        raise UserError(f"{where}: this is not a valid history key (expected 44 characters of base64)") from None


def history_enabled() -> bool:
    """False when COPILOT_HISTORY turns history off (read by copilot.config.history)."""
    return history_allowed()


def default_key_provider() -> KeyProvider:
    """COPILOT_HISTORY_KEY_FILE when set, else the OS keychain."""
    key_file = history_key_file()
    return FileKeyProvider(key_file) if key_file else KeyringKeyProvider()


def default_path() -> Path:
    return history_path()


def open_default_store() -> HistoryStore:
    """The user's history, or a UserError when it is turned off."""
    if not history_enabled():
        raise UserError("session history is off (COPILOT_HISTORY=off); unset it to record and read sessions")
    return HistoryStore(default_path(), default_key_provider())


# --- records --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    seq: int
    kind: str
    created_at: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class SessionSummary:
    id: int
    kind: str
    started_at: str
    ended_at: str | None  # None: still running, or cut short
    item_counts: dict[str, int] = field(default_factory=dict)

    @property
    def questions(self) -> int:
        return self.item_counts.get("question", 0)


@dataclass(frozen=True)
class Session:
    id: int
    kind: str
    started_at: str
    ended_at: str | None
    items: tuple[Item, ...]

    def of_kind(self, kind: str) -> list[Item]:
        return [item for item in self.items if item.kind == kind]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# --- the store ------------------------------------------------------------------------------------


class HistoryStore:
    """The history file. Thread-safe: a live session records from its own threads."""

    def __init__(self, path: Path | str, key_provider: KeyProvider, clock: Callable[[], str] = _now) -> None:
        from cryptography.fernet import Fernet

        self.path = Path(path)
        self._clock = clock
        # Said once, by whoever opens the store: the damaged file was moved aside (see _heal()).
        self.notice: str | None = None
        _refuse_a_new_key_for_old_history(self.path, key_provider)
        key = key_provider.get_key()
        _check_key_format(key, "the history key")
        self._fernet = Fernet(key)
        self._lock = threading.Lock()
        self._db = self._connect()
        try:
            self._check_key_or_init()
        except BaseException:
            self._db.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        """The database, checked; a damaged one is moved aside once and a new one started."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(
                f"{self.path.parent}: the history folder cannot be created ({exc.strerror or exc})"
            ) from None
        try:
            return self._open_checked()
        except sqlite3.DatabaseError as exc:
            if not _is_corruption(exc):
                raise _storage_error(self.path, exc) from None
            self._heal(exc)
        try:
            return self._open_checked()
        except sqlite3.DatabaseError as exc:
            raise _storage_error(self.path, exc) from None

    def _open_checked(self) -> sqlite3.Connection:
        # check_same_thread=False: the live session records from its worker threads; self._lock
        # serialises every use of the connection. isolation_level=None: we commit explicitly.
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # FULL: each item survives a power cut too, not only a killed process; history writes are
            # a few per question, so the extra fsync costs nothing a user can see.
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA secure_delete=ON")  # deleted sessions are overwritten, not just unlinked
            # Structure check before the first write, so a damaged file is never written into.
            problems = db.execute("PRAGMA quick_check").fetchall()
            if problems != [("ok",)]:
                raise sqlite3.DatabaseError(f"database disk image is malformed ({problems[0][0] if problems else '?'})")
        except BaseException:
            db.close()
            raise
        return db

    def _heal(self, exc: sqlite3.DatabaseError) -> None:
        """Move the damaged file (and its journal) aside, keeping it for the user, and say where."""
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        try:
            for suffix in ("", "-wal", "-shm"):
                source = Path(f"{self.path}{suffix}")
                if source.exists():
                    os.replace(source, f"{aside}{suffix}")
        except OSError as err:
            raise UserError(
                f"{self.path}: the history is damaged ({exc}) and could not be moved aside ({err.strerror or err}); "
                "move it away by hand to start a new history"
            ) from None
        self.notice = (
            f"the session history at {self.path} was damaged ({exc}); it was moved to {aside} "
            "and a new history was started"
        )
        log.warning("%s", self.notice)

    def _check_key_or_init(self) -> None:
        # Read before writing anything: with a wrong key we must leave the file exactly as it was.
        try:
            has_meta = self._db.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone()
            check = self._db.execute("SELECT value FROM meta WHERE name='key_check'").fetchone() if has_meta else None
        except sqlite3.DatabaseError as exc:
            raise _storage_error(self.path, exc) from None
        if check is not None:
            self._decrypt(check[0])
            return
        with self._transaction():
            # One statement at a time: executescript() would commit our transaction half-way.
            for statement in filter(str.strip, _SCHEMA.split(";")):
                self._db.execute(statement)
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?), ('key_check', ?)",
                (str(SCHEMA_VERSION), self._fernet.encrypt(_KEY_CHECK)),
            )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                # SQLite rolls back by itself on some errors (a full disk): a second ROLLBACK would
                # fail and hide the real cause.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise _storage_error(self.path, exc, "the history could not be updated") from None

    def _decrypt(self, token: bytes) -> bytes:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise UserError(
                f"the history at {self.path} cannot be decrypted with this key; it was written with another key "
                "(another keychain, or a different COPILOT_HISTORY_KEY_FILE). Restore that key to read it, or move "
                "the file aside to start a new history; nothing was changed or deleted"
            ) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ----------------------------------------------------------------------------------

    def start_session(self, kind: str) -> int:
        if kind not in SESSION_KINDS:
            raise ValueError(f"session kind must be one of {SESSION_KINDS}, not {kind!r}")
        with self._lock, self._transaction():
            cursor = self._db.execute("INSERT INTO sessions (kind, started_at) VALUES (?, ?)", (kind, self._clock()))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def record(self, session_id: int, kind: str, payload: dict[str, Any]) -> int:
        """Encrypt and commit one item at once; returns its sequence number within the session."""
        if kind not in ITEM_KINDS:
            raise ValueError(f"item kind must be one of {ITEM_KINDS}, not {kind!r}")
        token = self._fernet.encrypt(json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8"))
        with self._lock, self._transaction():
            self._require_session(session_id)
            (seq,) = self._db.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM items WHERE session_id = ?", (session_id,)
            ).fetchone()
            self._db.execute(
                "INSERT INTO items (session_id, seq, kind, created_at, payload) VALUES (?, ?, ?, ?, ?)",
                (session_id, seq, kind, self._clock(), token),
            )
        return int(seq)

    def end_session(self, session_id: int) -> None:
        with self._lock, self._transaction():
            self._require_session(session_id)
            self._db.execute("UPDATE sessions SET ended_at = ? WHERE id = ?", (self._clock(), session_id))

    def delete_session(self, session_id: int) -> None:
        with self._lock, self._transaction():
            self._require_session(session_id)
            self._db.execute("DELETE FROM items WHERE session_id = ?", (session_id,))
            self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def _require_session(self, session_id: int) -> tuple[Any, ...]:
        row = self._db.execute(
            "SELECT id, kind, started_at, ended_at FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if row is None:
            raise UserError(f"there is no session {session_id} in the history at {self.path}")
        return tuple(row)

    # --- reading ----------------------------------------------------------------------------------

    def list_sessions(self) -> list[SessionSummary]:
        """Every session, oldest first, from the clear metadata only (nothing is decrypted)."""
        with self._lock, self._reading():
            sessions = self._db.execute("SELECT id, kind, started_at, ended_at FROM sessions ORDER BY id").fetchall()
            counts = self._db.execute("SELECT session_id, kind, COUNT(*) FROM items GROUP BY session_id, kind")
            per_session: dict[int, dict[str, int]] = {}
            for session_id, kind, n in counts:
                per_session.setdefault(session_id, {})[kind] = n
        return [SessionSummary(sid, kind, start, end, per_session.get(sid, {})) for sid, kind, start, end in sessions]

    def load_session(self, session_id: int) -> Session:
        with self._lock, self._reading():
            sid, kind, started, ended = self._require_session(session_id)
            rows = self._db.execute(
                "SELECT seq, kind, created_at, payload FROM items WHERE session_id = ? ORDER BY seq", (session_id,)
            ).fetchall()
        items = tuple(Item(seq, k, created, self._payload(session_id, seq, token)) for seq, k, created, token in rows)
        return Session(sid, kind, started, ended, items)

    def _payload(self, session_id: int, seq: int, token: bytes) -> dict[str, Any]:
        from cryptography.fernet import InvalidToken

        # The key matched at open (key check), so a token that fails now was damaged on disk.
        try:
            payload = json.loads(self._fernet.decrypt(token))
        except (InvalidToken, TypeError, ValueError):
            return {"damaged": f"item {seq} of session {session_id} is damaged and cannot be read"}
        return payload if isinstance(payload, dict) else {"value": payload}

    @contextmanager
    def _reading(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise _storage_error(self.path, exc, "the history could not be read") from None


# --- failures -------------------------------------------------------------------------------------

_CORRUPT_CODES = {getattr(sqlite3, "SQLITE_CORRUPT", 11), getattr(sqlite3, "SQLITE_NOTADB", 26)}
_FULL_CODES = {getattr(sqlite3, "SQLITE_FULL", 13)}


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in _CORRUPT_CODES:
        return True
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def _storage_error(path: Path, exc: sqlite3.Error, doing: str = "the history could not be opened") -> UserError:
    """A message that names what happened: a full disk, damage, or SQLite's own words."""
    from copilot.atomic import free_space_text

    code = getattr(exc, "sqlite_errorcode", None)
    if (code is not None and code & 0xFF in _FULL_CODES) or "disk is full" in str(exc).lower():
        free = free_space_text(path.parent)
        return UserError(f"{path}: {doing}: the disk is full ({free or 'no room left'}); free some space and try again")
    if isinstance(exc, sqlite3.DatabaseError) and _is_corruption(exc):
        return UserError(f"{path}: {doing}: the file is damaged ({exc}); it is moved aside the next time it is opened")
    return UserError(f"{path}: {doing} ({exc})")


def _refuse_a_new_key_for_old_history(path: Path, provider: KeyProvider) -> None:
    """A history exists but its key is gone: say so, rather than make a key that cannot read it."""
    key_exists = getattr(provider, "key_exists", None)
    if key_exists is None or not path.exists() or path.stat().st_size == 0 or key_exists():
        return
    where = getattr(provider, "path", None)
    lost = f"the history key file {where}" if where else "the history key in the system keychain"
    raise UserError(
        f"{lost} is missing, and the session history at {path} was encrypted with it; restore the key "
        f"(from a backup) to keep recording and reading it, or move {path} aside to start a new history "
        "with a new key; nothing was changed"
    )


# --- live sessions --------------------------------------------------------------------------------

# Only settled results are worth keeping: partial transcripts and streamed bullet drafts would
# multiply the rows without adding anything the final versions do not have.
_SETTLED_FLAG = {"transcript": "final", "question": "final", "cards": None, "bullets": "done"}
_EVENT_TO_ITEM = {"transcript": "transcript", "question": "question", "cards": "cards", "bullets": "bullets"}


def event_payload(event: object) -> tuple[str, dict[str, Any]] | None:
    """(item kind, payload) for a core event worth keeping, else None."""
    from copilot.live.report import event_record

    record = event_record(event)
    if record is None or record["event"] not in _EVENT_TO_ITEM:
        return None
    flag = _SETTLED_FLAG[record["event"]]
    if flag is not None and not record.get(flag):
        return None
    payload = {k: v for k, v in record.items() if k != "event"}
    return _EVENT_TO_ITEM[record["event"]], payload


def recorder_sink(store: HistoryStore, session_id: int) -> Callable[[object], None]:
    """A live-session sink that records each settled event in `store`.

    A history failure (a full disk, say) is logged once and recording stops: losing the record must
    never stop the practice session itself.
    """
    failed = False

    def sink(event: object) -> None:
        nonlocal failed
        converted = event_payload(event)
        if converted is None or failed:
            return
        try:
            store.record(session_id, *converted)
        except UserError as exc:
            failed = True
            log.warning("session history stopped recording: %s", exc)

    return sink
