from pathlib import Path

import pytest

from copilot.config.settings import load_settings
from copilot.errors import InputFileError


def test_defaults_when_no_file(tmp_path: Path):
    settings = load_settings(tmp_path / "missing.toml", environ={})
    assert settings.models.whisper == "tiny.en"
    assert settings.llm.backend == "none"  # composer only: as good on the evaluation, and instant
    assert settings.turn.pause_s == pytest.approx(0.6)


def test_file_then_environment_override(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text('[models]\nwhisper = "base.en"\n[turn]\npause_s = 1.2\n[future]\nkey = 1\n', encoding="utf-8")
    settings = load_settings(path, environ={"COPILOT_TURN_PAUSE_S": "0.5", "COPILOT_LLM_BACKEND": "llama_cpp"})
    assert settings.models.whisper == "base.en"
    assert settings.turn.pause_s == pytest.approx(0.5)  # the environment wins over the file
    assert settings.llm.backend == "llama_cpp"


def test_broken_toml_names_the_file(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text("[models\nwhisper = ", encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        load_settings(path, environ={})
    assert str(path) in str(info.value)


def test_wrong_type_names_key(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text('[turn]\npause_s = "soon"\n', encoding="utf-8")
    with pytest.raises(InputFileError, match=r"\[turn\] pause_s"):
        load_settings(path, environ={})


# --- one schema (issue 13, item 4) ----------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("models = 5\n", r"line 1: models = 5: must be a \[models\] section"),
        ("llm = [1, 2]\n", r"line 1: llm = \[1, 2\]: must be a \[llm\] section"),
        ("[models]\ncpu_threads = -3\n", r"line 2: \[models\] cpu_threads = -3 is out of range: use 1 to 256"),
        ("[models]\ncpu_threads = 1.5\n", r"\[models\] cpu_threads = 1.5 is not a whole number"),
        ("[llm]\nthreads = true\n", r"\[llm\] threads = true is not a whole number"),
        ("[llm]\nbackend = 'openai'\n", r"\[llm\] backend = 'openai' is not one of llama_cpp, server, none"),
        ('\n[history]\nenabled = "no"\n', r"line 3: \[history\] enabled = 'no' is not true or false"),
        ("[history]\nenabled = 0\n", r"\[history\] enabled = 0 is not true or false"),
        ("[ui]\ntheme = 'neon'\n", r"\[ui\] theme = 'neon' is not one of dark, light, system"),
        ("[turn]\npause_s = 0\n", r"\[turn\] pause_s = 0 is out of range"),
        ("[models]\nwhisper = 3\n", r"\[models\] whisper = 3 is not text in quotes"),
    ],
)
def test_wrong_values_name_the_file_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputFileError, match=message) as info:
        load_settings(path, environ={})
    assert str(info.value).startswith(str(path))


def test_unknown_keys_and_sections_are_warned_with_their_line(tmp_path: Path, caplog) -> None:
    path = _write(tmp_path, '[models]\nwhisper = "base.en"\nwhsiper = "x"\n\n[futur]\na = 1\n')
    with caplog.at_level("WARNING"):
        settings = load_settings(path, environ={})
    assert settings.models.whisper == "base.en"
    text = caplog.text
    assert "line 3: unknown key [models] whsiper" in text and "line 5: unknown section [futur]" in text


def test_history_switch_reads_only_booleans(tmp_path: Path) -> None:
    assert load_settings(_write(tmp_path, "[history]\nenabled = false\n"), environ={}).history.enabled is False
    assert load_settings(_write(tmp_path, "[turn]\npause_s = 1\n"), environ={}).turn.pause_s == 1.0
    assert load_settings(tmp_path / "none.toml", environ={}).history.enabled is True


def test_a_string_no_does_not_record_history(tmp_path: Path) -> None:
    """The privacy switch written wrongly: the session is not recorded, and the message says why."""
    from copilot.history.session import open_session

    config = _write(tmp_path, '[history]\nenabled = "no"\n')
    record, message = open_session("rehearsal", path=tmp_path / "h.sqlite3", config=config, enabled=True)
    assert record is None and message is not None and "enabled = 'no' is not true or false" in message
    assert not (tmp_path / "h.sqlite3").exists()


def test_environment_values_are_checked_too(tmp_path: Path) -> None:
    from copilot.errors import UserError

    missing = tmp_path / "none.toml"
    assert load_settings(missing, environ={"COPILOT_HISTORY_ENABLED": "off"}).history.enabled is False
    with pytest.raises(UserError, match=r"COPILOT_MODELS_CPU_THREADS='-3' is out of range"):
        load_settings(missing, environ={"COPILOT_MODELS_CPU_THREADS": "-3"})
    with pytest.raises(UserError, match=r"COPILOT_HISTORY_ENABLED='maybe' is not true or false"):
        load_settings(missing, environ={"COPILOT_HISTORY_ENABLED": "maybe"})


def test_config_as_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "config.toml"
    folder.mkdir()
    with pytest.raises(InputFileError, match="is a folder, not a settings file"):
        load_settings(folder, environ={})


def test_the_cli_reports_a_bad_config_in_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    from copilot.cli.main import main
    from copilot.config import paths

    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text("models = 5\n", encoding="utf-8")
    assert main(["index", "status"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "must be a [models] section" in err and "Traceback" not in err
