"""Transcribing an answer while it is spoken, so the interviewer can answer soon after the candidate stops.

Whisper decodes audio in 30 s windows and each window costs about the same however much speech it
holds (4 s for tiny.en on two busy cores, measured while five other jobs ran). Transcribing a 90 s
answer after it ends costs three windows; here each stretch of at least `chunk_s` that ends in a pause
is decoded on one worker thread while the candidate is still talking, so when they stop only the tail
since the last cut is left: one window, whatever the answer's length. Cutting in pauses keeps words
whole, as the live path does at its long-utterance seams.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

import numpy as np

from copilot.adapters.transcribe import TimedWord
from copilot.audio import SAMPLE_RATE
from copilot.audio.levels import rms_dbfs

# A chunk costs one window, so it must hold more speech than a window takes to decode, or the worker
# falls behind: 20 s of speech against 4 s of decoding on a busy machine.
CHUNK_S = 20.0
MAX_CHUNK_S = 28.0  # with no pause at all, cut anyway, inside whisper's 30 s window
PAUSE_S = 0.3  # a breath between phrases
SPEECH_DBFS = -40.0  # the drill's speech gate: quieter than this is a pause


class WordsModel(Protocol):
    def words(self, samples: np.ndarray) -> list[TimedWord]: ...


class IncrementalTranscript:
    """Feed it the answer's frames as they arrive (any one thread); `finish()` gives the words."""

    def __init__(self, model: WordsModel, chunk_s: float = CHUNK_S, max_chunk_s: float = MAX_CHUNK_S) -> None:
        self._model = model
        self._chunk = int(chunk_s * SAMPLE_RATE)
        self._max_chunk = int(max_chunk_s * SAMPLE_RATE)
        self._pause = int(PAUSE_S * SAMPLE_RATE)
        self._pending: list[np.ndarray] = []
        self._pending_len = 0
        self._offset = 0  # samples already handed to the worker
        self._futures: list[Future[list[TimedWord]]] = []
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mock-listen")  # in order

    def feed(self, samples: np.ndarray) -> None:
        with self._lock:
            self._pending.append(np.asarray(samples, dtype=np.float32))
            self._pending_len += len(samples)
            if self._pending_len >= self._chunk and (self._ends_in_pause() or self._pending_len >= self._max_chunk):
                self._submit()

    def _ends_in_pause(self) -> bool:
        recent: list[np.ndarray] = []
        for block in reversed(self._pending):  # only the last frames: no copy of the whole chunk per frame
            recent.insert(0, block)
            if sum(len(b) for b in recent) >= self._pause:
                break
        return rms_dbfs(np.concatenate(recent)[-self._pause :]) < SPEECH_DBFS

    def _submit(self) -> None:
        if not self._pending_len:
            return
        audio = np.concatenate(self._pending)
        start_s = self._offset / SAMPLE_RATE
        self._futures.append(self._pool.submit(self._decode, audio, start_s))
        self._offset += len(audio)
        self._pending, self._pending_len = [], 0

    def _decode(self, audio: np.ndarray, start_s: float) -> list[TimedWord]:
        return [TimedWord(w.text, w.start_s + start_s, w.end_s + start_s) for w in self._model.words(audio)]

    @property
    def chunks_sent(self) -> int:
        return len(self._futures)

    def finish(self) -> list[TimedWord]:
        """Decode the tail, wait for the chunks before it, and give every word in order."""
        with self._lock:
            self._submit()
            futures = list(self._futures)
        try:
            return [word for f in futures for word in f.result()]
        finally:
            self._pool.shutdown(wait=False)
