"""A real system-audio loop (DESIGN.md, "Measured on this kind of machine"): a private PulseAudio
daemon with a null sink, a spoken question played into it with paplay, captured from the sink's
monitor through PulseMonitorSource, then transcribed by whisper tiny.en.

PulseAudio missing is a failure, not a skip: CI installs it, and a skipped test proves nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from copilot.adapters.transcribe import WhisperTranscriber
from copilot.audio import SAMPLE_RATE
from copilot.audio.decode import load_audio
from copilot.audio.devices import default_monitor_source, monitor_devices
from copilot.audio.levels import rms_dbfs
from copilot.audio.sources import BLOCK, AudioSource, MicrophoneSource, PulseMonitorSource
from copilot.config import models
from copilot.events import CANDIDATE, INTERVIEWER, AudioFrame, SourceEnded

pytestmark = pytest.mark.audio

SINK = "copilot_test"
QUESTION = "Tell me about a time you reduced serving cost"
WAIT_S = 30.0  # generous: heavy tests share the two cores
SPEECH_DBFS = -40.0  # espeak speech sits around -20 dBFS; the null sink's silence is digital zero
TOOLS = ("pulseaudio", "pactl", "parec", "paplay", "espeak-ng")


@pytest.fixture
def pulse(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A private PulseAudio daemon with one null sink; the test process talks to it through
    XDG_RUNTIME_DIR, which parec, paplay and pactl all inherit."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: the system-audio test needs "
            "apt install pulseaudio pulseaudio-utils espeak-ng"
        )
    # A short folder under /tmp: the socket path inside it must fit in 108 bytes.
    runtime = Path(tempfile.mkdtemp(prefix="copilot-pulse-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    for var in ("PULSE_SERVER", "PULSE_SINK", "PULSE_SOURCE"):
        monkeypatch.delenv(var, raising=False)  # they would point the tools at another server
    env = dict(os.environ)
    _start_daemon(env)
    try:
        yield env
    finally:
        subprocess.run(["pulseaudio", "--kill"], env=env, capture_output=True, timeout=30)
        shutil.rmtree(runtime, ignore_errors=True)
        if "sounddevice" in sys.modules:
            _rescan_portaudio()  # forget the daemon's devices, for whatever runs next in this process


def _rescan_portaudio() -> None:
    """PortAudio lists devices once, when it initialises; re-initialise it to see the current ones
    (sounddevice's documented answer to "refresh the device list", through its private helpers)."""
    import sounddevice as sd

    sd._terminate()
    sd._initialize()


def _start_daemon(env: dict[str, str]) -> None:
    command = [
        "pulseaudio",
        "-D",
        "--exit-idle-time=-1",
        "-n",  # no default.pa: only the modules below, so no real hardware is touched
        "--load=module-native-protocol-unix",
        f"--load=module-null-sink sink_name={SINK}",
    ]
    started = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    if started.returncode != 0:
        pytest.fail(f"pulseaudio did not start (exit {started.returncode}): {started.stderr.strip()}")
    pause = threading.Event()  # never set: a bounded wait between polls
    for _ in range(100):
        if subprocess.run(["pactl", "info"], env=env, capture_output=True, timeout=10).returncode == 0:
            return
        pause.wait(0.1)
    pytest.fail("pulseaudio started but `pactl info` never answered")


class Capture:
    """Collects frames; `reached(n)` waits until n samples have arrived."""

    def __init__(self) -> None:
        self.frames: list[AudioFrame] = []
        self.ends: list[SourceEnded] = []
        self.ended = threading.Event()
        self._cond = threading.Condition()

    def on_frame(self, frame: AudioFrame) -> None:
        with self._cond:
            self.frames.append(frame)
            self._cond.notify_all()

    def on_end(self, event: SourceEnded) -> None:
        self.ends.append(event)
        self.ended.set()

    @property
    def captured(self) -> int:
        with self._cond:
            return len(self.frames) * BLOCK

    def reached(self, samples: int) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.frames) * BLOCK >= samples, WAIT_S)

    def samples(self) -> np.ndarray:
        with self._cond:
            return np.concatenate([f.samples for f in self.frames])


def _speech_span(samples: np.ndarray) -> tuple[int, int]:
    """First and last sample of the blocks louder than SPEECH_DBFS."""
    loud = [i for i in range(0, samples.size - BLOCK + 1, BLOCK) if rms_dbfs(samples[i : i + BLOCK]) > SPEECH_DBFS]
    assert loud, "no speech energy at all"
    return loud[0], loud[-1] + BLOCK


