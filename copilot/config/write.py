"""Changing a few keys of config.toml from the core (e.g. `copilot models use`), keeping everything else.

The file is parsed, only the given keys are replaced, and the result is written atomically; it is
then read back through `copilot.config.settings.load_settings`, and if that rejects it the old text is put
back, so a command can never leave a settings file the app refuses to start with.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any

from copilot.atomic import write_text_atomic
from copilot.config import paths
from copilot.config.settings import load_settings
from copilot.errors import InputFileError, UserError


def save_values(values: dict[str, dict[str, Any]], path: Path | None = None) -> Path:
    path = path or paths.config_file()
    old_text = path.read_text(encoding="utf-8") if path.exists() else None
    try:
        raw = tomllib.loads(old_text) if old_text else {}
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(path, f"is not valid TOML ({exc}); fix it first, it was left unchanged") from None
    for section, keys in values.items():
        if not isinstance(raw.get(section), dict):
            raw[section] = {}
        raw[section].update(keys)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, render(raw))
    try:
        load_settings(path, environ={})
    except UserError:
        if old_text is None:
            path.unlink()
        else:
            write_text_atomic(path, old_text)
        raise
    return path


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
    return key if key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON's escapes are valid in a TOML basic string
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")
