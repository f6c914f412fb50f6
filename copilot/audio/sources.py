"""Live audio capture behind one Protocol: a file replayed like a device, the microphone, and
system audio (PulseAudio/PipeWire monitor on Linux, WASAPI loopback on Windows, a loopback driver
on macOS). DESIGN.md, "The core, as stages and events" and "System audio".

Every source delivers `AudioFrame`s of exactly BLOCK samples, 16 kHz mono float32, from a thread of
its own, stamped with their place on the source's sample timeline (not the wall clock, which
drifts against the device's clock and jumps when the machine is busy). Then exactly one
`SourceEnded`: end of file, `stop()`, or "<device> stopped: <reason>" when the device goes away.
"""

from __future__ import annotations

import collections
import importlib.util
import logging
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from copilot.audio import SAMPLE_RATE
from copilot.audio.devices import default_monitor_source, import_sounddevice, is_loopback_name, pulse_sources
from copilot.errors import UsageError, UserError
from copilot.events import CANDIDATE, INTERVIEWER, AudioFrame, SourceEnded

__all__ = [
    "BLOCK",
    "AudioSource",
    "Blocker",
    "DeviceFeed",
    "FileSource",
    "LoopbackSource",
    "MicrophoneSource",
    "PulseMonitorSource",
    "Resampler",
    "default_monitor_source",
    "downmix",
    "open_source",
]

log = logging.getLogger(__name__)

BLOCK = 512  # 32 ms at 16 kHz: the chunk Silero VAD takes
# Device chunks held between the audio callback and the consumer: at a typical 10-20 ms per
# chunk, several seconds, enough to ride out a whisper decode hogging both cores.
QUEUE_CAPACITY = 256
# A microphone that delivers nothing this long has gone away, even if PortAudio never said so
# (PulseAudio often just stops feeding a stream whose device was unplugged).
STALL_TIMEOUT_S = 5.0
JOIN_TIMEOUT_S = 5.0

FrameCallback = Callable[[AudioFrame], None]
EndCallback = Callable[[SourceEnded], None]


class AudioSource(Protocol):
    speaker: str  # INTERVIEWER or CANDIDATE
    description: str  # names the file or device, for messages

    @property
    def dropped_blocks(self) -> int:
        """Device chunks lost because the consumer fell behind (the callback never waits for it);
        the gap comes back as silence so the timeline stays true."""

    def start(self, on_frame: FrameCallback, on_end: EndCallback) -> None:
        """Begin delivering; returns at once. Callbacks run on the source's own thread."""

    def stop(self) -> None:
        """Stop and join the threads; idempotent. `on_end` is still called once, with "stopped"."""


# --- signal plumbing -------------------------------------------------------------------------


def downmix(chunk: np.ndarray, channels: int = 1) -> np.ndarray:
    """Frames x channels (or interleaved 1-D) to mono float32, by the mean of the channels."""
    samples = np.asarray(chunk, dtype=np.float32)
    if samples.ndim == 1:
        if channels == 1:
            return samples
        samples = samples.reshape(-1, channels)
    if samples.shape[1] == 1:
        return samples[:, 0]
    return samples.mean(axis=1, dtype=np.float32)


class Resampler:
    """Any rate and channel count to 16 kHz mono, as a stream.

    soxr's ResampleStream keeps the filter state between calls, so chunk boundaries leave no clicks
    (resampling each chunk on its own would ring at every edge) and the output length tracks the input
    exactly over time. Downmixing comes first: one channel is cheaper to filter than two.
    """

    def __init__(self, in_rate: float, channels: int = 1, out_rate: int = SAMPLE_RATE) -> None:
        self.in_rate = float(in_rate)
        self.channels = channels
        self.out_rate = out_rate
        self._stream: Any = None
        if self.in_rate != out_rate:
            import soxr  # lazy: only a device at another rate needs it

            self._stream = soxr.ResampleStream(self.in_rate, out_rate, 1, dtype="float32", quality="HQ")

    def process(self, chunk: np.ndarray) -> np.ndarray:
        mono = downmix(chunk, self.channels)
        if self._stream is None:
            return mono
        return np.asarray(self._stream.resample_chunk(mono), dtype=np.float32)

    def flush(self) -> np.ndarray:
        """The filter's tail, at the end of the stream."""
        if self._stream is None:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self._stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True), dtype=np.float32)


