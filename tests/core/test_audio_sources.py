"""Capture sources without a sound card: re-blocking, resampling, file replay (fast and paced with a
fake clock), the device feed's drop counting and end handling through a fake sounddevice backend,
level meters, and the device listing. Waits are on threading.Event with timeouts, never sleeps."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from copilot.audio import SAMPLE_RATE, devices
from copilot.audio.decode import load_audio
from copilot.audio.levels import SILENCE_DBFS, LevelMeter, rms_dbfs
from copilot.audio.sources import (
    BLOCK,
    Blocker,
    FileSource,
    MicrophoneSource,
    PulseMonitorSource,
    Resampler,
    downmix,
    open_source,
)
from copilot.errors import UsageError, UserError
from copilot.events import CANDIDATE, INTERVIEWER, AudioFrame, SourceEnded

WAIT_S = 20.0  # generous: other heavy tests share this machine's two cores


class Collector:
    """on_frame/on_end for a source; `ended` is set once SourceEnded arrives."""

    def __init__(self) -> None:
        self.frames: list[AudioFrame] = []
        self.ends: list[SourceEnded] = []
        self.order: list[str] = []
        self.ended = threading.Event()

    def on_frame(self, frame: AudioFrame) -> None:
        self.frames.append(frame)
        self.order.append("frame")

    def on_end(self, event: SourceEnded) -> None:
        self.ends.append(event)
        self.order.append("end")
        self.ended.set()

    def wait_end(self) -> SourceEnded:
        assert self.ended.wait(WAIT_S), "the source never ended"
        assert len(self.ends) == 1
        return self.ends[0]

    def samples(self) -> np.ndarray:
        return np.concatenate([f.samples for f in self.frames]) if self.frames else np.zeros(0, np.float32)


def sine(freq: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def assert_blocks_on_timeline(frames: list[AudioFrame], speaker: str) -> None:
    for i, frame in enumerate(frames):
        assert frame.source == speaker
        assert frame.samples.shape == (BLOCK,) and frame.samples.dtype == np.float32
        assert frame.t_start_s == pytest.approx(i * BLOCK / SAMPLE_RATE)


# --- Blocker and Resampler ------------------------------------------------------------------


def test_blocker_rechunks_any_sizes_into_exact_blocks():
    signal = np.arange(10_000, dtype=np.float32)
    blocker, blocks, pos = Blocker(), [], 0
    for size in [1, 7, 511, 512, 513, 0, 1500, 3, 2048, 100]:
        blocks += blocker.push(signal[pos : pos + size])
        pos += size
    assert all(b.shape == (BLOCK,) for b in blocks)
    assert len(blocks) == pos // BLOCK and blocker.pending == pos % BLOCK
    np.testing.assert_array_equal(np.concatenate(blocks), signal[: len(blocks) * BLOCK])
    last = blocker.flush()
    assert last is not None and last.shape == (BLOCK,)
    np.testing.assert_array_equal(last[: pos % BLOCK], signal[len(blocks) * BLOCK : pos])
    assert not last[pos % BLOCK :].any()  # padded with silence
    assert blocker.flush() is None and blocker.pending == 0


def test_blocker_output_does_not_alias_the_input():
    chunk = np.ones(2 * BLOCK, dtype=np.float32)
    blocks = Blocker().push(chunk)
    chunk[:] = 0  # a driver reuses its buffer
    assert all(b.min() == 1.0 for b in blocks)


def test_streaming_resample_in_odd_chunks_matches_one_shot():
    import soxr
    signal = sine(440, 3.0, 48_000)
    resampler, out, pos = Resampler(48_000), [], 0
    rng = np.random.default_rng(7)
    while pos < signal.size:
        size = int(rng.integers(1, 1999)) | 1  # odd sizes: boundaries fall mid-period
        out.append(resampler.process(signal[pos : pos + size]))
        pos += size
    out.append(resampler.flush())
    streamed = np.concatenate(out)
    assert streamed.size == signal.size // 3  # duration preserved exactly
    np.testing.assert_allclose(streamed, soxr.resample(signal, 48_000, 16_000), atol=1e-4)
    # and it is the same tone: no clicks at the chunk edges (edges of the whole signal aside)
    ideal = sine(440, 3.0, SAMPLE_RATE)
    assert np.abs(streamed[200:-200] - ideal[200:-200]).max() < 1e-3


def test_resampler_downmixes_stereo_and_passes_16k_through():
    tone = sine(440, 1.0, 44_100)
    stereo = np.stack([tone, np.zeros_like(tone)], axis=1)
    resampler = Resampler(44_100, channels=2)
    mono = np.concatenate([resampler.process(stereo), resampler.flush()])
    assert abs(mono.size - SAMPLE_RATE) <= 1
    assert np.abs(mono[300:-300]).max() == pytest.approx(0.25, abs=0.01)  # the mean of the two channels
    same = Resampler(SAMPLE_RATE).process(tone)
    np.testing.assert_array_equal(same, tone)
    np.testing.assert_array_equal(downmix(np.array([1.0, 3.0, 5.0, 7.0]), channels=2), [2.0, 6.0])


# --- FileSource -----------------------------------------------------------------------------


@pytest.fixture
def wav_file(tmp_path: Path) -> Path:
    path = tmp_path / "question.wav"
    rng = np.random.default_rng(1)
    soundfile.write(path, (0.3 * rng.standard_normal(20_000)).clip(-1, 1), SAMPLE_RATE, subtype="PCM_16")
    return path


def test_file_source_as_fast_as_possible_delivers_every_sample_then_ends(wav_file: Path):
    expected = load_audio(wav_file)
    source, got = FileSource(wav_file, INTERVIEWER, realtime=False), Collector()
    source.start(got.on_frame, got.on_end)
    end = got.wait_end()
    source.stop()
    assert end == SourceEnded(INTERVIEWER, "end of file")
    assert got.order[-1] == "end" and got.order.count("end") == 1
    assert len(got.frames) == -(-expected.size // BLOCK)  # ceil
    assert_blocks_on_timeline(got.frames, INTERVIEWER)
    samples = got.samples()
    np.testing.assert_array_equal(samples[: expected.size], expected)
    assert not samples[expected.size :].any()  # the last block is padded with silence
    assert source.dropped_blocks == 0


def test_file_source_pads_lead_and_tail_silence():
    tone = sine(300, 0.5, SAMPLE_RATE)
    source = FileSource.from_samples(tone, CANDIDATE, realtime=False, lead_silence_s=0.1, tail_silence_s=1.0)
    assert source.duration_s == pytest.approx(1.6)
    got = Collector()
    source.start(got.on_frame, got.on_end)
    got.wait_end()
    samples = got.samples()
    assert not samples[:1600].any() and not samples[1600 + tone.size :].any()
    np.testing.assert_array_equal(samples[1600 : 1600 + tone.size], tone)
    assert got.frames[0].source == CANDIDATE


class FakeClock:
    """A clock that only moves when the source sleeps (oversleeping a little, like a real OS) or
    when the consumer spends time on a frame."""

    def __init__(self, oversleep_s: float = 0.003) -> None:
        self.now = 1000.0
        self.oversleep_s = oversleep_s
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds + self.oversleep_s


def test_realtime_pacing_follows_absolute_deadlines_without_drift():
    fake = FakeClock(oversleep_s=0.003)
    source = FileSource.from_samples(
        np.zeros(BLOCK * 200, np.float32), realtime=True, clock=fake.clock, sleep=fake.sleep
    )
    delivered: list[float] = []
    got = Collector()

    def on_frame(frame: AudioFrame) -> None:
        delivered.append(fake.now)
        fake.now += 0.002  # the consumer's own work
        got.on_frame(frame)

    source.start(on_frame, got.on_end)
    got.wait_end()
    t0, block_s = 1000.0, BLOCK / SAMPLE_RATE
    lateness = [when - (t0 + (k + 1) * block_s) for k, when in enumerate(delivered)]
    assert len(delivered) == 200
    assert min(lateness) >= -1e-9  # never early: a block exists once its last sample is "captured"
    # Each frame is late by one oversleep at most, and the error does not grow over 200 blocks
    # (accumulated relative sleeps would be 200 x 5 ms = 1 s late by the end).
    assert max(lateness) <= 0.003 + 1e-9
    assert lateness[-1] == pytest.approx(lateness[0])


def test_realtime_pacing_catches_up_after_a_slow_consumer():
    fake = FakeClock(oversleep_s=0.0)
    source = FileSource.from_samples(np.zeros(BLOCK * 50, np.float32), clock=fake.clock, sleep=fake.sleep)
    delivered: list[float] = []
    got = Collector()

    def on_frame(frame: AudioFrame) -> None:
        delivered.append(fake.now)
        if len(delivered) == 5:
            fake.now += 0.3  # one slow frame: about 9 blocks' worth
        got.on_frame(frame)

    source.start(on_frame, got.on_end)
    got.wait_end()
    deadlines = [1000.0 + (k + 1) * BLOCK / SAMPLE_RATE for k in range(50)]
    late = [k for k in range(50) if delivered[k] > deadlines[k] + 1e-9]
    assert late and late[0] == 5 and len(late) < 15  # a burst, then back on schedule
    assert delivered[-1] == pytest.approx(deadlines[-1])  # no lasting lag
    assert len(fake.sleeps) == 50 - len(late)  # no sleeping while behind


def test_file_source_stop_from_the_consumer_ends_once_with_stopped():
    source = FileSource.from_samples(np.zeros(BLOCK * 100, np.float32), realtime=False)
    got = Collector()

    def on_frame(frame: AudioFrame) -> None:
        got.on_frame(frame)
        if len(got.frames) == 3:
            source.stop()  # from the source's own thread: must not deadlock

    source.start(on_frame, got.on_end)
    assert got.wait_end() == SourceEnded(INTERVIEWER, "stopped")
    assert len(got.frames) == 3
    source.stop()
    source.stop()  # idempotent
    assert len(got.ends) == 1


# --- device sources through a fake sounddevice ----------------------------------------------


class FakeStream:
    """Stands in for sounddevice.InputStream: the test calls `callback` like PortAudio's thread."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.callback = kwargs["callback"]
        self.finished_callback = kwargs["finished_callback"]
        self.started = self.closed = False

    def start(self) -> None:
        self.started = True

    def close(self) -> None:
        self.closed = True
        self.finished_callback()  # PortAudio calls it for our own stop too

    def feed(self, block: np.ndarray) -> None:
        self.callback(block, len(block), None, 0)


