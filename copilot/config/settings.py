"""Settings: defaults, then the user's TOML file, then COPILOT_* environment variables.

The file lives in the user's config folder (`copilot doctor` prints where). Environment overrides use
the section and key in upper case, e.g. `COPILOT_MODELS_WHISPER=base.en` or `COPILOT_LLM_BACKEND=none`,
so scripts and CI can change one setting without a file.

The dataclasses below are the one schema: each key's type is its default's type, and a key with a
`range` or `choices` in its metadata is checked against it. A wrong type, a value out of range or a
section that is not a table is an error naming the file, the line and the key (never a traceback, and
never a value silently taken for another: `enabled = "no"` is refused, not read as on). An unknown
key or section is a warning with its line, so a newer file still loads in an older app.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.config import paths
from copilot.errors import InputFileError, UserError

log = logging.getLogger(__name__)


def _range(low: float, high: float) -> dict[str, Any]:
    return {"range": (low, high)}


def _choices(*values: str) -> dict[str, Any]:
    return {"choices": values}


PAUSE_RANGE = (0.2, 3.0)  # what the settings dialog offers for the end-of-question pause, in seconds
NO_MICROPHONE = "off"  # the microphone value for "listen to the interviewer only"


@dataclass(frozen=True)
class ModelSettings:
    # A size name ("tiny.en", "base.en") or a folder holding a CTranslate2 whisper model.
    whisper: str = "tiny.en"
    # int8 is the fastest on a 2-core CPU and loses little accuracy for English speech.
    whisper_compute_type: str = "int8"
    # Whisper's and the embedder's threads. One, measured on 2 cores (`copilot bench`, 10 turns): the short-window
    # decodes of the live path are faster on one thread (tiny.en: 234 ms against 286), and the
    # other core stays free for the VAD, the embedder and the language model, so cards came
    # 154 ms after speech end at p95 against 398 ms with two. A file's full 30 s window decode
    # is slower on one (0.82 s against 0.59 s); raise it for rehearsal-only use or a bigger model.
    cpu_threads: int = field(default=1, metadata=_range(1, 256))
    # An ONNX sentence-embedding model folder; empty means the packaged MiniLM int8.
    embedding: str = ""


@dataclass(frozen=True)
class LlmSettings:
    # "llama_cpp" (a local GGUF), "server" (an OpenAI-compatible URL of the user's own) or "none".
    # "none" by default: composer-only bullets score as well as the packaged model's rewrite on the
    # coaching evaluation (README, "Composer only or composer + llama.cpp?") and cost no CPU while
    # whisper transcribes; the model is one setting away.
    backend: str = field(default="none", metadata=_choices("llama_cpp", "server", "none"))
    # Empty means the packaged SmolLM2-135M; any GGUF path works.
    model_path: str = ""
    server_url: str = ""
    server_model: str = ""
    max_tokens: int = field(default=120, metadata=_range(1, 4096))
    # One thread: llama.cpp here is built with OpenMP, and with two threads on a 2-core machine it
    # collapsed to under 1 token/s whenever whisper or onnxruntime was busy; one thread held ~80 tok/s.
    threads: int = field(default=1, metadata=_range(1, 256))


@dataclass(frozen=True)
class TurnSettings:
    # Silence after interviewer speech that ends the question. 0.6 s is past most mid-sentence
    # hesitations; if the interviewer does go on, the merge window below joins the parts, so a
    # short pause costs a re-draw of the cards, not a lost question. Measured: 0.7 s -> detection
    # p50 737 ms; 0.6 s keeps it under the 700 ms target.
    pause_s: float = field(default=0.6, metadata=_range(0.1, 10.0))
    # An interviewer who resumes within this window is adding to the same question.
    merge_window_s: float = field(default=2.0, metadata=_range(0.0, 30.0))
    # At this much silence the whole utterance is decoded speculatively, so the final text is ready
    # one decode (~0.45 s here) later; kept only if the speaker stays quiet (DESIGN.md). 0.15 s
    # brought cards_ms p50 from 688 to 358 ms in `copilot bench`; a discarded guess costs CPU only.
    speculate_after_s: float = field(default=0.15, metadata=_range(0.0, 10.0))


@dataclass(frozen=True)
class RetrievalSettings:
    stories_top_k: int = field(default=3, metadata=_range(0, 20))
    topics_top_k: int = field(default=3, metadata=_range(0, 20))


@dataclass(frozen=True)
class AudioSettings:
    # Device names as `copilot devices` lists them; "" is the system default ("off": no microphone).
    microphone: str = ""
    system_audio: str = ""


@dataclass(frozen=True)
class UiSettings:
    theme: str = field(default="dark", metadata=_choices("dark", "light", "system"))


@dataclass(frozen=True)
class HistorySettings:
    # Save each live, rehearsal and drill session. A privacy switch: only true or false is accepted.
    enabled: bool = True


@dataclass(frozen=True)
class Settings:
    models: ModelSettings = field(default_factory=ModelSettings)
    llm: LlmSettings = field(default_factory=LlmSettings)
    turn: TurnSettings = field(default_factory=TurnSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    history: HistorySettings = field(default_factory=HistorySettings)


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    path = path or paths.config_file()
    environ = dict(os.environ) if environ is None else environ
    text = _read_text(path)
    raw = _parse_toml(text, path) if text is not None else {}
    lines = _key_lines(text or "")
    _warn_unknown(raw, path, lines)
    sections: dict[str, Any] = {}
    for section in dataclasses.fields(Settings):
        cls = _SECTIONS[section.name]
        values = raw.get(section.name, {})
        if not isinstance(values, dict):
            where = _where(path, lines, section.name, None)
            raise InputFileError(path, f"{where}{section.name} = {values!r}: must be a [{section.name}] section")
        built = {name: _checked(cls, section.name, name, value, path, lines) for name, value in values.items()}
        built = {k: v for k, v in built.items() if v is not _UNKNOWN}
        built.update(_env_overrides(section.name, cls, environ))
        sections[section.name] = cls(**built)
    return Settings(**sections)


# With `from __future__ import annotations` field types are strings, so map section names explicitly.
_SECTIONS: dict[str, type] = {
    "models": ModelSettings,
    "llm": LlmSettings,
    "turn": TurnSettings,
    "retrieval": RetrievalSettings,
    "audio": AudioSettings,
    "ui": UiSettings,
    "history": HistorySettings,
}
_UNKNOWN = object()
_SECTION_LINE = re.compile(r"^\s*\[\s*([^\]\s]+)\s*\]")
_KEY_LINE = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")


def _read_text(path: Path) -> str | None:
    """The file's text, None when there is none; a folder or an unreadable file is a clear error."""
    if path.is_dir():
        raise InputFileError(path, "is a folder, not a settings file; move it aside to use the defaults")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise InputFileError(path, "is not UTF-8 text; fix or delete it to use the defaults") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror or exc})") from None


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(path, f"is not valid TOML ({exc}); fix or delete it to use the defaults") from exc