class Blocker:
    """Re-chunks a stream of any-sized arrays into blocks of exactly `block` samples.

    Whole blocks are sliced straight out of the input; only a partial block is kept, in one
    preallocated buffer, so every sample is copied at most twice whatever the chunk sizes
    (np.append per chunk would copy the growing backlog every time).
    """

    def __init__(self, block: int = BLOCK) -> None:
        self.block = block
        self._buffer = np.zeros(block, dtype=np.float32)
        self._fill = 0

    @property
    def pending(self) -> int:
        """Samples waiting for the rest of their block."""
        return self._fill

    def push(self, samples: np.ndarray) -> list[np.ndarray]:
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        blocks: list[np.ndarray] = []
        pos = 0
        if self._fill:
            pos = min(self.block - self._fill, samples.size)
            self._buffer[self._fill : self._fill + pos] = samples[:pos]
            self._fill += pos
            if self._fill == self.block:
                blocks.append(self._buffer.copy())
                self._fill = 0
        while samples.size - pos >= self.block:
            blocks.append(samples[pos : pos + self.block].copy())  # a copy: the caller may reuse its array
            pos += self.block
        rest = samples.size - pos
        if rest:
            self._buffer[self._fill : self._fill + rest] = samples[pos:]
            self._fill += rest
        return blocks

    def flush(self) -> np.ndarray | None:
        """The last partial block, padded with silence; None when nothing is pending."""
        if not self._fill:
            return None
        block = np.zeros(self.block, dtype=np.float32)
        block[: self._fill] = self._buffer[: self._fill]
        self._fill = 0
        return block


class _Framer:
    """Device chunks in, AudioFrames out: resample, re-block, stamp with the sample timeline."""

    def __init__(self, speaker: str, in_rate: float, channels: int) -> None:
        self.speaker = speaker
        self._resampler = Resampler(in_rate, channels)
        self._blocker = Blocker(BLOCK)
        self._emitted = 0  # output samples so far: the timeline

    def feed(self, chunk: np.ndarray) -> list[AudioFrame]:
        return self._frames(self._blocker.push(self._resampler.process(chunk)))

    def finish(self) -> list[AudioFrame]:
        blocks = self._blocker.push(self._resampler.flush())
        last = self._blocker.flush()
        return self._frames(blocks + ([last] if last is not None else []))

    def _frames(self, blocks: list[np.ndarray]) -> list[AudioFrame]:
        frames = []
        for block in blocks:
            frames.append(AudioFrame(self.speaker, block, self._emitted / SAMPLE_RATE))
            self._emitted += block.size
        return frames


# --- from a device callback to the consumer ----------------------------------------------------


def run_to_end(description: str, speaker: str, body: Callable[[], str], on_end: EndCallback) -> None:
    """Run a source's delivery loop and always end with exactly one SourceEnded.

    Nothing may escape a source's thread: the session goes on without the source, and the user is
    told why it stopped.
    """
    try:
        reason = body()
    except Exception as exc:
        log.exception("%s failed", description)
        reason = f"{description} stopped: {exc}"
    try:
        on_end(SourceEnded(speaker, reason))
    except Exception:
        log.exception("on_end handler failed for %s", description)


