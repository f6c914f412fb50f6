"""Transcribing the answer while it is spoken: chunks cut in pauses and sent as soon as the worker is
free, each on the short window when the model has it, the spoken length from the audio, and (real model) the wait after
the candidate stops much shorter than transcribing the whole answer."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import speak

from copilot.adapters.transcribe import TimedWord, TranscribeOptions
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


def test_chunks_are_cut_in_pauses_and_the_text_keeps_its_order() -> None:
    model = LengthWords()
    listen = IncrementalTranscript(model, chunk_s=2.0)
    for f in frames(2.5, True) + frames(0.3, False) + frames(1.0, True):
        listen.feed(f)
    assert listen.chunks_sent == 1, "cut at the first pause after 2 s"
    heard = listen.finish()
    assert model.chunks == [28 * FRAME, 10 * FRAME]
    assert heard.text == "w28 w10" and heard.chunks == 2
    assert heard.tail_s == pytest.approx(1.0), "only the speech after the last cut was left at the stop"


def test_speech_with_no_pause_is_cut_at_the_longest_chunk() -> None:
    model = LengthWords()
    listen = IncrementalTranscript(model, chunk_s=2.0, max_chunk_s=5.0)
    for f in frames(12.0, True):
        listen.feed(f)
    listen.finish()
    assert model.chunks == [50 * FRAME, 50 * FRAME, 20 * FRAME]


class BlockingWords(LengthWords):
    """A model whose first decode waits until released: the worker is busy meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def words(self, samples: np.ndarray) -> list[TimedWord]:
        if not self.chunks:
            self.release.wait(5)
        return super().words(samples)


def test_a_stretch_goes_early_when_the_worker_is_free_and_waits_longer_while_it_is_busy() -> None:
    model = BlockingWords()
    listen = IncrementalTranscript(model, chunk_s=6.0, min_chunk_s=2.0)
    phrase = frames(2.2, True) + frames(0.3, False)
    for f in phrase:
        listen.feed(f)
    assert listen.chunks_sent == 1, "the worker was free: 2.5 s ending in a pause is sent at once"
    for f in phrase * 2:  # 5 s more while the first decode is still running
        listen.feed(f)
    assert listen.chunks_sent == 1, "while the worker is busy, stretches build up to chunk_s"
    for f in phrase:
        listen.feed(f)
    assert listen.chunks_sent == 2, "7.5 s built up: queued behind the busy worker"
    model.release.set()
    assert listen.finish().text == "w25 w75"


class ShortWindowWords(LengthWords):
    """A fake with the real transcriber's two decodes: `words` (30 s window) and `transcribe`."""

    def __init__(self) -> None:
        super().__init__()
        self.short: list[tuple[int, bool]] = []
        self.prompts: list[str | None] = []

    def transcribe(self, samples: np.ndarray, options: TranscribeOptions | None = None) -> str:
        self.short.append((len(samples), bool(options and options.short_window)))
        self.prompts.append(options.initial_prompt if options else None)
        return f"tail{len(samples) // FRAME}"


def test_a_model_with_the_short_window_decodes_every_stretch_on_it() -> None:
    model = ShortWindowWords()
    listen = IncrementalTranscript(model, chunk_s=2.0)
    for f in frames(2.5, True) + frames(0.3, False) + frames(1.2, True):
        listen.feed(f)
    heard = listen.finish()
    assert model.chunks == [], "no padded 30 s window: its cost does not fall with the clip"
    assert model.short == [(28 * FRAME, True), (12 * FRAME, True)]
    assert model.prompts == [None, "tail28"], "each stretch is decoded with the words before it as context"
    assert heard.text == "tail28 tail12"


def test_a_long_pause_sends_what_was_said_so_the_stop_finds_nothing_left() -> None:
    model = LengthWords()
    listen = IncrementalTranscript(model, chunk_s=20.0, min_chunk_s=6.0)
    for f in frames(3.0, True) + frames(0.5, False):
        listen.feed(f)
    assert listen.chunks_sent == 0, "3.3 s and a breath: too short to send yet"
    for f in frames(0.1, False):
        listen.feed(f)
    assert listen.chunks_sent == 1, "0.6 s of quiet: the answer may be over"
    for f in frames(2.0, False):  # the candidate reaches for the Stop button
        listen.feed(f)
    heard = listen.finish()
    assert heard.chunks == 1 and heard.tail_s == 0.0, "only quiet after it: nothing decoded at the stop"
    assert heard.text == "w36"


