"""The settings dialog's form over the user's settings file (no widgets here).

`read_form()` gives the values the dialog edits; `save_form()` checks them, stores a server API key
in the OS keychain (never in the file) and writes config.toml. Keys and sections this version does
not know are kept. Nothing is written, and no key is stored, when a value is invalid.
`save_live_choices()` writes only what the live window's toolbar changes (the audio devices and the
pause). Reading, the keychain and the one writer (atomic, one write at a time) are copilot/config/'s;
this module only maps the form to [section] keys and says what is wrong with a value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from copilot.config import paths
from copilot.config import write as config_write
from copilot.config.settings import PAUSE_RANGE, load_settings
from copilot.errors import UserError

WHISPER_SIZES = ("tiny.en", "base.en", "small.en")
BACKENDS = ("packaged", "gguf", "server", "none")  # the dialog's four choices
THEMES = ("dark", "light", "system")
MERGE_RANGE = (0.0, 10.0)


@dataclass
class SettingsForm:
    """What the dialog edits. `api_key` empty means "keep whatever the keychain holds"."""

    whisper: str = "tiny.en"
    backend: str = "packaged"
    gguf_path: str = ""
    server_url: str = ""
    server_model: str = ""
    api_key: str = field(default="", repr=False)
    microphone: str = ""  # "" = the system default
    system_audio: str = ""  # "" = the default output's monitor / loopback
    pause_s: float = 0.6
    merge_window_s: float = 2.0
    theme: str = "dark"
    history: bool = True  # save each live, rehearsal and drill session ([history] enabled)


class SettingsInvalid(UserError):
    """One or more values cannot be saved; `errors` maps a field name to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors.values()))


def read_form(path: Path | None = None) -> SettingsForm:
    """The current values: defaults overlaid with the file (environment overrides are not saved back)."""
    settings = load_settings(path or paths.config_file(), environ={})
    llm = settings.llm
    if llm.backend == "server":
        backend = "server"
    elif llm.backend == "none":
        backend = "none"
    else:
        backend = "gguf" if llm.model_path else "packaged"
    return SettingsForm(
        whisper=settings.models.whisper,
        backend=backend,
        gguf_path=llm.model_path,
        server_url=llm.server_url,
        server_model=llm.server_model,
        microphone=settings.audio.microphone,
        system_audio=settings.audio.system_audio,
        pause_s=settings.turn.pause_s,
        merge_window_s=settings.turn.merge_window_s,
        theme=settings.ui.theme,
        history=settings.history.enabled,
    )


def validate(form: SettingsForm) -> dict[str, str]:
    """Field name -> a message saying what is wrong and what to do; empty when all is well."""
    errors: dict[str, str] = {}
    whisper = form.whisper.strip()
    if whisper not in WHISPER_SIZES and not (whisper and Path(whisper).expanduser().is_dir()):
        errors["whisper"] = f"speech model {whisper!r} is neither {', '.join(WHISPER_SIZES)} nor an existing folder"
    if form.backend not in BACKENDS:
        errors["backend"] = f"unknown language-model choice {form.backend!r}"
    if form.backend == "gguf":
        gguf = Path(form.gguf_path.strip()).expanduser()
        if not form.gguf_path.strip():
            errors["gguf_path"] = "choose a .gguf model file"
        elif gguf.suffix.lower() != ".gguf":
            errors["gguf_path"] = f"{gguf}: not a .gguf file"
        elif not gguf.is_file():
            errors["gguf_path"] = f"{gguf}: file not found"
    if form.backend == "server":
        if not valid_server_url(form.server_url):
            errors["server_url"] = "the server URL must start with http:// or https://, e.g. http://localhost:8080/v1"
    if not PAUSE_RANGE[0] <= form.pause_s <= PAUSE_RANGE[1]:
        errors["pause_s"] = f"pause must be between {PAUSE_RANGE[0]} and {PAUSE_RANGE[1]} s"
    if not MERGE_RANGE[0] <= form.merge_window_s <= MERGE_RANGE[1]:
        errors["merge_window_s"] = f"merge window must be between {MERGE_RANGE[0]} and {MERGE_RANGE[1]} s"
    if form.theme not in THEMES:
        errors["theme"] = f"theme must be one of {', '.join(THEMES)}"
    return errors