class DeviceFeed:
    """Between a device's callback thread and the consumer.

    `push` (the audio callback's side) copies the chunk and queues it without waiting: when the
    queue is full the chunk is dropped and counted, because an audio callback that blocks makes the
    driver overflow and glitch instead (DESIGN.md). A worker thread resamples, re-blocks and calls
    `on_frame`. A dropped chunk comes back as silence of the same length, so the timeline stays true.
    """

    def __init__(
        self,
        speaker: str,
        description: str,
        in_rate: float,
        channels: int,
        capacity: int = QUEUE_CAPACITY,
        stall_timeout_s: float | None = None,
    ) -> None:
        self.speaker = speaker
        self.description = description
        self.channels = channels
        self.dropped_blocks = 0
        self._framer = _Framer(speaker, in_rate, channels)
        self._capacity = capacity
        self._stall_timeout_s = stall_timeout_s
        self._items: collections.deque[tuple[int, np.ndarray]] = collections.deque()
        self._cond = threading.Condition()
        self._pushed_frames = 0  # device frames seen, dropped or not: where the next chunk starts
        self._end_reason: str | None = None
        self._discard = False
        self._worker: threading.Thread | None = None

    def push(self, chunk: np.ndarray) -> None:
        """Called from the audio callback: copy, queue, never wait for the consumer."""
        data = np.array(chunk, dtype=np.float32, copy=True)  # the driver reuses its buffer
        frames = data.shape[0] if data.ndim == 2 else data.size // self.channels
        with self._cond:
            start = self._pushed_frames
            self._pushed_frames += frames
            if self._end_reason is not None:
                return
            if len(self._items) >= self._capacity:
                self.dropped_blocks += 1
                return
            self._items.append((start, data))
            self._cond.notify()

    def end(self, reason: str) -> None:
        """The device stopped; what is queued is still delivered, then SourceEnded(reason)."""
        with self._cond:
            if self._end_reason is None:
                self._end_reason = reason
            self._cond.notify()

    def start(self, on_frame: FrameCallback, on_end: EndCallback) -> None:
        self._worker = threading.Thread(
            target=self._run, args=(on_frame, on_end), name=f"audio-{self.speaker}", daemon=True
        )
        self._worker.start()

    def stop(self) -> None:
        """Drop whatever is queued, end with "stopped" (unless already ended) and join the worker."""
        with self._cond:
            self._discard = True
            self._items.clear()
            if self._end_reason is None:
                self._end_reason = "stopped"
            self._cond.notify()
        worker = self._worker
        # on_frame may itself call stop(): a thread cannot join itself, and it will exit on its own.
        if worker is not None and worker is not threading.current_thread():
            worker.join(JOIN_TIMEOUT_S)

    def _run(self, on_frame: FrameCallback, on_end: EndCallback) -> None:
        run_to_end(self.description, self.speaker, lambda: self._pump(on_frame), on_end)

    def _pump(self, on_frame: FrameCallback) -> str:
        expected = 0  # the device frame the next chunk should start at
        while True:
            item = self._take()
            if isinstance(item, str):
                if not self._discard:
                    self._deliver(self._framer.finish(), on_frame)
                return item
            start, data = item
            if start > expected:  # chunks were dropped: keep the timeline with silence
                self._deliver(self._framer.feed(np.zeros((start - expected, self.channels), np.float32)), on_frame)
            expected = start + (data.shape[0] if data.ndim == 2 else data.size // self.channels)
            self._deliver(self._framer.feed(data), on_frame)

    def _take(self) -> tuple[int, np.ndarray] | str:
        """The next chunk, or the end reason once the queue is empty and the source has ended."""
        with self._cond:
            while not self._items and self._end_reason is None:
                if not self._cond.wait(self._stall_timeout_s) and not self._items and self._end_reason is None:
                    self._end_reason = f"{self.description} stopped: no audio for {self._stall_timeout_s:g} s"
            if self._items and not self._discard:
                return self._items.popleft()
            assert self._end_reason is not None
            return self._end_reason

    def _deliver(self, frames: list[AudioFrame], on_frame: FrameCallback) -> None:
        for frame in frames:
            if self._discard:  # stop() was called meanwhile: deliver nothing more
                return
            on_frame(frame)


class _DeviceSource:
    """Start/stop plumbing shared by the device-backed sources; subclasses open and close the device."""

    def __init__(
        self,
        speaker: str,
        description: str,
        in_rate: float,
        channels: int,
        stall_timeout_s: float | None,
        capacity: int = QUEUE_CAPACITY,
    ) -> None:
        self.speaker = speaker
        self.description = description
        self._format = (in_rate, channels)
        self._stall_timeout_s = stall_timeout_s
        self._capacity = capacity
        self._feed: DeviceFeed | None = None
        self._stopped = False
        self._lock = threading.Lock()

    @property
    def dropped_blocks(self) -> int:
        return self._feed.dropped_blocks if self._feed else 0

    def start(self, on_frame: FrameCallback, on_end: EndCallback) -> None:
        with self._lock:
            if self._feed is not None:
                raise RuntimeError(f"{self.description} was already started")
            in_rate, channels = self._format
            feed = DeviceFeed(self.speaker, self.description, in_rate, channels, self._capacity, self._stall_timeout_s)
            # Open first, start the worker after: if opening fails there is no thread to clean up
            # and no SourceEnded for a source that never started. Early chunks wait in the queue.
            self._open(feed)
            self._feed = feed
            feed.start(on_frame, on_end)

    def stop(self) -> None:
        with self._lock:
            feed = self._feed
            if feed is None or self._stopped:  # never started, or stopped already
                return
            self._stopped = True
        self._close()
        feed.stop()

    def _open(self, feed: DeviceFeed) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError


# --- a file, replayed like a device ----------------------------------------------------------


class FileSource:
    """A recording replayed in BLOCK-sized frames, paced in real time (as a device would deliver it,
    for `bench` and the live path's tests) or as fast as the consumer takes them.

    A file never drops frames: its thread waits for the consumer, and late blocks catch up because
    block k is due at an absolute deadline, start + (k + 1) * 32 ms (when its last sample would have
    been captured), not after an accumulated sum of sleeps that drifts with every late wake-up.
    """

    def __init__(
        self,
        path: Path | str,
        speaker: str = INTERVIEWER,
        realtime: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        *,
        lead_silence_s: float = 0.0,
        tail_silence_s: float = 0.0,
    ) -> None:
        from copilot.audio.decode import load_audio  # lazy: decode pulls in PyAV

        self._init(load_audio(path), speaker, f"file '{Path(path).name}'", realtime, clock, sleep)
        self._pad(lead_silence_s, tail_silence_s)

    @classmethod
    def from_samples(
        cls,
        samples: np.ndarray,
        speaker: str = INTERVIEWER,
        realtime: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        *,
        lead_silence_s: float = 0.0,
        tail_silence_s: float = 0.0,
        description: str = "samples",
    ) -> FileSource:
        """The same, from 16 kHz mono samples already in memory."""
        source = cls.__new__(cls)
        source._init(np.asarray(samples, dtype=np.float32).reshape(-1), speaker, description, realtime, clock, sleep)
        source._pad(lead_silence_s, tail_silence_s)
        return source

    def _init(
        self,
        samples: np.ndarray,
        speaker: str,
        description: str,
        realtime: bool,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self.speaker = speaker
        self.description = description
        self.realtime = realtime
        self.dropped_blocks = 0  # always: see the class docstring
        self._samples = samples
        self._clock = clock
        self._sleep = sleep
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _pad(self, lead_silence_s: float, tail_silence_s: float) -> None:
        # A live turn needs silence after the question, or the pause that ends it never comes.
        lead = np.zeros(round(lead_silence_s * SAMPLE_RATE), dtype=np.float32)
        tail = np.zeros(round(tail_silence_s * SAMPLE_RATE), dtype=np.float32)
        self._samples = np.concatenate([lead, self._samples, tail])

    @property
    def duration_s(self) -> float:
        return self._samples.size / SAMPLE_RATE

    def start(self, on_frame: FrameCallback, on_end: EndCallback) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self.description} was already started")
        self._thread = threading.Thread(
            target=self._run, args=(on_frame, on_end), name=f"audio-file-{self.speaker}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(JOIN_TIMEOUT_S)

    def _run(self, on_frame: FrameCallback, on_end: EndCallback) -> None:
        run_to_end(self.description, self.speaker, lambda: self._replay(on_frame), on_end)

    def _replay(self, on_frame: FrameCallback) -> str:
        t0 = self._clock()
        for start in range(0, self._samples.size, BLOCK):
            if self._stop.is_set():
                return "stopped"
            if self.realtime:
                delay = t0 + (start + BLOCK) / SAMPLE_RATE - self._clock()
                if delay > 0:
                    self._sleep(delay)
            on_frame(AudioFrame(self.speaker, self._block(start), start / SAMPLE_RATE))
        return "stopped" if self._stop.is_set() else "end of file"

    def _block(self, start: int) -> np.ndarray:
        block = self._samples[start : start + BLOCK]
        if block.size < BLOCK:  # the last one, padded so every frame has the same size
            block = np.concatenate([block, np.zeros(BLOCK - block.size, dtype=np.float32)])
        return block.copy()  # consumers may keep or modify it


# --- the microphone (and macOS loopback drivers), through PortAudio ------------------------------


class MicrophoneSource(_DeviceSource):
    """A PortAudio input at the device's own rate, downmixed and resampled to 16 kHz.

    `backend` stands in for the sounddevice module in tests (query_devices, InputStream), so the real
    callback code runs against a fake stream.
    """

    def __init__(
        self,
        device: int | str | None = None,
        speaker: str = CANDIDATE,
        *,
        backend: ModuleType | Any = None,
        stall_timeout_s: float | None = STALL_TIMEOUT_S,
        capacity: int = QUEUE_CAPACITY,
    ) -> None:
        self._sd = backend if backend is not None else import_sounddevice()
        if isinstance(device, str) and device.strip().isdigit():
            device = int(device)  # "3" from the command line is the index `copilot devices` shows
        info = _input_device_info(self._sd, device)
        self.device_index = int(info["index"])
        # Two channels at most: a stereo mic downmixes fine, and averaging an 8-channel interface,
        # where one channel carries the voice, would bury it 18 dB down.
        self.channels = max(1, min(2, int(info["max_input_channels"])))
        self.samplerate = float(info["default_samplerate"])  # the native rate: no driver resampling
        self.overflows = 0  # the driver's own input overflows (our queue's drops are dropped_blocks)
        self._stream: Any = None
        self._closing = False
        kind = "system audio" if speaker == INTERVIEWER else "microphone"
        super().__init__(speaker, f"{kind} '{info['name']}'", self.samplerate, self.channels, stall_timeout_s, capacity)

    def _open(self, feed: DeviceFeed) -> None:
        self._closing = False

        def callback(indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
            if status:
                self.overflows += 1
            feed.push(indata)

        def finished() -> None:
            # PortAudio calls this when the stream stops for any reason, ours included.
            if not self._closing:
                feed.end(f"{self.description} stopped: the device stopped delivering audio (unplugged?)")

        try:
            self._stream = self._sd.InputStream(
                device=self.device_index,
                channels=self.channels,
                samplerate=self.samplerate,
                dtype="float32",
                latency="low",
                callback=callback,
                finished_callback=finished,
            )
            self._stream.start()
        except Exception as exc:  # sounddevice.PortAudioError (busy, unplugged, bad format)
            self._close()
            raise UserError(
                f"{self.description}: cannot open it ({exc}); close other apps using it, "
                "or pick another device from `copilot devices`"
            ) from exc

    def _close(self) -> None:
        self._closing = True
        if self._stream is not None:
            try:
                self._stream.close()  # close() aborts a running stream
            except Exception as exc:  # already gone with the device: nothing left to release
                log.debug("closing %s: %s", self.description, exc)


def _input_device_info(sd: Any, device: int | str | None) -> dict[str, Any]:
    """sounddevice's device dict for `device`, with its index; UserError naming the device if none."""
    try:
        info = dict(sd.query_devices(device, kind="input"))
    except Exception as exc:  # ValueError (no match) or PortAudioError (bad index, no default)
        what = "no default microphone" if device is None else f"microphone '{device}' not found"
        raise UserError(
            f"{what} ({exc}); connect one, or pick an input from `copilot devices` by index or name"
        ) from exc
    if "index" not in info:  # sounddevice adds it; a fake backend might not
        info["index"] = device if isinstance(device, int) else 0
    return info


# --- Linux system audio: the monitor of the output, through parec --------------------------------


class PulseMonitorSource(_DeviceSource):
    """What the machine plays, from a PulseAudio/PipeWire monitor source, recorded by `parec`.

    A subprocess rather than PortAudio: PortAudio only reaches Pulse through ALSA's `pulse` plugin,
    which cannot pick a monitor without PULSE_SOURCE tricks, while parec works the same on
    PulseAudio and PipeWire-pulse, does the resampling itself, and cannot crash our process.
    """

    def __init__(self, source_name: str | None = None, speaker: str = INTERVIEWER) -> None:
        exe = shutil.which("parec")
        if exe is None:
            raise UserError("parec not found: install pulseaudio-utils (apt install pulseaudio-utils)")
        self.parec = exe
        self.source_name = source_name or default_monitor_source()
        if source_name:
            _check_pulse_source(source_name)
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._closing = False
        super().__init__(speaker, f"system audio '{self.source_name}'", SAMPLE_RATE, 1, stall_timeout_s=None)

    def command(self) -> list[str]:
        return [
            self.parec,
            "--format=float32le",
            f"--rate={SAMPLE_RATE}",
            "--channels=1",
            f"--device={self.source_name}",
            "--latency-msec=20",  # small server-side fragments: audio arrives every ~20 ms
            "--client-name=Interview Copilot",
            f"--stream-name={self.speaker}",
        ]

    def _open(self, feed: DeviceFeed) -> None:
        try:
            self._proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise UserError(f"{self.description}: cannot run parec ({exc})") from exc
        self._reader = threading.Thread(target=self._read, args=(self._proc, feed), name="parec-reader", daemon=True)
        self._reader.start()

    def _read(self, proc: subprocess.Popen[bytes], feed: DeviceFeed) -> None:
        assert proc.stdout is not None
        try:
            while chunk := proc.stdout.read(BLOCK * 4):  # one 32 ms block of float32 per read
                usable = len(chunk) - len(chunk) % 4  # a torn last sample at EOF
                feed.push(np.frombuffer(chunk[:usable], dtype="<f4"))
            reason = f"parec exited ({self._exit_text(proc)})"
        except Exception as exc:  # a read error on the pipe: report it, never raise in this thread
            reason = f"reading from parec failed ({exc})"
        if not self._closing:
            feed.end(f"{self.description} stopped: {reason}")

    @staticmethod
    def _exit_text(proc: subprocess.Popen[bytes]) -> str:
        code = proc.wait()
        err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
        return f"code {code}" + (f": {err.splitlines()[-1]}" if err else "")

    def _close(self) -> None:
        self._closing = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(JOIN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._reader is not None:
            self._reader.join(JOIN_TIMEOUT_S)
        if proc is not None:
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()


def _check_pulse_source(name: str) -> None:
    names = [s["name"] for s in pulse_sources()]
    if name not in names:
        monitors = ", ".join(n for n in names if n.endswith(".monitor")) or "none"
        raise UserError(f"no sound source named '{name}'; monitors available: {monitors} (see `copilot devices`)")


# --- Windows and macOS system audio ------------------------------------------------------------


class LoopbackSource:
    """System audio on Windows (WASAPI loopback of an output, through `soundcard`) and macOS
    (a loopback driver such as BlackHole, which is an ordinary input to PortAudio)."""

    def __init__(self, device: str | None = None, speaker: str = INTERVIEWER, *, system: str | None = None) -> None:
        system = system or platform.system()
        inner: MicrophoneSource | _WasapiLoopback
        if system == "Darwin":
            inner = MicrophoneSource(_mac_loopback_device(device), speaker)
        elif system == "Windows":
            inner = _WasapiLoopback(device, speaker)
        else:
            raise UserError(f"loopback capture is for Windows and macOS; on {system} use the sound server's monitor")
        self._inner = inner
        self.speaker = speaker
        self.description = inner.description

    @property
    def dropped_blocks(self) -> int:
        return self._inner.dropped_blocks

    def start(self, on_frame: FrameCallback, on_end: EndCallback) -> None:
        self._inner.start(on_frame, on_end)

    def stop(self) -> None:
        self._inner.stop()


def _mac_loopback_device(device: str | None) -> int:
    """The index of the named input, else of the first BlackHole/Loopback-like input."""
    sd = import_sounddevice()
    for index, info in enumerate(sd.query_devices()):
        name = str(info["name"])
        wanted = device.lower() in name.lower() if device else is_loopback_name(name)
        if info["max_input_channels"] > 0 and wanted:
            return index
    raise UserError(
        f"no loopback input {'named ' + repr(device) if device else 'such as BlackHole'} found. "
        "Install BlackHole 2ch, make a Multi-Output Device with your speakers and BlackHole in Audio MIDI "
        "Setup and select it as the output (`copilot doctor` explains)"
    )


class _WasapiLoopback(_DeviceSource):
    """soundcard's loopback "microphone" of an output, recorded in stereo then downmixed.

    python-sounddevice's PortAudio has no WASAPI loopback (DESIGN.md). WASAPI delivers nothing at all
    while nothing plays, which would leave holes in the timeline and hide the pause that ends a
    question, so a second stream plays silence to the same output to keep it running, the
    workaround from soundcard issues #137/#166 and Microsoft's loopback-capture sample.
    """

    RATE = 48_000  # the usual shared-mode mix rate; WASAPI converts if the device differs
    CHUNK_FRAMES = 480  # 10 ms per read

    def __init__(self, device: str | None, speaker: str) -> None:
        if importlib.util.find_spec("soundcard") is None:
            raise UserError("system audio on Windows needs the soundcard package: pip install soundcard")
        self._device = device
        self._halt = threading.Event()
        self._threads: list[threading.Thread] = []
        super().__init__(speaker, f"system audio '{device or 'default output'}'", self.RATE, 2, stall_timeout_s=None)

    def _open(self, feed: DeviceFeed) -> None:
        self._halt.clear()  # a failed start may be retried
        self._threads = []
        opened: dict[str, Any] = {}
        ready = threading.Event()
        recorder = threading.Thread(
            target=self._record, args=(feed, ready, opened), name="wasapi-loopback", daemon=True
        )
        self._threads.append(recorder)
        recorder.start()
        if not ready.wait(JOIN_TIMEOUT_S) or "error" in opened:
            self._close()
            problem = opened.get("error", "timed out opening the device")
            raise UserError(
                f"{self.description}: cannot record it ({problem}); check the output device in Sound settings"
            )

    def _record(self, feed: DeviceFeed, ready: threading.Event, opened: dict[str, Any]) -> None:
        try:
            _com_init_thread()
            import soundcard as sc  # lazy: Windows only

            speaker = sc.get_speaker(self._device) if self._device else sc.default_speaker()
            mic = sc.get_microphone(id=str(speaker.name), include_loopback=True)
            self._start_silence(speaker)
            with mic.recorder(samplerate=self.RATE, channels=2) as recording:
                ready.set()
                while not self._halt.is_set():
                    feed.push(recording.record(numframes=self.CHUNK_FRAMES))
        except Exception as exc:  # device gone or COM failure: end the source, never raise here
            if not ready.is_set():
                opened["error"] = str(exc)
                ready.set()
            elif not self._halt.is_set():
                feed.end(f"{self.description} stopped: {exc}")

    def _start_silence(self, speaker: Any) -> None:
        thread = threading.Thread(target=self._play_silence, args=(speaker,), name="wasapi-silence", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _play_silence(self, speaker: Any) -> None:
        try:
            _com_init_thread()
            silence = np.zeros((self.CHUNK_FRAMES * 5, 2), dtype=np.float32)
            with speaker.player(samplerate=self.RATE, channels=2) as player:
                while not self._halt.is_set():
                    player.play(silence)  # returns once queued; paced by the device
        except Exception as exc:  # capture still works while something else plays
            log.warning("cannot keep %s awake with silence: %s", self.description, exc)

    def _close(self) -> None:
        self._halt.set()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(JOIN_TIMEOUT_S)


def _com_init_thread() -> None:
    """Join this thread to COM's multithreaded apartment. soundcard initialises COM only in the thread
    that first imports it; when that is Qt's GUI thread (single-threaded apartment) other threads are
    left without COM and every call fails with CO_E_NOTINITIALIZED."""
    if sys.platform == "win32":  # ctypes.windll exists only there (and mypy checks it per platform)
        import ctypes

        ctypes.windll.ole32.CoInitializeEx(None, 0)  # 0 = COINIT_MULTITHREADED; "already initialised" is fine


# --- choosing a source -------------------------------------------------------------------------


def open_source(
    kind: str,
    *,
    device: int | str | None = None,
    path: Path | str | None = None,
    speaker: str | None = None,
    realtime: bool = True,
    lead_silence_s: float = 0.0,
    tail_silence_s: float = 0.0,
    system: str | None = None,
) -> AudioSource:
    """A source of `kind` "file" (needs `path`), "microphone" or "system", for this platform.

    `device` picks the microphone (index or name), or the system-audio device: a Pulse source name
    on Linux, an output name on Windows, a loopback input name on macOS. None means the default.
    """
    if kind == "file":
        if path is None:
            raise UsageError("a file source needs the path of a recording")
        return FileSource(
            path,
            speaker or INTERVIEWER,
            realtime,
            lead_silence_s=lead_silence_s,
            tail_silence_s=tail_silence_s,
        )
    if kind == "microphone":
        return MicrophoneSource(device, speaker or CANDIDATE)
    if kind == "system":
        return _system_source(None if device is None else str(device), speaker or INTERVIEWER, system)
    raise UsageError(f"unknown audio source '{kind}'; use file, microphone or system")


def _system_source(device: str | None, speaker: str, system: str | None) -> AudioSource:
    system = system or platform.system()
    if system == "Linux":
        return PulseMonitorSource(device, speaker)
    if system in ("Windows", "Darwin"):
        return LoopbackSource(device, speaker, system=system)
    raise UserError(f"system audio capture is not supported on {system}; use a file or the microphone")
