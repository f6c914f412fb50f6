"""The shipped model catalogue, memory-based recommendations, `use`/`remove`, the settings write, doctor."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from copilot.config import model_catalog, model_install
from copilot.config import write as config_write
from copilot.config.settings import load_settings
from copilot.errors import InputFileError, UserError

HEX64 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def catalog() -> list[model_catalog.Entry]:
    return model_catalog.load_catalog()


def test_shipped_catalogue_is_complete(catalog: list[model_catalog.Entry]) -> None:
    names = [e.name for e in catalog]
    assert len(names) == len(set(names))
    assert {"whisper-tiny.en", "whisper-base.en", "whisper-small.en", "smollm2-135m"} <= set(names)
    assert {e.role for e in catalog if e.kind == "url"} == {"llm"}
    for entry in catalog:
        assert entry.licence and entry.ram_mb > 0 and entry.good_for, entry.name
        if entry.kind == "url":
            # never an invented hash: either a real sha256 or explicitly unknown
            assert entry.sha256 == "unknown" or HEX64.match(entry.sha256), entry.name
            assert entry.url.startswith("https://") and entry.file.endswith(".gguf")
            assert entry.size_mb or entry.size
        if entry.kind == "pip" and not entry.unavailable:
            assert entry.wheels and all(HEX64.match(h) for h in entry.wheels.values())
            assert all(HEX64.match(f.sha256) and f.size > 0 for f in entry.files)
        if entry.kind == "packaged":
            assert HEX64.match(entry.sha256) and entry.size


def test_packaged_defaults_are_installed_with_the_catalogued_size(catalog: list[model_catalog.Entry]) -> None:
    for entry in (e for e in catalog if e.kind == "packaged"):
        path = model_catalog.installed_path(entry)
        assert path is not None, f"{entry.name}: run make setup"
        assert path.stat().st_size == entry.size, entry.name


def test_recommendations_follow_memory(catalog: list[model_catalog.Entry]) -> None:
    def llm_for(gb: float) -> str:
        return next(e.name for e in model_catalog.recommended(catalog, int(gb * 1e9)) if e.role == "llm")

    assert llm_for(2) == "smollm2-135m"
    assert llm_for(8) == "qwen2.5-1.5b-instruct"
    assert llm_for(16) == "llama-3.2-3b-instruct"
    speech = {e.name for e in model_catalog.recommended(catalog, int(64e9)) if e.role == "speech-to-text"}
    assert speech == {"whisper-base.en"}, "small.en is unavailable, so it is never recommended"
    assert model_catalog.recommended(catalog, None) == []


def test_broken_manifest_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "manifest.toml"
    bad.write_text("[[model]]\nname = 1 = 2\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=str(bad)):
        model_catalog.load_catalog(bad)
    bad.write_text('[[model]]\nname = "x"\nkind = "ftp"\n', encoding="utf-8")
    with pytest.raises(InputFileError, match="cannot be read"):
        model_catalog.load_catalog(bad)


def test_unavailable_and_unknown_models_are_refused(catalog: list[model_catalog.Entry], tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot be installed"):
        model_install.get(model_catalog.find("whisper-small.en", catalog), root=tmp_path)
    with pytest.raises(UserError, match="choose one of"):
        model_catalog.find("gpt-5", catalog)
    with pytest.raises(UserError, match="not installed.*copilot models get"):
        model_install.use(model_catalog.find("qwen2.5-0.5b-instruct", catalog), root=tmp_path)
    with pytest.raises(UserError, match="packaged default"):
        model_install.remove(model_catalog.find("smollm2-135m", catalog))


def test_use_writes_the_setting_and_keeps_the_rest(catalog: list[model_catalog.Entry], tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[turn]\npause_s = 0.8\n\n[ui]\ntheme = "light"\n', encoding="utf-8")
    root = tmp_path / "models"
    gguf = root / "gguf" / "qwen2.5-0.5b-instruct-q4_k_m.gguf"
    gguf.parent.mkdir(parents=True)
    gguf.write_bytes(b"GGUF")
    model_install.use(model_catalog.find("qwen2.5-0.5b-instruct", catalog), root=root, config_path=config)
    settings = load_settings(config, environ={})
    assert settings.llm.model_path == str(gguf) and settings.llm.backend == "llama_cpp"
    assert settings.turn.pause_s == 0.8 and 'theme = "light"' in config.read_text()
    model_install.use(model_catalog.find("smollm2-135m", catalog), config_path=config)
    assert load_settings(config, environ={}).llm.model_path == ""
    assert model_install.remove(model_catalog.find("qwen2.5-0.5b-instruct", catalog), root=root) == [gguf]


def test_a_write_the_settings_code_rejects_is_rolled_back(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[llm]\nmax_tokens = 90\n", encoding="utf-8")
    with pytest.raises(UserError):
        config_write.save_values({"llm": {"max_tokens": "lots"}}, config)
    assert config.read_text() == "[llm]\nmax_tokens = 90\n"


def test_doctor_reports_installed_and_recommended(monkeypatch: Any) -> None:
    from copilot.cli import doctor

    monkeypatch.setattr(model_catalog, "total_memory_bytes", lambda: int(8e9))
    report = doctor.doctor_report()["catalogue"]
    assert "whisper-tiny.en" in report["installed"] and "smollm2-135m" in report["installed"]
    assert "qwen2.5-1.5b-instruct" in report["recommended"]
    assert report["memory_gb"] == 8.0
