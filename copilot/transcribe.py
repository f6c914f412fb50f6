"""Speech to text with faster-whisper (CTranslate2), behind a small Protocol so tests can fake it."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from copilot.errors import ModelMissingError


@dataclass(frozen=True)
class TranscribeOptions:
    language: str = "en"
    # Greedy decoding: on 2 CPU cores beam 5 costs as much as beam 1 (DESIGN.md) but we keep 1 for
    # partials, where the window is short and any saving counts.
    beam_size: int = 1
    # Names and jargon from the user's stories and topic cards, to bias the decoder toward them.
    initial_prompt: str | None = None


@dataclass(frozen=True)
class TimedWord:
    text: str  # as transcribed, punctuation included ("So,")
    start_s: float
    end_s: float


class Transcriber(Protocol):
    def transcribe(self, samples: np.ndarray, options: TranscribeOptions | None = None) -> str: ...


class WhisperTranscriber:
    """faster-whisper on the CPU. One model, shared by both speakers; calls are serialised."""

    def __init__(self, model_dir: Path, compute_type: str = "int8", cpu_threads: int = 2) -> None:
        # CTranslate2's OpenMP threads spin-wait between calls by default. On 2 cores they starve
        # llama.cpp's and onnxruntime's threads: measured here, one LLM rewrite took 308 s instead
        # of 7.6 s with a whisper model loaded. Passive waiting costs whisper nothing measurable.
        # It must be set before the OpenMP runtime loads, i.e. before the first ctranslate2 import.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from faster_whisper import WhisperModel  # lazy: pulls in CTranslate2

        try:
            self._model = WhisperModel(str(model_dir), device="cpu", compute_type=compute_type, cpu_threads=cpu_threads)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelMissingError(f"{model_dir}: whisper model could not be loaded ({exc}); reinstall it") from exc
        # CTranslate2 runs one generation at a time per replica; a lock keeps partial and final
        # decodes from two threads from contending for the same two cores.
        self._lock = threading.Lock()

    def transcribe(self, samples: np.ndarray, options: TranscribeOptions | None = None) -> str:
        opts = options or TranscribeOptions()
        with self._lock:
            segments, _info = self._model.transcribe(
                samples,
                language=opts.language,
                beam_size=opts.beam_size,
                initial_prompt=opts.initial_prompt,
                condition_on_previous_text=False,
                without_timestamps=True,
                vad_filter=False,
            )
            # `segments` is a lazy generator: the decoding happens here, inside the lock (DESIGN.md).
            text = " ".join(s.text.strip() for s in segments)
        return " ".join(text.split())

    def words(self, samples: np.ndarray) -> list[TimedWord]:
        """Words with their times, for answer feedback (pace, pauses); slower than `transcribe`."""
        with self._lock:
            return transcribe_with_words(self._model, samples)

    def text(self, samples: np.ndarray) -> str:
        return self.transcribe(samples)


def transcribe_with_words(model: Any, samples: np.ndarray) -> list[TimedWord]:
    """Words with start/end times from a faster_whisper.WhisperModel (or anything with its API)."""
    segments, _info = model.transcribe(
        samples,
        language="en",
        beam_size=1,
        word_timestamps=True,
        # Each window decoded on its own: conditioning on earlier text makes whisper loop on long answers.
        condition_on_previous_text=False,
        vad_filter=False,
    )
    # `segments` is a lazy generator: the decoding happens while we iterate it.
    raw = [TimedWord(w.word.strip(), float(w.start), float(w.end)) for s in segments for w in (s.words or [])]
    return _glue_fragments([w for w in raw if w.text])


def _glue_fragments(words: list[TimedWord]) -> list[TimedWord]:
    """Join pieces whisper splits off a word ("$38" ",000", "25" "%") so counts are spoken words."""
    out: list[TimedWord] = []
    for word in words:
        if out and word.text[0] in ",.%" and not any(ch.isalpha() for ch in word.text):
            prev = out[-1]
            out[-1] = TimedWord(prev.text + word.text, prev.start_s, word.end_s)
        else:
            out.append(word)
    return out
