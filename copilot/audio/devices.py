"""Which audio inputs exist: PortAudio devices (microphones, macOS loopback drivers) and, on Linux,
the PulseAudio/PipeWire monitor sources that carry system audio. Backs `copilot devices`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from types import ModuleType
from typing import Any

from copilot.errors import UserError

# Names of drivers and endpoints that carry what the machine plays rather than a microphone:
# BlackHole and Rogue Amoeba's Loopback (macOS), VB-Audio's cable, Windows' "Stereo Mix", monitors.
LOOPBACK_HINTS = ("blackhole", "loopback", "monitor", "stereo mix", "what u hear", "cable output")
PACTL_TIMEOUT_S = 5.0


def import_sounddevice() -> ModuleType:
    """sounddevice, or a UserError saying how to install PortAudio (the import fails without it)."""
    try:
        import sounddevice  # lazy: loading PortAudio is slow and can fail; `import copilot` must not need it
    except OSError as exc:  # sounddevice raises OSError("PortAudio library not found")
        raise UserError(
            f"PortAudio is not installed ({exc}); on Debian/Ubuntu: apt install libportaudio2, "
            "on macOS: brew install portaudio"
        ) from exc
    except ImportError as exc:
        raise UserError(f"the sounddevice package is missing ({exc}); pip install sounddevice") from exc
    return sounddevice


def portaudio_inputs(sd: ModuleType | None = None) -> list[dict[str, Any]]:
    """Every PortAudio device with at least one input channel."""
    sd = sd or import_sounddevice()
    try:
        devices = sd.query_devices()
        default_input = sd.default.device[0]
    except Exception as exc:  # PortAudioError when the host audio system is not running
        raise UserError(f"cannot list audio devices ({exc}); is the sound system running?") from exc
    rows = []
    for index, info in enumerate(devices):
        if info["max_input_channels"] <= 0:
            continue
        name = str(info["name"])
        rows.append(
            {
                "name": name,
                "index": index,
                "inputs": int(info["max_input_channels"]),
                "default_samplerate": float(info["default_samplerate"]),
                "hostapi": _hostapi_name(sd, info["hostapi"]),
                "is_default_input": index == default_input,
                "is_loopback_candidate": is_loopback_name(name),
            }
        )
    return rows


def is_loopback_name(name: str) -> bool:
    lowered = name.lower()
    return any(hint in lowered for hint in LOOPBACK_HINTS)


def _hostapi_name(sd: ModuleType, index: int) -> str:
    try:
        return str(sd.query_hostapis(index)["name"])
    except Exception:  # a host API that vanished between the two queries: the name is cosmetic
        return str(index)


def pactl(*args: str) -> str:
    """Run pactl and return its output; UserError (naming the command) when it cannot."""
    exe = shutil.which("pactl")
    if exe is None:
        raise UserError("pactl not found: install pulseaudio-utils (it works with PipeWire too)")
    try:
        done = subprocess.run([exe, *args], capture_output=True, text=True, timeout=PACTL_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UserError(f"pactl {' '.join(args)} failed ({exc}); is PulseAudio or PipeWire running?") from exc
    if done.returncode != 0:
        problem = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[0]  # one line: no wall of text
        raise UserError(
            f"pactl {' '.join(args)}: {problem}; is the sound server running? "
            "(systemctl --user start pipewire-pulse, or pulseaudio --start)"
        )
    return done.stdout


def pulse_sources() -> list[dict[str, Any]]:
    """`pactl list short sources`, parsed. Lines look like
    `0<TAB>alsa_output.pci.analog-stereo.monitor<TAB>module-alsa-card.c<TAB>s16le 2ch 44100Hz<TAB>IDLE`."""
    rows = []
    for line in pactl("list", "short", "sources").splitlines():
        fields = line.split("\t")
        if len(fields) < 4:
            continue
        channels, rate = _parse_spec(fields[3])
        rows.append(
            {"name": fields[1], "channels": channels, "rate": rate, "is_monitor": fields[1].endswith(".monitor")}
        )
    return rows


def _parse_spec(spec: str) -> tuple[int, float]:
    """ "s16le 2ch 44100Hz" -> (2, 44100.0); zeros for parts that are missing."""
    channels, rate = 0, 0.0
    for part in spec.split():
        if part.endswith("ch") and part[:-2].isdigit():
            channels = int(part[:-2])
        elif part.endswith("Hz") and part[:-2].isdigit():
            rate = float(part[:-2])
    return channels, rate


def default_monitor_source() -> str:
    """The monitor of the default output, i.e. whatever the machine is playing."""
    try:
        sink = pactl("get-default-sink").strip()
    except UserError:
        # `get-default-sink` only exists since PulseAudio 15; older servers print it in `pactl info`.
        sink = _info_field(pactl("info"), "Default Sink")
    if not sink or sink == "(null)":
        raise UserError(
            "the sound server has no default output device, so there is no system audio to capture; "
            "pick an output in your sound settings or name a monitor with `copilot devices`"
        )
    return f"{sink}.monitor"


def _info_field(info: str, key: str) -> str:
    for line in info.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    return ""


def list_devices() -> list[dict[str, Any]]:
    """PortAudio inputs, then (on Linux, when a sound server answers) its monitor sources.

    Raises UserError when PortAudio itself is missing; `devices_command` still shows the monitors then.
    """
    return portaudio_inputs() + monitor_devices()


def monitor_devices() -> list[dict[str, Any]]:
    """PulseAudio/PipeWire monitors in the same shape as `portaudio_inputs`; [] without a sound server."""
    if not sys.platform.startswith("linux") or shutil.which("pactl") is None:
        return []
    try:
        sources = pulse_sources()
    except UserError:
        return []
    try:
        default = default_monitor_source()
    except UserError:
        default = ""
    return [
        {
            "name": s["name"],
            "index": None,  # not a PortAudio device: pass the name to the system-audio source
            "inputs": s["channels"],
            "default_samplerate": s["rate"],
            "hostapi": "pulse",
            "is_default_input": False,
            "is_loopback_candidate": True,
            "is_default_system": s["name"] == default,  # what system-audio capture records by default
        }
        for s in sources
        if s["is_monitor"]
    ]


def devices_command(as_json: bool) -> int:
    """`copilot devices [--json]`: exit 0, or 1 when PortAudio is unusable (monitors are still listed)."""
    error = None
    try:
        inputs = portaudio_inputs()
    except UserError as exc:
        error, inputs = str(exc), []
    monitors = monitor_devices()
    if as_json:
        for row in inputs + monitors:
            print(json.dumps(row))
        if error:
            print(json.dumps({"error": error}))
    else:
        _print_table(inputs, monitors, error)
    return 1 if error else 0


def _print_table(inputs: list[dict[str, Any]], monitors: list[dict[str, Any]], error: str | None) -> None:
    print("Microphones and loopback drivers (PortAudio):")
    if error:
        print(f"  {error}")
    elif not inputs:
        print("  none found")
    for d in inputs:
        marks = " default" * d["is_default_input"] + " loopback?" * d["is_loopback_candidate"]
        print(
            f"  [{d['index']}] {d['name']} ({d['hostapi']}, {d['inputs']} ch, {d['default_samplerate']:.0f} Hz){marks}"
        )
    if sys.platform.startswith("linux"):
        print("System audio (PulseAudio/PipeWire monitors):")
        if not monitors:
            print("  none found (is PulseAudio or PipeWire running? `pactl info`)")
        for m in monitors:
            mark = " default" if m["is_default_system"] else ""
            print(f"  {m['name']} ({m['inputs']} ch, {m['default_samplerate']:.0f} Hz){mark}")
