import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import JFK_FLAC, JFK_WAV

from copilot.audio.decode import check_readable, load_audio
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
@pytest.mark.parametrize("read", [load_audio, check_readable])  # a check before loading models says the same
def test_bad_files_name_the_file(tmp_path: Path, name: str, content: bytes, message: str, read):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputFileError) as info:
        read(path)
    assert str(path) in str(info.value) and message in str(info.value)
    assert path.read_bytes() == content


def test_a_check_passes_a_good_recording():
    check_readable(JFK_WAV)  # no error: the first frame decodes


def test_missing_file(tmp_path: Path):
    with pytest.raises(InputFileError, match="no such file"):
        load_audio(tmp_path / "nope.wav")


# --- limits (issue 13, item 2) ------------------------------------------------------------------


def _silence(path: Path, seconds: float, rate: int = 16_000) -> Path:
    import soundfile

    soundfile.write(path, np.zeros(int(seconds * rate), dtype=np.int16), rate, subtype="PCM_16")
    return path


def test_a_silent_file_is_refused_not_transcribed(tmp_path: Path):
    path = _silence(tmp_path / "quiet.wav", 3.0)
    with pytest.raises(InputFileError, match="contains only silence .digital silence."):
        load_audio(path)
    assert load_audio(path, allow_silence=True).size == 48_000  # callers that want silence still get it


def test_a_file_over_the_duration_limit_is_refused_before_decoding(tmp_path: Path):
    path = _silence(tmp_path / "long.wav", 5.0)
    with pytest.raises(InputFileError, match=r"is too long \(0 min 05 s; the limit is 0 min 02 s\)"):
        load_audio(path, max_s=2.0, allow_silence=True)


def test_chunks_cover_the_file_exactly(tmp_path: Path):
    from copilot.audio.decode import duration_s, iter_audio

    whole = load_audio(JFK_WAV)
    chunks = list(iter_audio(JFK_WAV, chunk_s=3.0))
    assert [c.size for c in chunks[:-1]] == [48_000] * (len(chunks) - 1) and 0 < chunks[-1].size <= 48_000
    assert np.array_equal(np.concatenate(chunks), whole)
    assert abs((duration_s(JFK_WAV) or 0) - 11.0) < 0.1


def test_decoding_holds_about_the_samples_alone(tmp_path: Path):
    """Memory flat beyond the output itself: a 10-minute file costs ~40 MB of float32, not copies of it."""
    import tracemalloc

    path = _silence(tmp_path / "ten.wav", 600.0)
    tracemalloc.start()
    samples = load_audio(path, allow_silence=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert samples.nbytes == 600 * 16_000 * 4
    assert peak < samples.nbytes * 1.15  # the one buffer (plus a second of slack), no list or concatenation
