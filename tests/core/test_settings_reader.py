"""One settings reader: copilot/config/ alone reads TOML, the environment and the keychain; everything
else gets the values passed in (issue 10, item 3)."""

from __future__ import annotations

import ast
import threading
import tomllib
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from copilot.config import write as config_write
from copilot.config.history import history_allowed, history_key_file
from copilot.config.settings import Settings, TurnSettings, load_settings
from copilot.errors import InputFileError
from copilot.live.session import options_from_settings


def _core(turn: TurnSettings) -> Any:
    # options_from_settings reads only the core's settings; the models are not the subject here.
    return SimpleNamespace(settings=replace(Settings(), turn=turn))


def test_live_options_take_the_pause_passed_in_without_changing_the_settings() -> None:
    core = _core(TurnSettings(pause_s=0.6, merge_window_s=3.0, speculate_after_s=0.15))
    options = options_from_settings(core, pause_s=1.4)
    assert options.interviewer.end_pause_s == pytest.approx(1.4)
    assert options.interviewer.short_pause_s == pytest.approx(0.15)
    assert options.merge_window_s == pytest.approx(3.0)
    assert core.settings.turn.pause_s == pytest.approx(0.6)  # the core's settings are left as they were


def test_live_options_default_to_the_settings_pause() -> None:
    options = options_from_settings(_core(TurnSettings(pause_s=0.9, speculate_after_s=0.15)))
    assert options.interviewer.end_pause_s == pytest.approx(0.9)


def test_a_pause_shorter_than_the_speculation_point_moves_it() -> None:
    # The speculative decode can never start after the pause that ends the question.
    options = options_from_settings(_core(TurnSettings(pause_s=0.6, speculate_after_s=0.5)), pause_s=0.3)
    assert options.interviewer.short_pause_s == pytest.approx(0.3)


# --- the rule: nobody else reads the environment, TOML or the keychain ----------------------------

REPO = Path(__file__).resolve().parents[2]
ENV_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}
READERS = {"tomllib", "tomli", "keyring"}
# What may stay outside copilot/config/, each with the reason. An entry that no longer matches
# anything fails the test too, so the list cannot outlive what it excuses.
ALLOWED: dict[tuple[str, str], str] = {
    ("copilot/cli/main.py", "os.environ"): "the CLI entry checks DISPLAY / QT_QPA_PLATFORM before starting Qt",
    ("copilot/adapters/transcribe.py", "os.environ"): (
        "sets OpenMP/MKL variables for CTranslate2 before it loads (a write for the native library, not a setting)"
    ),
    ("ui/app.py", "os.environ"): "the app's entry: COPILOT_QUIT_AFTER_SHOWN, the packaged app's smoke-test hook",
    ("copilot/pipeline/knowledge/__init__.py", "tomllib"): "the shipped knowledge data files, not the settings",
    ("copilot/practice/mock/loops.py", "tomllib"): "the shipped interview-loop data file, not the settings",
    ("copilot/practice/mock/evaluate.py", "tomllib"): "the coaching evaluation set's answer files, not the settings",
}


def settings_reads(source: str) -> set[str]:
    """What `source` uses of the environment ("os.environ"), TOML ("tomllib") or the keychain ("keyring")."""
    found: set[str] = set()
    os_names = {"os"}  # `import os as _os` counts too
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                if root in READERS:
                    found.add("tomllib" if root == "tomli" else root)
                if alias.name == "os":
                    os_names.add(alias.asname or "os")
        elif isinstance(node, ast.ImportFrom) and node.module:
            root = node.module.split(".")[0]
            if root in READERS:
                found.add("tomllib" if root == "tomli" else root)
            if node.module == "os" and any(a.name in ENV_NAMES for a in node.names):
                found.add("os.environ")
        elif isinstance(node, ast.Attribute) and node.attr in ENV_NAMES:
            if isinstance(node.value, ast.Name) and node.value.id in os_names:
                found.add("os.environ")
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.args[0].value  # importlib.import_module("keyring"), __import__("tomllib")
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in {"import_module", "__import__"} and isinstance(name, str) and name.split(".")[0] in READERS:
                found.add("tomllib" if name.startswith("tomli") else name.split(".")[0])
    return found


def _modules_outside_config() -> list[Path]:
    files = sorted((REPO / "copilot").rglob("*.py")) + sorted((REPO / "ui").rglob("*.py"))
    return [f for f in files if (REPO / "copilot" / "config") not in f.parents]


def test_the_scan_sees_every_way_of_reading() -> None:
    # The scanner itself, on code written each way: a scan that saw nothing would pass the rule below.
    assert settings_reads("import os\nos.environ.get('X')\n") == {"os.environ"}
    assert settings_reads("import os as o\ndef f():\n    return o.getenv('X')\n") == {"os.environ"}
    assert settings_reads("from os import environ\n") == {"os.environ"}
    assert settings_reads("def f():\n    import tomllib\n    return tomllib.loads('')\n") == {"tomllib"}
    assert settings_reads("from keyring.errors import KeyringError\n") == {"keyring"}
    assert settings_reads("import importlib\nimportlib.import_module('keyring')\n") == {"keyring"}
    assert settings_reads("import os\nos.path.join('a', 'environ')\nenviron = {}\n") == set()