def valid_server_url(text: str) -> bool:
    url = urlparse(text.strip())
    return url.scheme in ("http", "https") and bool(url.netloc)


def save_form(
    form: SettingsForm,
    path: Path | None = None,
    set_key: Callable[[str, str], None] | None = None,
) -> Path:
    """Check, store the API key (if one was typed), then write the file. Raises SettingsInvalid or UserError."""
    errors = validate(form)
    if errors:
        raise SettingsInvalid(errors)

    def store_key() -> None:  # once the file was read: an unreadable one raises before any key is stored
        if form.backend == "server" and form.api_key.strip():
            store = set_key or _keychain_setter()
            store(form.server_url.strip(), form.api_key)  # UserError without a keychain: nothing written

    return config_write.update_file(path or paths.config_file(), lambda raw: merge(raw, form), before_write=store_key)


def _keychain_setter() -> Callable[[str, str], None]:
    from copilot.config.secrets import set_api_key

    return set_api_key


def save_live_choices(
    *,
    system_audio: str | None = None,
    microphone: str | None = None,
    pause_s: float | None = None,
    path: Path | None = None,
) -> Path:
    """Write the given live-window choices (None: leave as is), keeping every other key of the file.

    Devices are saved by name ("" for the system default, NO_MICROPHONE for none), as the dialog
    saves them. Raises SettingsInvalid for a pause out of range, InputFileError when the file is not
    valid TOML (it is then left alone).
    """
    if pause_s is not None and not PAUSE_RANGE[0] <= pause_s <= PAUSE_RANGE[1]:
        raise SettingsInvalid({"pause_s": f"pause must be between {PAUSE_RANGE[0]} and {PAUSE_RANGE[1]} s"})
    chosen: dict[str, dict[str, object]] = {
        "audio": {"system_audio": system_audio, "microphone": microphone},
        "turn": {"pause_s": None if pause_s is None else round(float(pause_s), 3)},
    }
    values = {section: {k: v for k, v in keys.items() if v is not None} for section, keys in chosen.items()}
    values = {section: keys for section, keys in values.items() if keys}
    return config_write.update_file(path or paths.config_file(), lambda raw: config_write.with_values(raw, values))


def merge(raw: dict[str, Any], form: SettingsForm) -> dict[str, Any]:
    """`raw` (the parsed file) with our keys replaced; every other key and section kept as it was."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}

    def section(name: str) -> dict[str, Any]:
        if not isinstance(out.get(name), dict):
            out[name] = {}
        return out[name]

    section("models")["whisper"] = form.whisper.strip()
    llm = section("llm")
    llm["backend"] = {"packaged": "llama_cpp", "gguf": "llama_cpp"}.get(form.backend, form.backend)
    llm["model_path"] = form.gguf_path.strip() if form.backend == "gguf" else ""
    url = form.server_url.strip()
    if form.backend == "server" or not url or valid_server_url(url):
        llm["server_url"] = url
    # else: a broken URL left in the box of a backend not chosen is not written; the file keeps its value
    llm["server_model"] = form.server_model.strip()
    audio = section("audio")
    audio["microphone"] = form.microphone
    audio["system_audio"] = form.system_audio
    turn = section("turn")
    turn["pause_s"] = round(float(form.pause_s), 3)
    turn["merge_window_s"] = round(float(form.merge_window_s), 3)
    section("ui")["theme"] = form.theme
    section("history")["enabled"] = bool(form.history)
    return out


def is_first_run(path: Path | None = None) -> bool:
    return not (path or paths.config_file()).exists()
