#!/usr/bin/env python3
"""Rehearsal latency: a recorded ~5-second question to cue bullets, with the default models.

Makes its questions with espeak-ng, runs each through `copilot.practice.rehearse` several times and prints one
JSON line per run, then a summary with p50/p95 per stage. Target (issue 2): first_bullet p50 <= 1500 ms.
Usage: python scripts/bench_rehearse.py [--runs N] [--no-llm]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from copilot.composition import open_core  # noqa: E402
from copilot.config.settings import load_settings  # noqa: E402
from copilot.practice.rehearse import RehearsalInput, rehearse_one  # noqa: E402

QUESTIONS = [
    "Tell me about a time you had to cut the cost of serving a model in production.",
    "What is the difference between L1 and L2 regularization, and when would you use each?",
    "How would you design a recommendation system for a large video streaming platform?",
    "Your offline metrics improved but the A B test shows no lift. What would you check first?",
    "Tell me about a disagreement you had with a data scientist about shipping their model.",
]


def make_audio(folder: Path) -> list[Path]:
    if not shutil.which("espeak-ng"):
        sys.exit("bench: espeak-ng is needed to make the test questions (apt install espeak-ng sox)")
    paths = []
    for number, text in enumerate(QUESTIONS):
        raw, wav = folder / f"q{number}.raw.wav", folder / f"q{number}.wav"
        subprocess.run(["espeak-ng", "-s", "165", "-w", str(raw), text], check=True)
        subprocess.run(["sox", "-D", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True)
        paths.append(wav)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-llm", action="store_true")
    args = parser.parse_args()
    settings = load_settings()
    if args.no_llm:
        settings = replace(settings, llm=replace(settings.llm, backend="none"))
    with tempfile.TemporaryDirectory() as tmp:
        audio = make_audio(Path(tmp))
        core = open_core(settings, str(REPO / "personal_stories"))
        try:
            rows = [run(core, path, n) for n in range(args.runs) for path in audio]
        finally:
            core.close()
    summarise(rows)


def run(core, path: Path, number: int) -> dict:
    result = rehearse_one(core, RehearsalInput(path, None), number).to_dict()
    row = {
        "audio": path.name,
        "seconds": round(_duration(path), 2),
        "type": result["question_type"],
        **result["timings_ms"],
    }
    print(json.dumps(row), flush=True)
    return row


def _duration(path: Path) -> float:
    import soundfile

    return soundfile.info(str(path)).duration


def summarise(rows: list[dict]) -> None:
    keys = ["transcribe", "classify", "retrieve", "compose", "first_bullet", "generate"]
    summary = {
        "summary": True,
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, {_cores()} cores",
        "runs": len(rows),
        "mean_audio_s": round(float(np.mean([r["seconds"] for r in rows])), 2),
    }
    for key in keys:
        values = np.array([r[key] for r in rows])
        summary[f"{key}_p50_ms"] = round(float(np.percentile(values, 50)), 1)
        summary[f"{key}_p95_ms"] = round(float(np.percentile(values, 95)), 1)
    summary["target_first_bullet_p50_ms"] = 1500
    summary["met"] = summary["first_bullet_p50_ms"] <= 1500
    print(json.dumps(summary))


def _cores() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    main()