class FakeSoundDevice:
    def __init__(self, rate: float = 48_000.0, channels: int = 2, name: str = "Fake USB Mic") -> None:
        self.info = {"name": name, "index": 3, "max_input_channels": channels, "default_samplerate": rate}
        self.streams: list[FakeStream] = []

    def query_devices(self, device: Any = None, kind: str | None = None) -> dict[str, Any]:
        if device not in (None, 3, self.info["name"]):
            raise ValueError(f"No input device matching {device!r}")
        return self.info

    def InputStream(self, **kwargs: Any) -> FakeStream:  # noqa: N802 - mirrors sounddevice's class name
        stream = FakeStream(**kwargs)
        self.streams.append(stream)
        return stream


def test_microphone_resamples_device_audio_into_16k_blocks_and_ends_when_unplugged():
    sd = FakeSoundDevice(rate=48_000.0, channels=2)
    mic, got = MicrophoneSource(None, backend=sd, stall_timeout_s=None), Collector()
    mic.start(got.on_frame, got.on_end)
    stream = sd.streams[0]
    assert stream.started and stream.kwargs["samplerate"] == 48_000.0 and stream.kwargs["channels"] == 2
    tone = sine(440, 1.0, 48_000)
    stereo = np.stack([tone, tone], axis=1)
    for start in range(0, tone.size, 441):  # odd device chunk size
        stream.feed(stereo[start : start + 441])
    stream.finished_callback()  # the device went away
    end = got.wait_end()
    assert end.source == CANDIDATE and "Fake USB Mic" in end.reason and "stopped:" in end.reason
    assert_blocks_on_timeline(got.frames, CANDIDATE)
    samples = got.samples()
    assert samples.size == -(-SAMPLE_RATE // BLOCK) * BLOCK  # one second, the last block padded
    ideal = sine(440, 1.0, SAMPLE_RATE)
    assert np.abs(samples[300:15_700] - ideal[300:15_700]).max() < 1e-3
    mic.stop()
    assert stream.closed and len(got.ends) == 1


def test_full_queue_drops_and_counts_blocks_without_blocking_the_callback():
    sd = FakeSoundDevice(rate=float(SAMPLE_RATE), channels=1)
    mic = MicrophoneSource(3, backend=sd, stall_timeout_s=None, capacity=4)
    got, entered, release, drained = Collector(), threading.Event(), threading.Event(), threading.Event()

    def slow_consumer(frame: AudioFrame) -> None:
        entered.set()
        assert release.wait(WAIT_S)
        got.on_frame(frame)
        if len(got.frames) == 5:
            drained.set()

    mic.start(slow_consumer, got.on_end)
    stream = sd.streams[0]
    chunks = [np.full((BLOCK, 1), i + 1, np.float32) for i in range(12)]
    stream.feed(chunks[0])
    assert entered.wait(WAIT_S)  # the worker holds chunk 1 inside the consumer
    for chunk in chunks[1:11]:
        stream.feed(chunk)  # returns at once although nobody is consuming
    assert mic.dropped_blocks == 6  # chunks 2-5 fit in the queue, 6-11 do not
    release.set()
    assert drained.wait(WAIT_S)
    stream.feed(chunks[11])
    stream.finished_callback()
    got.wait_end()
    assert_blocks_on_timeline(got.frames, CANDIDATE)  # dropped audio keeps its place on the timeline
    levels = [float(f.samples[0]) for f in got.frames]
    assert levels == [1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 12]  # silence where blocks were dropped
    mic.stop()


def test_stop_ends_once_with_stopped_and_is_idempotent():
    sd = FakeSoundDevice()
    mic, got = MicrophoneSource("Fake USB Mic", backend=sd), Collector()
    mic.start(got.on_frame, got.on_end)
    mic.stop()
    mic.stop()
    assert got.wait_end() == SourceEnded(CANDIDATE, "stopped")  # not "device stopped" from close()
    assert sd.streams[0].closed


def test_stop_before_start_does_not_disarm_a_later_stop():
    sd = FakeSoundDevice()
    mic, got = MicrophoneSource(backend=sd), Collector()
    mic.stop()
    mic.start(got.on_frame, got.on_end)
    mic.stop()
    assert got.wait_end().reason == "stopped" and sd.streams[0].closed


def test_a_device_that_cannot_open_is_a_user_error_and_never_ends():
    class BusyStream(FakeStream):
        def start(self) -> None:
            raise RuntimeError("Device unavailable [PaErrorCode -9985]")

    sd = FakeSoundDevice()
    sd.InputStream = BusyStream  # type: ignore[method-assign]  # this device is busy
    mic, got = MicrophoneSource(backend=sd), Collector()
    with pytest.raises(UserError, match="Fake USB Mic.*Device unavailable.*close other apps"):
        mic.start(got.on_frame, got.on_end)
    mic.stop()
    assert not got.ended.is_set()


def test_a_silent_device_ends_the_source_after_the_stall_timeout():
    mic, got = MicrophoneSource(backend=FakeSoundDevice(), stall_timeout_s=0.05), Collector()
    mic.start(got.on_frame, got.on_end)
    end = got.wait_end()
    assert "no audio for 0.05 s" in end.reason and "Fake USB Mic" in end.reason
    mic.stop()


def test_a_failing_consumer_ends_the_source_without_escaping_its_thread(monkeypatch: pytest.MonkeyPatch):
    escaped: list[Any] = []
    monkeypatch.setattr(threading, "excepthook", escaped.append)
    sd = FakeSoundDevice(rate=float(SAMPLE_RATE), channels=1)
    mic, got = MicrophoneSource(backend=sd, stall_timeout_s=None), Collector()

    def broken(frame: AudioFrame) -> None:
        raise RuntimeError("consumer exploded")

    mic.start(broken, got.on_end)
    sd.streams[0].feed(np.zeros((BLOCK, 1), np.float32))
    assert "consumer exploded" in got.wait_end().reason
    mic.stop()
    assert escaped == []


def test_a_numeric_device_string_is_an_index():
    sd = FakeSoundDevice()
    mic = MicrophoneSource("3", backend=sd)
    assert mic.device_index == 3 and mic.description == "microphone 'Fake USB Mic'"


def test_unknown_microphone_is_a_user_error_naming_it():
    with pytest.raises(UserError, match="'Headset 9000' not found.*copilot devices"):
        MicrophoneSource("Headset 9000", backend=FakeSoundDevice())


# --- factory and errors ---------------------------------------------------------------------


def test_open_source_kinds_and_usage_errors(wav_file: Path):
    source = open_source("file", path=wav_file, realtime=False)
    assert isinstance(source, FileSource) and source.speaker == INTERVIEWER
    with pytest.raises(UsageError):
        open_source("file")
    with pytest.raises(UsageError, match="unknown audio source 'radio'"):
        open_source("radio")
    with pytest.raises(UserError, match="not supported on Plan9"):
        open_source("system", system="Plan9")


def test_system_audio_without_parec_says_what_to_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("copilot.audio.sources.shutil.which", lambda name: None)
    with pytest.raises(UserError, match="apt install pulseaudio-utils"):
        PulseMonitorSource()


def test_default_monitor_falls_back_to_pactl_info_and_rejects_no_sink(monkeypatch: pytest.MonkeyPatch):
    def old_pactl(*args: str) -> str:
        if args == ("get-default-sink",):
            raise UserError("pactl get-default-sink: No valid command specified.")
        return "Server Name: pulseaudio\nDefault Sink: alsa_output.pci.analog-stereo\nDefault Source: x\n"

    monkeypatch.setattr(devices, "pactl", old_pactl)
    assert devices.default_monitor_source() == "alsa_output.pci.analog-stereo.monitor"
    monkeypatch.setattr(devices, "pactl", lambda *args: "(null)\n")
    with pytest.raises(UserError, match="no default output"):
        devices.default_monitor_source()


def test_pulse_sources_are_parsed_from_pactl(monkeypatch: pytest.MonkeyPatch):
    listing = (
        "0\talsa_output.pci.analog-stereo.monitor\tmodule-alsa-card.c\ts16le 2ch 44100Hz\tIDLE\n"
        "1\talsa_input.usb-mic.mono\tPipeWire\tfloat32le 1ch 48000Hz\tRUNNING\n"
    )
    monkeypatch.setattr(devices, "pactl", lambda *args: listing)
    assert devices.pulse_sources() == [
        {"name": "alsa_output.pci.analog-stereo.monitor", "channels": 2, "rate": 44100.0, "is_monitor": True},
        {"name": "alsa_input.usb-mic.mono", "channels": 1, "rate": 48000.0, "is_monitor": False},
    ]


def test_devices_command_without_portaudio_has_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    # A sounddevice that fails to load PortAudio the way the real one does.
    (tmp_path / "sounddevice.py").write_text("raise OSError('PortAudio library not found')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(devices, "monitor_devices", lambda: [])
    assert devices.devices_command(as_json=False) == 1
    out = capsys.readouterr().out
    assert "apt install libportaudio2" in out and "Traceback" not in out
    assert devices.devices_command(as_json=True) == 1
    assert '"error": "PortAudio is not installed' in capsys.readouterr().out


def test_devices_json_lists_inputs_with_the_documented_fields(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    class FakeSd:
        default = type("Default", (), {"device": [1, 0]})()

        @staticmethod
        def query_devices() -> list[dict[str, Any]]:
            return [
                {"name": "Speakers", "max_input_channels": 0, "default_samplerate": 48000.0, "hostapi": 0},
                {"name": "USB Mic", "max_input_channels": 1, "default_samplerate": 44100.0, "hostapi": 0},
                {"name": "BlackHole 2ch", "max_input_channels": 2, "default_samplerate": 48000.0, "hostapi": 0},
            ]

        @staticmethod
        def query_hostapis(index: int) -> dict[str, Any]:
            return {"name": "Core Audio"}

    monkeypatch.setattr(devices, "import_sounddevice", lambda: FakeSd)
    rows = devices.portaudio_inputs()
    assert [r["name"] for r in rows] == ["USB Mic", "BlackHole 2ch"]
    assert rows[0] == {
        "name": "USB Mic",
        "index": 1,
        "inputs": 1,
        "default_samplerate": 44100.0,
        "hostapi": "Core Audio",
        "is_default_input": True,
        "is_loopback_candidate": False,
    }
    assert rows[1]["is_loopback_candidate"] and not rows[1]["is_default_input"]
    monkeypatch.setattr(devices, "monitor_devices", lambda: [])
    assert devices.devices_command(as_json=True) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2


def test_importing_the_sources_loads_no_audio_library():
    code = (
        "import sys, copilot.audio.sources, copilot.audio.devices, copilot.audio.levels\n"
        "print(','.join(m for m in ('sounddevice', 'soundcard', 'soxr', 'av') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --- levels ---------------------------------------------------------------------------------


def test_rms_dbfs_of_known_signals():
    assert rms_dbfs(sine(1000, 1.0, SAMPLE_RATE, amplitude=1.0)) == pytest.approx(-3.01, abs=0.01)
    assert rms_dbfs(np.full(512, 0.1, np.float32)) == pytest.approx(-20.0)
    assert rms_dbfs(np.zeros(512, np.float32)) == SILENCE_DBFS
    assert rms_dbfs(np.zeros(0, np.float32)) == SILENCE_DBFS


def test_level_meter_holds_the_peak_then_decays():
    meter = LevelMeter(hold_s=0.5, decay_db_per_s=20.0, floor_dbfs=-60.0)
    loud, quiet = np.full(1600, 0.1, np.float32), np.full(1600, 0.001, np.float32)  # -20 and -60 dBFS, 0.1 s
    assert meter.update(loud) == pytest.approx(-20.0)
    for _ in range(5):  # 0.5 s: still held
        meter.update(quiet)
    assert meter.peak_dbfs == pytest.approx(-20.0) and meter.level_dbfs == pytest.approx(-60.0)
    for _ in range(10):  # 1 s past the hold: 20 dB down
        meter.update(quiet)
    assert meter.peak_dbfs == pytest.approx(-40.0)
    for _ in range(30):
        meter.update(quiet)
    assert meter.peak_dbfs == pytest.approx(-60.0)  # never below the current level
    assert meter.fraction(-30.0) == pytest.approx(0.5) and meter.fraction(-90.0) == 0.0 and meter.fraction(3.0) == 1.0
    meter.update(loud)
    assert meter.peak_dbfs == pytest.approx(-20.0)