def test_only_copilot_config_reads_the_environment_toml_or_the_keychain() -> None:
    found = {
        (str(path.relative_to(REPO)), what)
        for path in _modules_outside_config()
        for what in settings_reads(path.read_text(encoding="utf-8"))
    }
    unexpected = sorted(found - ALLOWED.keys())
    assert not unexpected, (
        f"{unexpected}: only copilot/config/ reads the environment, TOML or the keychain; have the "
        "composition root (or copilot.config) resolve the value and pass it in"
    )
    assert not sorted(ALLOWED.keys() - found), "allow-list entries that no longer match anything: remove them"


# --- the one writer ---------------------------------------------------------------------------------


def test_the_form_and_the_commands_write_through_one_writer_without_losing_a_change(tmp_path: Path) -> None:
    # The toolbar's saves (a pool thread), the dialog's and `copilot models use` at the same time: each
    # read-change-write must see the others' changes, or one of them is silently lost.
    from ui.settings.store import save_live_choices

    config = tmp_path / "config.toml"
    config.write_text('[future]\nkeep = "me"\n', encoding="utf-8")
    rounds = 25

    def toolbar() -> None:
        for i in range(rounds):
            save_live_choices(microphone=f"mic {i}", path=config)

    def writer(name: str) -> None:
        for i in range(rounds):  # a key of its own each time: a lost update shows as a missing key
            config_write.update_file(
                config, lambda raw, i=i: config_write.with_values(raw, {"future": {f"{name}{i}": i}})
            )

    threads = [threading.Thread(target=toolbar)] + [threading.Thread(target=writer, args=(n,)) for n in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    raw = tomllib.loads(config.read_text(encoding="utf-8"))
    assert raw["audio"] == {"microphone": f"mic {rounds - 1}"}
    expected = {"keep": "me"} | {f"{n}{i}": i for n in "ab" for i in range(rounds)}
    assert raw["future"] == expected


@pytest.mark.parametrize(
    "text", ["plain", "tab\there", 'quote " and \\ backslash', "del \x7f char", "line\nbreak", "é ü 中"]
)
def test_any_text_is_written_as_toml_that_reads_back_the_same(tmp_path: Path, text: str) -> None:
    config = tmp_path / "config.toml"
    config_write.save_values({"llm": {"server_model": text}}, config)
    assert load_settings(config, environ={}).llm.server_model == text
    data = {"é-key": {text: [1, {"x": text}]}, "top": text}
    assert tomllib.loads(config_write.render(data)) == data


def test_a_file_that_is_not_text_is_named_and_left_alone(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(b"\xff\xfe[llm]\n")
    with pytest.raises(InputFileError, match="config.toml.*not valid TOML.*left unchanged"):
        config_write.save_values({"llm": {"max_tokens": 90}}, config)
    with pytest.raises(InputFileError, match="fix or delete it"):
        config_write.update_file(config, lambda raw: raw)
    assert config.read_bytes() == b"\xff\xfe[llm]\n"


def test_nothing_runs_before_the_write_when_the_file_cannot_be_read(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[llm\n", encoding="utf-8")
    stored: list[str] = []
    with pytest.raises(InputFileError, match="not valid TOML"):
        config_write.update_file(config, lambda raw: raw, before_write=lambda: stored.append("key"))
    assert stored == [] and config.read_text(encoding="utf-8") == "[llm\n"


def test_the_form_reads_the_file_not_the_environment(tmp_path: Path) -> None:
    from ui.settings.store import read_form

    config = tmp_path / "config.toml"
    config.write_text('[audio]\nmicrophone = "USB"\n[ui]\ntheme = "light"\n[history]\nenabled = false\n')
    environ = {"COPILOT_UI_THEME": "dark", "COPILOT_HISTORY_ENABLED": "true", "COPILOT_AUDIO_MICROPHONE": "x"}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environ.items():
            patch.setenv(name, value)
        form = read_form(config)
    assert (form.microphone, form.theme, form.history) == ("USB", "light", False)


# --- the history's switches, read by copilot.config.history -------------------------------------------


def test_history_variables_keep_their_meaning() -> None:
    for off in ("off", "OFF", " 0 ", "false", "No"):
        assert not history_allowed({"COPILOT_HISTORY": off})
    for on in ("", "on", "1", "yes", "anything"):
        assert history_allowed({"COPILOT_HISTORY": on})
    assert history_allowed({})
    assert history_key_file({"COPILOT_HISTORY_KEY_FILE": "  ~/k  "}) == "~/k"
    assert history_key_file({"COPILOT_HISTORY_KEY_FILE": "  "}) is None


def test_the_dialog_stores_no_key_when_it_cannot_update_the_file(tmp_path: Path) -> None:
    from ui.settings.store import SettingsForm, save_form

    config = tmp_path / "config.toml"
    config.write_text("[llm\n", encoding="utf-8")
    stored: list[tuple[str, str]] = []
    form = SettingsForm(backend="server", server_url="http://127.0.0.1:8080", api_key="sk-1")
    with pytest.raises(InputFileError, match="config.toml.*not valid TOML.*fix or delete it"):
        save_form(form, config, set_key=lambda url, key: stored.append((url, key)))
    assert stored == [] and config.read_text(encoding="utf-8") == "[llm\n"
    config.unlink()
    save_form(form, config, set_key=lambda url, key: stored.append((url, key)))
    assert stored == [("http://127.0.0.1:8080", "sk-1")] and "sk-1" not in config.read_text(encoding="utf-8")