def test_the_quiet_before_the_stop_is_not_decoded() -> None:
    busy = BlockingWords()  # keep the worker busy so the long pause cannot send the tail early
    listen = IncrementalTranscript(busy, chunk_s=20.0, min_chunk_s=2.0)
    for f in frames(2.0, True) + frames(0.3, False):
        listen.feed(f)
    assert listen.chunks_sent == 1
    for f in frames(1.5, True) + frames(1.0, False):
        listen.feed(f)
    busy.release.set()
    heard = listen.finish()
    assert busy.chunks == [23 * FRAME, 18 * FRAME], "the tail keeps a breath (0.3 s) after the last word"
    assert heard.tail_s == pytest.approx(1.8)


def test_the_spoken_length_is_the_loud_audio_not_the_silence_around_it() -> None:
    listen = IncrementalTranscript(LengthWords(), chunk_s=2.0)
    for f in frames(1.0, False) + frames(3.0, True) + frames(0.5, False) + frames(2.0, True) + frames(2.0, False):
        listen.feed(f)
    assert listen.finish().duration_s == pytest.approx(5.5)
    silent = IncrementalTranscript(LengthWords())
    for f in frames(1.0, False):
        silent.feed(f)
    assert silent.finish().duration_s == 0.0


@pytest.mark.slow
def test_the_wait_after_the_candidate_stops_is_only_the_tail(tmp_path: Path) -> None:
    from copilot.audio.decode import load_audio
    from copilot.config import models
    from copilot.practice.feedback import WordTranscriber, spoken_span_s

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
    heard = listen.finish()
    after_stop_s = time.perf_counter() - stopped
    print(
        f"whole answer {len(samples) / SAMPLE_RATE:.1f} s: {whole_s:.2f} s to transcribe; after stop {after_stop_s:.2f} s"
    )
    assert len(samples) / SAMPLE_RATE > 40, "an answer longer than one 30 s window"
    assert listen.chunks_sent >= 3
    assert after_stop_s < whole_s
    said = {w.text.strip(".,").lower() for w in whole}
    kept = {w.strip(".,").lower() for w in heard.text.split()}
    assert len(said & kept) >= 0.8 * len(said), "cutting in pauses keeps the words"
    assert heard.tail_s < 20, "the tail is what came during the last decode, not a whole chunk"
    assert abs(heard.duration_s - spoken_span_s(whole)) < 1.5


def test_the_latency_bench_times_each_step_after_the_stop_in_both_modes() -> None:
    from copilot.practice.mock.evaluate import EvalAnswer
    from copilot.practice.mock.latency import measure

    answer = EvalAnswer("x1", "report", "behavioral", False, "Tell me about a conflict.", "We argued.", (), (), {})
    samples = np.concatenate([f for f in frames(7.0, True) + frames(0.4, False) + frames(2.0, True)])
    before = measure(answer, samples, ShortWindowWords(), "before", speed=200.0)
    after = measure(answer, samples, ShortWindowWords(), "after", speed=200.0, stop_after_s=1.0)
    assert before.chunks == 1 and before.tail_audio_s == pytest.approx(9.4), "20 s chunks: all of it at the stop"
    assert after.chunks == 2 and after.tail_audio_s == 0.0, "sent at the pause and at the end of speech"
    for timing in (before, after):
        assert timing.total_s == pytest.approx(timing.transcribe_s + timing.assess_s + timing.synthesize_s)
        assert timing.synthesize_s > 0, "the follow-up was synthesised"


class _EndlessMic:
    """Speech that never pauses, one 100 ms block every 10 ms, until stopped."""

    def __init__(self) -> None:
        self._stopped = threading.Event()

    def start(self, on_frame, on_end) -> None:
        from types import SimpleNamespace

        def run() -> None:
            while not self._stopped.wait(0.01):
                on_frame(SimpleNamespace(samples=np.ones(SAMPLE_RATE // 10, dtype=np.float32)))
            on_end("stopped")

        threading.Thread(target=run, daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()


def test_a_key_press_ends_the_answer_without_waiting_for_silence() -> None:
    from copilot.practice.drill import AnswerRecorder, record_answer

    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.perf_counter()
    samples = record_answer(AnswerRecorder(), _EndlessMic(), stop=stop)
    assert time.perf_counter() - started < 5  # not the 3 s of silence, never heard, nor max_s
    assert len(samples) >= SAMPLE_RATE // 10  # what was said before the press is kept


def test_enter_on_the_terminal_sets_the_answers_stop_and_earlier_presses_are_forgotten() -> None:
    import os

    from copilot.cli.mock import EnterKey

    read_end, write_end = os.pipe()
    with os.fdopen(read_end) as reader, os.fdopen(write_end, "w") as writer:
        key = EnterKey(reader, force=True)
        first = key.arm()
        writer.write("\n")
        writer.flush()
        assert first.wait(2)
        second = key.arm()  # the next answer: the press for the last one does not count
        assert not second.is_set()
        writer.write("\n")
        writer.flush()
        assert second.wait(2)
    with open(os.devnull) as null:
        assert not EnterKey(null).available  # not a terminal: silence ends the answer
