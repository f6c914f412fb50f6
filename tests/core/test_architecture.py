"""The core stays headless and light: DESIGN.md's layout rules, checked."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "copilot"
HEAVY = ["PySide6", "faster_whisper", "chromadb", "llama_cpp", "sounddevice", "onnxruntime", "ctranslate2"]


def test_importing_the_core_loads_no_heavy_library():
    modules = ["copilot", "copilot.cli", "copilot.composition", "copilot.rehearse", "copilot.stages", "copilot.index"]
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
