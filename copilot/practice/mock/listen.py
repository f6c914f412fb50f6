"""Transcribing an answer while it is spoken, so the interviewer can answer soon after the candidate stops.

Stretches of speech that end in a pause are decoded on one worker thread while the candidate is still
talking: a stretch is sent as soon as the worker is free and at least `min_chunk_s` has built up, so
what is left when the candidate stops is only the speech that came during the last decode. Cutting in
pauses keeps words whole, as the live path does at its long-utterance seams.

Each stretch is decoded with the encoder run on the clip's own length (the live path's short window)
when the model offers it, with the last words decoded before it as the prompt: alone, a few seconds of
speech lost words at the cuts (on the report half spoken by espeak-ng, rubric within 1: 0.933 without
the prompt, 0.955 with it, the same as the whole file decoded at once). Whisper's usual decode pads every clip to a 30 s window, so its cost does
not fall with the clip: with stretches sent early, on two cores shared by many jobs, the worker fell
behind (25 s left to decode at the stop on a 65 s answer, measured here). On the short window the
cost follows the speech (a 4-6 s tail: 0.2-1 s here) and the worker keeps up.

The spoken length (rambling is judged on it) is measured on the audio itself, from the first loud
frame to the last, so the tail needs no word timings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from copilot.adapters.transcribe import SHORT_MAX_S, TimedWord, TranscribeOptions
from copilot.audio import SAMPLE_RATE
from copilot.audio.levels import rms_dbfs

# A stretch shorter than this is not sent early: whisper is less sure of a few words alone, and on a
# busy machine a 2 s clip sometimes fell back through its temperatures (15 s once, measured here).
MIN_CHUNK_S = 6.0
# While the worker is still busy, stretches build up to this before one is queued behind it.
CHUNK_S = 20.0
MAX_CHUNK_S = 28.0  # with no pause at all, cut anyway, inside whisper's 30 s window
PAUSE_S = 0.3  # a breath between phrases
# A pause this long may be the end of the answer: what was said is decoded now, however short, so the
# stop (a click, or the end-of-answer silence) finds nothing left to decode. A thinking pause costs
# one short decode, which the short window makes cheap.
END_PAUSE_S = 0.6
SPEECH_DBFS = -40.0  # the drill's speech gate: quieter than this is a pause
PROMPT_WORDS = 40


class WordsModel(Protocol):
    def words(self, samples: np.ndarray) -> list[TimedWord]: ...


@dataclass(frozen=True)
class Heard:
    text: str
    duration_s: float  # from the first loud frame to the last: silence before the stop is not speech
    chunks: int  # how many stretches were decoded, the tail included
    tail_s: float  # seconds of audio left to decode when the candidate stopped


class IncrementalTranscript:
    """Feed it the answer's frames as they arrive (any one thread); `finish()` gives what was said."""

    def __init__(
        self,
        model: WordsModel,
        chunk_s: float = CHUNK_S,
        max_chunk_s: float = MAX_CHUNK_S,
        min_chunk_s: float = MIN_CHUNK_S,
    ) -> None:
        self._model = model
        self._chunk = int(chunk_s * SAMPLE_RATE)
        self._max_chunk = int(max_chunk_s * SAMPLE_RATE)
        self._min_chunk = int(min(min_chunk_s, chunk_s) * SAMPLE_RATE)
        self._pause = int(PAUSE_S * SAMPLE_RATE)
        self._end_pause = int(END_PAUSE_S * SAMPLE_RATE)
        self._pending: list[np.ndarray] = []
        self._pending_len = 0
        self._offset = 0  # samples already handed to the worker
        self._fed = 0  # samples fed in all
        self._first_loud: int | None = None
        self._last_loud_end = 0
        self._futures: list[Future[str]] = []
        self._said = ""  # what the worker has decoded so far
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mock-listen")  # in order

    def feed(self, samples: np.ndarray) -> None:
        block = np.asarray(samples, dtype=np.float32)
        with self._lock:
            self._note_loudness(block)
            self._pending.append(block)
            self._pending_len += len(block)
            if self._should_cut():
                self._submit(self._decode)

    def _note_loudness(self, block: np.ndarray) -> None:
        if len(block) and rms_dbfs(block) >= SPEECH_DBFS:
            self._first_loud = self._fed if self._first_loud is None else self._first_loud
            self._last_loud_end = self._fed + len(block)
        self._fed += len(block)

    def _should_cut(self) -> bool:
        if self._pending_len >= self._max_chunk:
            return True
        idle = all(f.done() for f in self._futures)
        if idle and self._pending_speech() and self._fed - self._last_loud_end >= self._end_pause:
            return True
        wanted = self._min_chunk if idle else self._chunk
        return self._pending_len >= wanted and self._ends_in_pause()

    def _pending_speech(self) -> bool:
        return self._last_loud_end > self._offset

    def _trim_quiet_tail(self) -> None:
        """At the stop: the quiet after the last word is not decoded (a pending stretch with no speech
        at all is dropped); a breath of it is kept so the last word is whole."""
        if not self._pending_speech():
            self._pending, self._pending_len = [], 0
            return
        keep = min(self._pending_len, self._last_loud_end - self._offset + self._pause)
        if keep < self._pending_len:
            self._pending, self._pending_len = [np.concatenate(self._pending)[:keep]], keep

    def _ends_in_pause(self) -> bool:
        recent: list[np.ndarray] = []
        for block in reversed(self._pending):  # only the last frames: no copy of the whole chunk per frame
            recent.insert(0, block)
            if sum(len(b) for b in recent) >= self._pause:
                break
        return rms_dbfs(np.concatenate(recent)[-self._pause :]) < SPEECH_DBFS

    def _submit(self, decode: Callable[[np.ndarray], str]) -> float:
        """Hand the pending audio to the worker; the seconds of audio handed over."""
        if not self._pending_len:
            return 0.0
        audio = np.concatenate(self._pending)
        self._futures.append(self._pool.submit(decode, audio))
        self._offset += len(audio)
        self._pending, self._pending_len = [], 0
        return len(audio) / SAMPLE_RATE

    def _decode(self, audio: np.ndarray) -> str:
        """The short window when the model has it (the transcriber falls back to the full window itself
        when a short decode runs away); else its words, as the drill's models give them."""
        transcribe = getattr(self._model, "transcribe", None)
        if transcribe is None or len(audio) > SHORT_MAX_S * SAMPLE_RATE:
            text = " ".join(w.text for w in self._model.words(audio))
        else:
            # The words before the cut as the prompt: a stretch alone has no context to go on.
            prompt = " ".join(self._said.split()[-PROMPT_WORDS:]) or None
            text = str(transcribe(audio, TranscribeOptions(short_window=True, initial_prompt=prompt)))
        self._said = f"{self._said} {text}".strip()  # only the worker thread decodes: in order
        return text

    @property
    def chunks_sent(self) -> int:
        return len(self._futures)

    def finish(self) -> Heard:
        """Decode the tail, wait for the stretches before it, and give the whole answer in order."""
        with self._lock:
            self._trim_quiet_tail()
            tail_s = self._submit(self._decode)
            futures = list(self._futures)
            first, last = self._first_loud, self._last_loud_end
        try:
            texts = [f.result() for f in futures]
        finally:
            self._pool.shutdown(wait=False)
        duration = (last - first) / SAMPLE_RATE if first is not None else 0.0
        return Heard(" ".join(t for t in texts if t.strip()), duration, len(futures), tail_s)
