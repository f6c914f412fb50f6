"""The one writer of config.toml: the settings dialog, the live window's toolbar and `copilot models use`.

`update_file()` parses the file, lets the caller replace only its own keys (every other key and
section, known or not, is kept), and writes the result atomically (copilot/atomic.py), one writer at
a time in this process (the dialog runs on the GUI thread, the toolbar's saves on a pool thread).
`save_values()` then reads it back through `copilot.config.settings.load_settings`, and if that
rejects it the old text is put back, so a command can never leave a settings file the app refuses to
start with.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from copilot.atomic import write_text_atomic
from copilot.config import paths
from copilot.config.settings import load_settings
from copilot.errors import InputFileError, UserError

Table = dict[str, Any]
FIX_OR_DELETE = "fix or delete it to use the defaults"  # what the dialog and the toolbar say
FIX_FIRST = "fix it first, it was left unchanged"  # what a command says
# Read, change and write as one step: two writers at once would each drop the other's change.
_write_lock = threading.Lock()


def update_file(
    path: Path,
    change: Callable[[Table], Table],
    *,
    hint: str = FIX_OR_DELETE,
    before_write: Callable[[], None] | None = None,
    verify: bool = False,
) -> Path:
    """Write `change(the parsed file)` to `path`; nothing is written when reading or `before_write` fails.

    `before_write` runs once the file was read (e.g. storing an API key in the keychain, which must
    not happen for a file we could not update). With `verify`, the new file is read back with the
    settings schema and, if refused, the old text is put back and the UserError raised.
    """
    with _write_lock:
        old_text = _old_text(path, hint)
        raw = _parse(old_text, path, hint) if old_text else {}
        if before_write is not None:
            before_write()
        write_text_atomic(path, render(change(raw)))
        if verify:
            _verify_or_restore(path, old_text)
    return path


def save_values(values: dict[str, Table], path: Path | None = None) -> Path:
    """Set the given [section] keys (e.g. `copilot models use`), keeping everything else; checked."""
    return update_file(path or paths.config_file(), lambda raw: with_values(raw, values), hint=FIX_FIRST, verify=True)


def with_values(raw: Table, values: dict[str, Table]) -> Table:
    """`raw` with each section's given keys replaced (a section that is not a table becomes one)."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
    for section, keys in values.items():
        if not isinstance(out.get(section), dict):
            out[section] = {}
        out[section].update(keys)
    return out


def _old_text(path: Path, hint: str) -> str | None:
    """The file's text, None when there is none."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise InputFileError(path, f"is not valid TOML ({exc}); {hint}") from exc
    except OSError as exc:  # a folder in its place, no permission
        raise InputFileError(path, f"cannot be read ({exc.strerror or exc}); {hint}") from None


def _parse(text: str, path: Path, hint: str) -> Table:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(path, f"is not valid TOML ({exc}); {hint}") from exc


def _verify_or_restore(path: Path, old_text: str | None) -> None:
    try:
        load_settings(path, environ={})
    except UserError:
        if old_text is None:
            path.unlink()
        else:
            write_text_atomic(path, old_text)
        raise


def render(data: dict[str, Any], prefix: str = "") -> str:
    """TOML for what tomllib returns: scalars first, then one [table] (or [[array]]) per nested table."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in data.items() if not _is_table(v)]
    out = ([f"[{prefix}]"] if prefix and (lines or not data) else []) + lines
    for key, value in data.items():
        name = f"{prefix}.{_key(key)}" if prefix else _key(key)
        if isinstance(value, dict):
            out += ["", render(value, name).rstrip("\n")]
        elif _is_table(value):
            for item in value:
                out += ["", f"[[{name}]]", *(f"{_key(k)} = {_value(v)}" for k, v in item.items())]
    return "\n".join(out).strip("\n") + "\n"


def _is_table(value: Any) -> bool:
    return isinstance(value, dict) or (
        bool(value) and isinstance(value, list) and all(isinstance(v, dict) for v in value)
    )


def _key(key: str) -> str:
    return key if key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key) else _string(key)


def _string(text: str) -> str:
    # JSON's escapes are valid in a TOML basic string; DEL is the one control character JSON leaves
    # raw and TOML forbids there.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")