def _key_lines(text: str) -> dict[tuple[str, str | None], int]:
    """(section, key) -> line number; (section, None) for a section's header."""
    out: dict[tuple[str, str | None], int] = {}
    section = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if match := _SECTION_LINE.match(line):
            section = match[1].strip("\"'")
            out.setdefault((section, None), number)
        elif match := _KEY_LINE.match(line):
            key = match[1].strip("\"'")
            if not section and "." in key:  # a dotted key at the top: `models.whisper = ...`
                head, _, key = key.partition(".")
                out.setdefault((head, key), number)
            else:
                out.setdefault((section, key) if section else (key, None), number)
    return out


def _where(path: Path, lines: dict[tuple[str, str | None], int], section: str, key: str | None) -> str:
    number = lines.get((section, key)) or lines.get((section, None))
    return f"line {number}: " if number else ""


def _warn_unknown(raw: dict[str, Any], path: Path, lines: dict[tuple[str, str | None], int]) -> None:
    for section in raw:
        if section not in _SECTIONS:
            where = _where(path, lines, section, None)
            log.warning("%s: %sunknown section [%s], ignored (known: %s)", path, where, section, ", ".join(_SECTIONS))


def _checked(
    cls: type, section: str, name: str, value: Any, path: Path, lines: dict[tuple[str, str | None], int]
) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    where = _where(path, lines, section, name)
    if name not in fields:
        known = ", ".join(fields)
        log.warning("%s: %sunknown key [%s] %s, ignored (known: %s)", path, where, section, name, known)
        return _UNKNOWN
    problem = _problem(fields[name], value)
    if problem:
        raise InputFileError(path, f"{where}[{section}] {name} = {_show(value)} {problem}")
    return float(value) if isinstance(fields[name].default, float) else value


def _problem(f: dataclasses.Field[Any], value: Any) -> str | None:
    """What is wrong with `value` for field `f`, or None."""
    default = f.default
    kind = type(default)
    # bool is an int in Python: `enabled = 1` or `threads = true` must not pass as the other.
    ok = isinstance(value, kind) and (kind is bool) == isinstance(value, bool)
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok:
        return f"is not {_type_name(kind)}"
    if "range" in f.metadata:
        low, high = f.metadata["range"]
        if not low <= value <= high:
            return f"is out of range: use {low} to {high}"
    if "choices" in f.metadata and value not in f.metadata["choices"]:
        return f"is not one of {', '.join(f.metadata['choices'])}"
    return None


def _type_name(kind: type) -> str:
    return {bool: "true or false", int: "a whole number", float: "a number", str: "text in quotes"}.get(
        kind, kind.__name__
    )


def _show(value: Any) -> str:
    return repr(value) if not isinstance(value, bool) else str(value).lower()


_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def _env_overrides(section: str, cls: type, environ: dict[str, str]) -> dict[str, Any]:
    """COPILOT_<SECTION>_<KEY> values, parsed from text by the field's type and checked like the file's."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        name = f"COPILOT_{section}_{f.name}".upper()
        if name not in environ:
            continue
        text = environ[name].strip()
        value: Any = _from_text(type(f.default), text)
        problem = _problem(f, value) if value is not None else f"is not {_type_name(type(f.default))}"
        if problem:
            raise UserError(f"environment variable {name}={text!r} {problem}")
        out[f.name] = value
    return out


def _from_text(kind: type, text: str) -> Any:
    if kind is bool:
        return True if text.lower() in _TRUE else False if text.lower() in _FALSE else None
    try:
        return kind(text)
    except ValueError:
        return None
