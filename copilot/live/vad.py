"""Is this block speech? A per-block speech probability, streaming, for the segmenter.

Silero VAD comes inside the faster-whisper package (no download, DESIGN.md "Defaults that work
offline"). faster-whisper only calls it on whole files; here it runs one 512-sample block at a time
and keeps the recurrent state between calls, which gives exactly the probabilities of the batched
call (checked on the JFK clip: max difference 0.0) at about 0.1 ms per block on this machine.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

BLOCK_SAMPLES = 512  # the only block size Silero supports at 16 kHz
# Silero v6 takes the last 64 samples of the previous block in front of each block
# (faster_whisper/vad.py, SileroVADModel.__call__: context_size_samples=64).
_CONTEXT_SAMPLES = 64
_STATE_SHAPE = (1, 1, 128)


class SpeechDetector(Protocol):
    def speech_prob(self, block: np.ndarray) -> float:
        """Probability in [0, 1] that this 512-sample 16 kHz float32 block is speech."""
        ...


class SileroSpeechDetector:
    """Silero VAD v6 as packaged by faster-whisper, fed block by block.

    One instance per audio source: the LSTM state and the context samples belong to one stream.
    The ONNX session itself is faster-whisper's cached one (`get_vad_model()`), shared by all
    instances; `InferenceSession.run` is thread-safe and the session uses one thread, which suits
    two cores shared with whisper and llama.cpp.
    """

    def __init__(self) -> None:
        from copilot.adapters.transcribe import prepare_native_runtime

        prepare_native_runtime()  # faster_whisper's package import loads CTranslate2 too
        from faster_whisper.vad import get_vad_model  # lazy: pulls in onnxruntime

        self._session: Any = get_vad_model().session
        self.reset()

    def reset(self) -> None:
        """Forget the stream (a new recording); not needed between utterances."""
        self._h = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self._c = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self._input = np.zeros((1, _CONTEXT_SAMPLES + BLOCK_SAMPLES), dtype=np.float32)

    def speech_prob(self, block: np.ndarray) -> float:
        if block.shape != (BLOCK_SAMPLES,):
            raise ValueError(f"Silero needs blocks of {BLOCK_SAMPLES} samples, got {block.shape}")
        # The input row is [previous block's last 64 samples | this block]: shift, then copy in.
        self._input[0, :_CONTEXT_SAMPLES] = self._input[0, -_CONTEXT_SAMPLES:]
        self._input[0, _CONTEXT_SAMPLES:] = block
        prob, self._h, self._c = self._session.run(None, {"input": self._input, "h": self._h, "c": self._c})
        return float(np.asarray(prob).reshape(-1)[0])


class EnergySpeechDetector:
    """Loudness as a stand-in for speech: a fake for tests and a fallback without onnxruntime.

    It cannot tell speech from noise, so it only suits clean audio (synthetic speech, a close mic).
    """

    def __init__(self, threshold_dbfs: float = -40.0) -> None:
        self.threshold_dbfs = threshold_dbfs

    def speech_prob(self, block: np.ndarray) -> float:
        return 1.0 if rms_dbfs(block) >= self.threshold_dbfs else 0.0


def rms_dbfs(samples: np.ndarray) -> float:
    """Level of float samples (full scale = 1.0) in dB; -inf-safe for digital silence."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0
    return 20.0 * np.log10(max(rms, 1e-10))
