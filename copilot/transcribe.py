"""Speech to text with faster-whisper (CTranslate2), behind a small Protocol so tests can fake it."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

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
