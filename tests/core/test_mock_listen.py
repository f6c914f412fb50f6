"""Transcribing the answer while it is spoken: chunks cut in pauses, words in order with their times,
and (real model) the wait after the candidate stops much shorter than transcribing the whole answer."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from conftest import speak

from copilot.adapters.transcribe import TimedWord
from copilot.audio import SAMPLE_RATE
from copilot.practice.mock.listen import IncrementalTranscript

FRAME = SAMPLE_RATE // 10


class LengthWords:
    """A fake model: one word per chunk, naming its length, spanning the chunk."""

    def __init__(self) -> None:
        self.chunks: list[int] = []

    def words(self, samples: np.ndarray) -> list[TimedWord]:
        self.chunks.append(len(samples))
        return [TimedWord(f"w{len(samples) // FRAME}", 0.0, len(samples) / SAMPLE_RATE)]


def frames(seconds: float, loud: bool) -> list[np.ndarray]:
    value = 0.3 if loud else 0.0
    return [np.full(FRAME, value, dtype=np.float32) for _ in range(round(seconds * 10))]


def test_chunks_are_cut_in_pauses_and_words_keep_their_times() -> None:
    model = LengthWords()
    listen = IncrementalTranscript(model, chunk_s=2.0)
    for f in frames(2.5, True) + frames(0.3, False) + frames(1.0, True):
        listen.feed(f)
    assert listen.chunks_sent == 1, "cut at the first pause after 2 s"
    words = listen.finish()
    assert model.chunks == [28 * FRAME, 10 * FRAME]
    assert [(w.text, w.start_s, w.end_s) for w in words] == [("w28", 0.0, 2.8), ("w10", 2.8, 3.8)]


def test_speech_with_no_pause_is_cut_at_the_longest_chunk() -> None:
    model = LengthWords()
    listen = IncrementalTranscript(model, chunk_s=2.0, max_chunk_s=5.0)
    for f in frames(12.0, True):
        listen.feed(f)
    listen.finish()
    assert model.chunks == [50 * FRAME, 50 * FRAME, 20 * FRAME]


@pytest.mark.slow
def test_the_wait_after_the_candidate_stops_is_only_the_tail(tmp_path: Path) -> None:
    from copilot.audio.decode import load_audio
    from copilot.config import models
    from copilot.practice.feedback import WordTranscriber

    text = " ".join(
        [
            "At my last company our fraud scoring service had a p99 latency of 180 milliseconds, and the payments",
            "team was about to drop us because their budget was 100. I was responsible for the serving path.",
            "I profiled it and found that most of the time went into fetching twelve features from three stores.",
            "I considered caching the whole response, but rejected it because the scores had to reflect the last",
            "few transactions. Instead I moved the slow features into one precomputed table, because they only",
            "changed hourly. As a result p99 fell from 180 to 62 milliseconds and our compute bill dropped by 30",
            "percent. I learned to profile before optimising, and since then I always start with a trace.",
        ]
    )
    samples = load_audio(speak(text, tmp_path / "answer.wav"))
    model = WordTranscriber(models.whisper_model("tiny.en").path)
    started = time.perf_counter()
    whole = model.words(samples)
    whole_s = time.perf_counter() - started
    listen = IncrementalTranscript(model)
    for i in range(0, len(samples), FRAME):  # at twice real time: a conservative pace for the worker
        listen.feed(samples[i : i + FRAME])
        time.sleep(0.05)
    stopped = time.perf_counter()
    words = listen.finish()
    after_stop_s = time.perf_counter() - stopped
    print(
        f"whole answer {len(samples) / SAMPLE_RATE:.1f} s: {whole_s:.2f} s to transcribe; after stop {after_stop_s:.2f} s"
    )
    assert len(samples) / SAMPLE_RATE > 40, "an answer longer than one 30 s window"
    assert listen.chunks_sent >= 3
    assert after_stop_s < whole_s
    said = {w.text.strip(".,").lower() for w in whole}
    heard = {w.text.strip(".,").lower() for w in words}
    assert len(said & heard) >= 0.8 * len(said), "cutting in pauses keeps the words"
    assert [w.start_s for w in words] == sorted(w.start_s for w in words)
