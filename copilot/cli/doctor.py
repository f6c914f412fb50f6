"""`copilot doctor`: what was found where, and what to do about what was not."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from typing import Any

from copilot import __version__
from copilot.config import models, paths
from copilot.config.settings import load_settings
from copilot.errors import UserError

LOOPBACK_HELP = {
    "Linux": "System audio is captured from the monitor of your output device (PulseAudio or PipeWire); "
    "nothing to install. Check with `pactl list short sources | grep monitor`.",
    "Darwin": "macOS has no built-in loopback: install BlackHole (2ch), create a Multi-Output Device in Audio MIDI "
    "Setup with your speakers and BlackHole, make it the output, then pick BlackHole as the interviewer device.",
    "Windows": "System audio is captured with WASAPI loopback from your default output; install the `soundcard` "
    "package (`pip install soundcard`), python-sounddevice cannot open a loopback on Windows.",
}


def doctor_report() -> dict[str, Any]:
    report: dict[str, Any] = {
        "version": __version__,
        "python": sys.version.split()[0],
        "platform": platform.system(),
        "config_file": str(paths.config_file()),
        "stories_dir": str(paths.stories_dir()),
        "index_dir": str(paths.index_dir()),
    }
    try:
        settings = load_settings()
    except UserError as exc:
        report.update(ok=False, config_error=str(exc))
        return report
    report["models"] = _models(settings)
    report["catalogue"] = _catalogue()
    report["audio"] = _audio()
    report["loopback"] = _loopback()
    report["ok"] = all(m["found"] for m in report["models"] if m["required"])
    return report


def _models(settings: Any) -> list[dict[str, Any]]:
    checks = [
        ("speech-to-text", True, lambda: models.whisper_model(settings.models.whisper)),
        ("embedding", True, lambda: models.embedding_model(settings.models.embedding)),
        ("embedding tokenizer", True, models.embedding_tokenizer),
        ("llm", settings.llm.backend == "llama_cpp", lambda: models.llm_model(settings.llm.model_path)),
    ]
    rows = []
    for name, required, find in checks:
        try:
            found = find()
            rows.append(
                {"name": name, "found": True, "path": str(found.path), "source": found.source, "required": required}
            )
        except UserError as exc:
            rows.append({"name": name, "found": False, "error": str(exc), "required": required})
    if settings.llm.backend == "server":
        rows.append(
            {
                "name": "llm server",
                "found": bool(settings.llm.server_url),
                "path": settings.llm.server_url,
                "source": "config",
                "required": True,
            }
        )
    return rows


def _catalogue() -> dict[str, Any]:
    """Which catalogue models are installed, and which suit this machine's memory (`copilot models`)."""
    from copilot.cli.models import rows
    from copilot.config import model_catalog

    try:
        table = rows(model_catalog.load_catalog())
    except UserError as exc:
        return {"error": str(exc)}
    memory = model_catalog.total_memory_bytes()
    return {
        "memory_gb": round(memory / 1e9, 1) if memory else None,
        "installed": [r["name"] for r in table if r["installed"]],
        "recommended": [r["name"] for r in table if r["recommended"] and not r["installed"]],
    }


def _audio() -> dict[str, Any]:
    try:
        import sounddevice as sd  # lazy: loading PortAudio can fail on a machine without it

        devices = sd.query_devices()
        inputs = [d["name"] for d in devices if d["max_input_channels"] > 0]
        return {"backend": "sounddevice", "portaudio": sd.get_portaudio_version()[1], "input_devices": inputs}
    except (OSError, ImportError) as exc:
        return {
            "backend": None,
            "error": f"PortAudio not available ({exc}); on Debian/Ubuntu: apt install libportaudio2",
        }
    except Exception as exc:  # PortAudioError when no audio system is running
        return {"backend": "sounddevice", "error": str(exc), "input_devices": []}


def _loopback() -> dict[str, Any]:
    system = platform.system()
    info: dict[str, Any] = {"help": LOOPBACK_HELP.get(system, "")}
    if system == "Linux":
        info["monitor_sources"] = _pulse_monitors()
        info["available"] = bool(info["monitor_sources"])
    elif system == "Darwin":
        names = _audio().get("input_devices", [])
        info["loopback_devices"] = [n for n in names if "blackhole" in n.lower() or "loopback" in n.lower()]
        info["available"] = bool(info["loopback_devices"])
    else:
        info["available"] = _has_module("soundcard") or _has_module("pyaudiowpatch")
    return info


def _pulse_monitors() -> list[str]:
    if not shutil.which("pactl"):
        return []
    try:
        out = subprocess.run(["pactl", "list", "short", "sources"], capture_output=True, text=True, timeout=3)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.split("\t")[1] for line in out.stdout.splitlines() if ".monitor" in line and "\t" in line]


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def print_report(report: dict[str, Any]) -> None:
    print(f"Interview Copilot {report['version']} on {report['platform']} (Python {report['python']})")
    print(f"config: {report['config_file']}\nstories: {report['stories_dir']}")
    if "config_error" in report:
        print(f"  problem: {report['config_error']}")
        return
    for m in report["models"]:
        mark = "ok " if m["found"] else ("-- " if not m["required"] else "!! ")
        print(f"{mark}{m['name']}: " + (f"{m['path']} ({m['source']})" if m["found"] else m["error"]))
    _print_catalogue(report["catalogue"])
    audio = report["audio"]
    print(
        f"audio: {audio.get('portaudio') or audio.get('error')}; {len(audio.get('input_devices', []))} input device(s)"
    )
    loop = report["loopback"]
    print(f"system audio capture: {'available' if loop.get('available') else 'not found'}")
    print(f"  {loop['help']}")


def _print_catalogue(cat: dict[str, Any]) -> None:
    if "error" in cat:
        print(f"!! model catalogue: {cat['error']}")
        return
    print(f"models installed: {', '.join(cat['installed']) or 'none'}")
    if cat["recommended"]:
        memory = f"{cat['memory_gb']} GB" if cat["memory_gb"] else "unknown"
        names = ", ".join(cat["recommended"])
        print(f"  recommended for this machine's memory ({memory}): {names}; `copilot models get NAME`")
