"""Reading a recorded question from disk as 16 kHz mono float32, with errors a user can act on.

Memory is bounded by the audio itself, never by FFmpeg's frames or our conversions: frames are
converted one at a time into one preallocated float32 buffer (4 bytes a sample, 230 MB an hour),
and `iter_audio` yields fixed-size chunks for callers that need not hold the whole file. A file longer
than the duration limit is refused before it is decoded, and an all-silent file is refused instead of
being handed to whisper (which "hears" filler such as "you you you" in silence).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from copilot.audio import SAMPLE_RATE
from copilot.errors import InputFileError

SUPPORTED_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".aac", ".webm")
# A whole recorded interview fits; beyond it a file is almost surely a mistake (a day-long capture).
MAX_AUDIO_S = 3 * 3600.0
# Nothing louder than this (-60 dBFS) is no speech at all: a muted microphone or digital silence.
SILENCE_PEAK = 0.001
_GROW_S = 60.0  # buffer growth when the container does not say how long it is


def load_audio(path: Path | str, *, max_s: float = MAX_AUDIO_S, allow_silence: bool = False) -> np.ndarray:
    """Decode, downmix and resample with PyAV (FFmpeg), which reads every format we list."""
    path = Path(path)
    _check_file(path)
    samples, peak = _guarded(path, lambda: _decode_into_buffer(path, max_s))
    if samples.size == 0:
        raise InputFileError(path, "contains no audio samples")
    if not allow_silence:
        _refuse_silence(path, peak)
    return samples


def iter_audio(path: Path | str, chunk_s: float = 30.0, *, max_s: float = MAX_AUDIO_S) -> Iterator[np.ndarray]:
    """The file as float32 chunks of `chunk_s` seconds (the last may be shorter): memory flat in its length."""
    path = Path(path)
    _check_file(path)
    size = max(1, int(chunk_s * SAMPLE_RATE))
    pending: list[np.ndarray] = []
    held = 0
    for piece in _guarded_iter(path, _frames(path, max_s)):
        pending.append(piece)
        held += piece.size
        while held >= size:
            joined = np.concatenate(pending)
            yield joined[:size]
            rest = joined[size:]
            pending, held = ([rest] if rest.size else []), rest.size
    if held:
        yield np.concatenate(pending)


def check_readable(path: Path | str, *, max_s: float = MAX_AUDIO_S) -> None:
    """Refuse, naming the file, what `load_audio` would refuse for its format: reads the header and
    the first frame only, so a command can say so before it spends seconds loading models."""
    path = Path(path)
    _check_file(path)
    frames = _frames(path, max_s)
    try:
        _guarded(path, lambda: next(frames, None))
    finally:
        frames.close()


def duration_s(path: Path | str) -> float | None:
    """The length the container states, without decoding; None when it does not say."""
    path = Path(path)
    _check_file(path)
    return _guarded(path, lambda: _stated_duration_of(path))


def _stated_duration_of(path: Path) -> float | None:
    import av

    with av.open(str(path), mode="r") as container:
        return _stated_duration(container)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputFileError(path, "no such file")
    if path.is_dir():
        raise InputFileError(path, "is a folder, not an audio file")
    if path.stat().st_size == 0:
        raise InputFileError(path, "is empty (0 bytes)")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise InputFileError(path, f"unsupported audio type '{path.suffix}'; use wav, flac, mp3, ogg or m4a")


def _guarded(path: Path, work: Any) -> Any:
    try:
        return work()
    except InputFileError:
        raise
    except MemoryError:
        raise InputFileError(path, "is too long to decode in the memory available; cut it into shorter files") from None
    except Exception as exc:  # PyAV raises many FFmpeg error classes; all mean "not readable audio"
        raise InputFileError(path, f"is not a readable audio file ({_short(exc)}); record or convert it again") from exc


def _guarded_iter(path: Path, frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    while True:
        piece = _guarded(path, lambda: next(frames, None))
        if piece is None:
            return
        yield piece


def _frames(path: Path, max_s: float) -> Generator[np.ndarray, None, None]:
    """Mono 16 kHz float32 pieces, one per resampled frame; refuses past `max_s`."""
    import av  # lazy: FFmpeg libraries take time to load

    with av.open(str(path), mode="r") as container:
        if not container.streams.audio:
            raise InputFileError(path, "has no audio stream")
        stated = _stated_duration(container)
        if stated is not None and stated > max_s:
            raise InputFileError(path, _too_long(stated, max_s))
        limit = int(max_s * SAMPLE_RATE)
        seen = 0
        # s16 then scaled, as before: the same samples (and transcripts) as earlier versions gave.
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                seen += out.samples
                if seen > limit:  # the container did not say how long it was, or said wrong
                    raise InputFileError(path, _too_long(seen / SAMPLE_RATE, max_s, at_least=True))
                yield _to_float(out)
        for out in resampler.resample(None):  # flush the resampler's tail
            yield _to_float(out)


def _decode_into_buffer(path: Path, max_s: float) -> tuple[np.ndarray, float]:
    """The samples and their peak level (taken per piece: np.abs of the whole would double the memory)."""
    import av

    with av.open(str(path), mode="r") as container:
        stated = _stated_duration(container) if container.streams.audio else None
    # One allocation of the stated length (plus a second of slack); grown only if the container lied.
    buffer = np.empty(int(((stated or _GROW_S) + 1.0) * SAMPLE_RATE), dtype=np.float32)
    used, peak = 0, 0.0
    for piece in _frames(path, max_s):
        if used + piece.size > buffer.size:
            buffer = np.resize(buffer, max(buffer.size * 2, used + piece.size))
        buffer[used : used + piece.size] = piece
        used += piece.size
        if piece.size:
            peak = max(peak, float(np.max(np.abs(piece))))
    return buffer[:used], peak


def _to_float(frame: Any) -> np.ndarray:
    return frame.to_ndarray().reshape(-1).astype(np.float32) / np.float32(32768.0)


def _stated_duration(container: Any) -> float | None:
    stream = container.streams.audio[0]
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000  # AV_TIME_BASE
    return None


def _too_long(seconds: float, max_s: float, at_least: bool = False) -> str:
    length = f"{'over ' if at_least else ''}{_clock(seconds)}"
    return f"is too long ({length}; the limit is {_clock(max_s)}): cut it into shorter recordings"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def _refuse_silence(path: Path, peak: float) -> None:
    if peak < SILENCE_PEAK:
        level = "digital silence" if peak == 0 else f"its loudest moment is {20 * np.log10(peak):.0f} dBFS"
        raise InputFileError(
            path, f"contains only silence ({level}); nothing was said in it, so check the microphone or the file"
        )


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
