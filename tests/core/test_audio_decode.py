import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import JFK_FLAC, JFK_WAV

from copilot.audio.decode import load_audio
from copilot.errors import InputFileError


def test_wav_and_flac_decode_to_the_same_16k_mono_signal():
    wav, flac = load_audio(JFK_WAV), load_audio(JFK_FLAC)
    assert wav.dtype == np.float32 and wav.ndim == 1
    assert abs(len(wav) / 16_000 - 11.0) < 0.1
    assert abs(len(flac) - len(wav)) < 160  # within 10 ms after resampling
    assert np.abs(wav).max() <= 1.0


@pytest.mark.parametrize("suffix", ["mp3", "ogg", "m4a"])
def test_lossy_formats_keep_duration(tmp_path: Path, suffix: str):
    target = tmp_path / f"jfk.{suffix}"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(JFK_WAV), "-ac", "2", "-ar", "44100", str(target)], check=True
    )
    samples = load_audio(target)  # stereo 44.1 kHz in, 16 kHz mono out
    assert abs(len(samples) / 16_000 - 11.0) < 0.15


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.wav", b"", "is empty"),
        ("notes.wav", b"just some text, not audio\n" * 10, "not a readable audio file"),
        ("corrupt.flac", b"fLaC" + bytes(range(256)) * 4, "not a readable audio file"),
        ("song.xyz", b"abc", "unsupported audio type"),
    ],
)
def test_bad_files_name_the_file(tmp_path: Path, name: str, content: bytes, message: str):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputFileError) as info:
        load_audio(path)
    assert str(path) in str(info.value) and message in str(info.value)
    assert path.read_bytes() == content


def test_missing_file(tmp_path: Path):
    with pytest.raises(InputFileError, match="no such file"):
        load_audio(tmp_path / "nope.wav")
