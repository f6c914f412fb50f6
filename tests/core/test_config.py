from pathlib import Path

import pytest

from copilot.config import load_settings
from copilot.errors import InputFileError


def test_defaults_when_no_file(tmp_path: Path):
    settings = load_settings(tmp_path / "missing.toml", environ={})
    assert settings.models.whisper == "tiny.en"
    assert settings.llm.backend == "llama_cpp"
    assert settings.turn.pause_s == pytest.approx(0.6)


def test_file_then_environment_override(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text('[models]\nwhisper = "base.en"\n[turn]\npause_s = 1.2\n[future]\nkey = 1\n', encoding="utf-8")
    settings = load_settings(path, environ={"COPILOT_TURN_PAUSE_S": "0.5", "COPILOT_LLM_BACKEND": "none"})
    assert settings.models.whisper == "base.en"
    assert settings.turn.pause_s == pytest.approx(0.5)  # the environment wins over the file
    assert settings.llm.backend == "none"


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
