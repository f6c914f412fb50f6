"""Settings: defaults, then the user's TOML file, then COPILOT_* environment variables.

The file lives in the user's config folder (`copilot doctor` prints where). Environment overrides use
the section and key in upper case, e.g. `COPILOT_MODELS_WHISPER=base.en` or `COPILOT_LLM_BACKEND=none`,
so scripts and CI can change one setting without a file.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot import paths
from copilot.errors import InputFileError


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
    cpu_threads: int = 1
    # An ONNX sentence-embedding model folder; empty means the packaged MiniLM int8.
    embedding: str = ""


@dataclass(frozen=True)
class LlmSettings:
    # "llama_cpp" (a local GGUF), "server" (an OpenAI-compatible URL of the user's own) or "none".
    backend: str = "llama_cpp"
    # Empty means the packaged SmolLM2-135M; any GGUF path works.
    model_path: str = ""
    server_url: str = ""
    server_model: str = ""
    max_tokens: int = 120
    # One thread: llama.cpp here is built with OpenMP, and with two threads on a 2-core machine it
    # collapsed to under 1 token/s whenever whisper or onnxruntime was busy; one thread held ~80 tok/s.
    threads: int = 1


@dataclass(frozen=True)
class TurnSettings:
    # Silence after interviewer speech that ends the question. 0.6 s is past most mid-sentence
    # hesitations; if the interviewer does go on, the merge window below joins the parts, so a
    # short pause costs a re-draw of the cards, not a lost question. Measured: 0.7 s -> detection
    # p50 737 ms; 0.6 s keeps it under the 700 ms target.
    pause_s: float = 0.6
    # An interviewer who resumes within this window is adding to the same question.
    merge_window_s: float = 2.0
    # At this much silence the whole utterance is decoded speculatively, so the final text is ready
    # one decode (~0.45 s here) later; kept only if the speaker stays quiet (DESIGN.md). 0.15 s
    # brought cards_ms p50 from 688 to 358 ms in `copilot bench`; a discarded guess costs CPU only.
    speculate_after_s: float = 0.15


@dataclass(frozen=True)
class RetrievalSettings:
    stories_top_k: int = 3
    topics_top_k: int = 3


@dataclass(frozen=True)
class Settings:
    models: ModelSettings = field(default_factory=ModelSettings)
    llm: LlmSettings = field(default_factory=LlmSettings)
    turn: TurnSettings = field(default_factory=TurnSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    path = path or paths.config_file()
    environ = dict(os.environ) if environ is None else environ
    raw = _read_toml(path) if path.exists() else {}
    sections: dict[str, Any] = {}
    for section in dataclasses.fields(Settings):
        cls = _SECTIONS[section.name]
        values = dict(raw.get(section.name, {}))
        values.update(_env_overrides(section.name, cls, environ))
        sections[section.name] = _build(cls, values, path, section.name)
    return Settings(**sections)


# With `from __future__ import annotations` field types are strings, so map section names explicitly.
_SECTIONS: dict[str, type] = {
    "models": ModelSettings,
    "llm": LlmSettings,
    "turn": TurnSettings,
    "retrieval": RetrievalSettings,
}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"is not valid TOML ({exc}); fix or delete it to use the defaults") from exc


def _env_overrides(section: str, cls: type, environ: dict[str, str]) -> dict[str, str]:
    out = {}
    for f in dataclasses.fields(cls):
        key = f"COPILOT_{section}_{f.name}".upper()
        if key in environ:
            out[f.name] = environ[key]
    return out


def _build(cls: type, values: dict[str, Any], path: Path, section: str) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for name, value in values.items():
        if name not in known:
            continue  # unknown keys are ignored so an older app can read a newer file
        default = getattr(cls(), name)
        try:
            kwargs[name] = type(default)(value)
        except (TypeError, ValueError) as exc:
            raise InputFileError(path, f"[{section}] {name} = {value!r} is not a {type(default).__name__}") from exc
    return cls(**kwargs)