@pytest.fixture(scope="module")
def transcriber() -> WhisperTranscriber:
    return WhisperTranscriber(models.whisper_model("tiny.en").path)


@pytest.fixture
def question_wav(pulse: dict[str, str], tmp_path: Path) -> Path:
    wav = tmp_path / "q.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), QUESTION], check=True, env=pulse, timeout=60)
    return wav


def _capture_while_playing(source: AudioSource, wav: Path, env: dict[str, str]) -> tuple[Capture, int]:
    """Start `source`, play `wav` into the null sink, keep half a second of tail, stop.
    Returns the capture and how many samples had arrived before playback began."""
    capture = Capture()
    source.start(capture.on_frame, capture.on_end)
    try:
        assert capture.reached(BLOCK), f"{source.description} delivered nothing"
        before_play = capture.captured
        subprocess.run(["paplay", "-d", SINK, str(wav)], check=True, env=env, timeout=60)
        # paplay returns once the sink has played everything; half a second more holds the tail.
        assert capture.reached(capture.captured + SAMPLE_RATE // 2)
    finally:
        source.stop()
    assert capture.ends == [SourceEnded(source.speaker, "stopped")]
    assert source.dropped_blocks == 0
    return capture, before_play


def _check_question(samples: np.ndarray, before_play: int, wav: Path, transcriber: WhisperTranscriber) -> None:
    clip = load_audio(wav)
    clip_start, clip_end = _speech_span(clip)
    start, end = _speech_span(samples)
    assert start >= before_play  # nothing loud before the question was played
    assert rms_dbfs(samples[:before_play]) < -90  # the idle monitor is silent
    # The captured speech lasts as long as the clip's (block grids differ by < 1 block per end).
    assert abs((end - start) - (clip_end - clip_start)) / SAMPLE_RATE < 0.15
    assert rms_dbfs(samples[start:end]) == pytest.approx(rms_dbfs(clip[clip_start:clip_end]), abs=3.0)
    pad = int(0.3 * SAMPLE_RATE)
    text = transcriber.transcribe(samples[max(0, start - pad) : end + pad])
    assert "serving" in text.lower() and "cost" in text.lower(), text


def test_a_question_played_to_the_speakers_is_captured_and_transcribed(
    pulse: dict[str, str], question_wav: Path, transcriber: WhisperTranscriber
):
    source = PulseMonitorSource(f"{SINK}.monitor")
    capture, before_play = _capture_while_playing(source, question_wav, pulse)
    assert capture.ends[0].source == INTERVIEWER
    _check_question(capture.samples(), before_play, question_wav, transcriber)


def test_a_portaudio_input_at_44k_stereo_is_resampled_and_transcribed(
    pulse: dict[str, str], question_wav: Path, transcriber: WhisperTranscriber
):
    """The microphone path for real: PortAudio's ALSA `pulse` device records the server's default
    source (the null sink's monitor) at 44.1 kHz stereo; MicrophoneSource brings it to 16 kHz mono."""
    _rescan_portaudio()
    # No stall timeout: the idle null sink can take ~2 s to wake for a new stream.
    source = MicrophoneSource("pulse", stall_timeout_s=None)
    assert source.samplerate != SAMPLE_RATE and source.channels == 2  # the resampler and downmix are exercised
    capture, before_play = _capture_while_playing(source, question_wav, pulse)
    assert capture.ends[0].source == CANDIDATE
    _check_question(capture.samples(), before_play, question_wav, transcriber)


def test_the_default_monitor_is_found_and_listed(pulse: dict[str, str]):
    assert default_monitor_source() == f"{SINK}.monitor"
    monitors = monitor_devices()
    assert [m["name"] for m in monitors] == [f"{SINK}.monitor"]
    assert monitors[0]["is_default_system"] and monitors[0]["is_loopback_candidate"]


def test_a_sink_that_disappears_ends_the_source_with_a_reason(pulse: dict[str, str]):
    source, capture = PulseMonitorSource(f"{SINK}.monitor"), Capture()
    source.start(capture.on_frame, capture.on_end)
    try:
        assert capture.reached(BLOCK)
        subprocess.run(["pactl", "unload-module", "module-null-sink"], check=True, env=pulse, timeout=30)
        assert capture.ended.wait(WAIT_S), "the source did not notice its device going away"
    finally:
        source.stop()
    assert len(capture.ends) == 1
    reason = capture.ends[0].reason
    assert reason.startswith(f"system audio '{SINK}.monitor' stopped: parec exited"), reason
