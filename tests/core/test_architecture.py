"""The core stays headless and light: DESIGN.md's layout rules, checked."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "copilot"
HEAVY = ["PySide6", "faster_whisper", "chromadb", "llama_cpp", "sounddevice", "onnxruntime", "ctranslate2"]


def test_importing_the_core_loads_no_heavy_library():
    modules = ["copilot", "copilot.cli.main", "copilot.composition", "copilot.practice.rehearse", "copilot.pipeline.stages", "copilot.adapters.index"]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + f"loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
        + "print(','.join(loaded))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"imported eagerly: {out.stdout.strip()}"


def _imported_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_ui_or_qt():
    offenders = {
        str(p.relative_to(CORE.parent)): sorted(_imported_names(p) & {"ui", "PySide6", "PyQt5", "PyQt6", "shiboken6"})
        for p in CORE.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


MAX_MODULES_PER_FOLDER = 12  # "about ten" (issue 10): a folder a newcomer can take in at a glance


def test_no_package_is_a_flat_heap_of_modules():
    crowded = {}
    for root in ("copilot", "ui"):
        for folder in [REPO / root, *(p for p in (REPO / root).rglob("*") if p.is_dir())]:
            modules = [p for p in folder.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
            if len(modules) > MAX_MODULES_PER_FOLDER:
                crowded[str(folder.relative_to(REPO))] = len(modules)
    assert crowded == {}


def test_the_layer_contracts_are_declared():
    """The layers in docs/ARCHITECTURE.md are enforced by import-linter (make lint); a deleted contract would pass silently."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    contracts = {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}
    core = contracts["The core's layers"]["layers"]
    assert core[0] == "copilot.cli" and "copilot.pipeline" in core and core.index("copilot.live") < core.index("copilot.pipeline")
    assert contracts["The UI's layers"]["layers"][-1] == "ui.common"
