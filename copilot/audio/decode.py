"""Reading a recorded question from disk as 16 kHz mono float32, with errors a user can act on."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from copilot.audio import SAMPLE_RATE
from copilot.errors import InputFileError

SUPPORTED_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".aac", ".webm")


def load_audio(path: Path | str) -> np.ndarray:
    """Decode, downmix and resample with PyAV (FFmpeg), which reads every format we list."""
    path = Path(path)
    _check_file(path)
    try:
        samples = _decode(path)
    except InputFileError:
        raise
    except Exception as exc:  # PyAV raises many FFmpeg error classes; all mean "not readable audio"
        raise InputFileError(path, f"is not a readable audio file ({_short(exc)}); record or convert it again") from exc
    if samples.size == 0:
        raise InputFileError(path, "contains no audio samples")
    return samples


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputFileError(path, "no such file")
    if path.is_dir():
        raise InputFileError(path, "is a folder, not an audio file")
    if path.stat().st_size == 0:
        raise InputFileError(path, "is empty (0 bytes)")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise InputFileError(path, f"unsupported audio type '{path.suffix}'; use wav, flac, mp3, ogg or m4a")


def _decode(path: Path) -> np.ndarray:
    import av  # lazy: FFmpeg libraries take time to load

    chunks: list[np.ndarray] = []
    with av.open(str(path), mode="r") as container:
        if not container.streams.audio:
            raise InputFileError(path, "has no audio stream")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):  # flush the resampler's tail
            chunks.append(out.to_ndarray().reshape(-1))
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return (np.concatenate(chunks).astype(np.float32) / 32768.0).astype(np.float32)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
