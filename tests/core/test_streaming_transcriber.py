"""The streaming transcriber: stable partials, speculative finals, bounded decoding.

A fake transcriber returns scripted text and advances a fake clock by the time a decode takes, so
the rate bound and the latencies are exact without sleeping. One slow test runs the real thing.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import numpy as np
import pytest
from conftest import JFK_TEXT, JFK_WAV, word_error_rate

from copilot.adapters.transcribe import TranscribeOptions
from copilot.audio.decode import load_audio
from copilot.events import CANDIDATE, INTERVIEWER, AudioFrame, SourceEnded, SpeechPaused, Transcript, Utterance
from copilot.live.segmenter import Segmenter, SegmenterOptions
from copilot.live.streaming import StreamingOptions, StreamingTranscriber, collapse_repeats, continuation

SR = 16_000
AUDIO = np.arange(30 * SR, dtype=np.float32)  # every sample different: a slice's size says which audio it is


@dataclass
class Clock:
    now_s: float = 0.0

    def __call__(self) -> float:
        return self.now_s


@dataclass
class FakeTranscriber:
    """Returns the scripted texts in order; each call takes `decode_s` of the fake clock."""

    script: list[str]
    clock: Clock
    decode_s: float = 0.5
    calls: list[tuple[int, TranscribeOptions | None]] = field(default_factory=list)

    def transcribe(self, samples: np.ndarray, options: TranscribeOptions | None = None) -> str:
        self.calls.append((samples.size, options))
        self.clock.now_s += self.decode_s
        return self.script.pop(0)

    @property
    def sizes(self) -> list[int]:
        return [size for size, _ in self.calls]


def setup(script: list[str], options: StreamingOptions | None = None, **kwargs):
    clock = Clock()
    fake = FakeTranscriber(script, clock)
    return StreamingTranscriber(fake, options, clock=clock, **kwargs), fake, clock


def partial(seconds: float, uid: int = 1, speaker: str = INTERVIEWER) -> Utterance:
    return Utterance(uid, speaker, AUDIO[: round(seconds * SR)], 0.0, seconds, is_final=False)


def final(seconds: float, uid: int = 1) -> Utterance:
    return Utterance(uid, INTERVIEWER, AUDIO[: round(seconds * SR)], 0.0, seconds, is_final=True)


def paused(seconds: float, uid: int = 1) -> SpeechPaused:
    return SpeechPaused(uid, INTERVIEWER, seconds, AUDIO[: round(seconds * SR)], 0.0)


def texts(events) -> list[str]:
    return [e.text for e in events]


# --- stable prefix ---------------------------------------------------------------------------------


def test_words_confirmed_by_two_decodes_stay_and_only_the_tail_changes():
    stage, _fake, clock = setup(
        [
            "Tell me",
            "Tell me about a",
            "Tell me about the time",
            "tell me, about a time you",  # rewrites "about" in form only, and "the" -> "a"
        ]
    )
    shown, stable = [], []
    for second in (1, 2, 3, 4):
        clock.now_s = second * 2.0  # far apart: no partial is skipped
        shown += texts(stage.process(partial(second)))
        stable.append(stage.stable_text(1))

    assert stable == ["", "Tell me", "Tell me about", "Tell me about"]
    assert shown == ["Tell me", "Tell me about a", "Tell me about the time", "Tell me about a time you"]
    for prefix, text in zip(stable, shown, strict=True):
        assert text.startswith(prefix)  # what was confirmed is shown unchanged


def test_a_decode_that_contradicts_confirmed_words_does_not_rewrite_them():
    stage, _fake, clock = setup(
        ["and so my fellow", "and so my fellow americans", "and sew I fellow americans ask not"]
    )
    shown = []
    for second in (1, 2, 3):
        clock.now_s = second * 2.0
        shown += texts(stage.process(partial(second)))
    # "sew I" does not replace "so my"; "americans", said twice in the same place, is now confirmed.
    assert stage.stable_text(1) == "and so my fellow americans"
    assert shown[-1] == "and so my fellow americans ask not"


def test_a_long_utterance_is_decoded_from_a_recent_window_and_placed_after_the_stable_text():
    options = StreamingOptions(partial_window_s=8.0)
    stage, fake, clock = setup(["one two three four five six", "one two three four five six seven"], options)
    for second in (5, 6):
        clock.now_s = second * 2.0
        list(stage.process(partial(second)))
    assert stage.stable_text(1) == "one two three four five six"

    fake.script.append("four five six seven eight nine")  # the window starts inside the stable text
    clock.now_s = 20.0
    shown = texts(stage.process(partial(10)))
    assert fake.sizes[-1] == 8 * SR  # only the last 8 s were decoded
    assert shown == ["one two three four five six seven eight nine"]
    assert stage.stable_text(1) == "one two three four five six seven"


def test_a_window_decode_that_cannot_be_placed_shows_nothing_new():
    stage, fake, clock = setup(["alpha beta gamma delta", "alpha beta gamma delta", "zulu yankee x-ray"])
    for second in (7, 8, 12):
        clock.now_s = second * 2.0
        shown = texts(stage.process(partial(second)))
    assert shown == []  # no run of the stable words in it: where it belongs is unknown
    assert stage.stable_text(1) == "alpha beta gamma delta"
    assert len(fake.calls) == 3


def test_continuation_finds_where_the_new_words_start():
    stable = "ask not what your country".split()
    assert continuation(stable, "not what your country can do".split(), from_start=False) == 4
    assert continuation(stable, "what your county can do".split(), from_start=False) == 3  # last word rewritten
    assert continuation(stable, "can do for you".split(), from_start=False) is None
    assert continuation(stable, "ask knot what you're country can".split(), from_start=True) == 5  # by position
    assert continuation([], "anything".split(), from_start=False) == 0


# --- speculative final -----------------------------------------------------------------------------


def test_a_final_after_a_pause_without_new_speech_reuses_the_speculative_decode():
    stage, fake, clock = setup(["Why this company?"])
    shown = list(stage.process(paused(2.0)))
    assert [(t.is_final, t.text) for t in shown] == [(False, "Why this company?")]  # the best partial so far

    out = list(stage.process(final(2.0)))
    assert len(fake.calls) == 1  # no second decode
    assert [(t.is_final, t.text) for t in out] == [(True, "Why this company?")]
    assert out[0].latency_ms == 0.0  # the decode happened before the final arrived
    assert stage.stats.speculation_hits == 1


def test_a_speculative_decode_is_thrown_away_when_speech_resumes():
    stage, fake, clock = setup(["Tell me", "Tell me about your last project."])
    list(stage.process(paused(1.0)))
    out = list(stage.process(final(2.5)))  # the speaker went on after the pause

    assert fake.sizes == [1 * SR, round(2.5 * SR)]  # the final decoded the whole utterance
    assert [(t.is_final, t.text) for t in out] == [(True, "Tell me about your last project.")]
    assert out[0].latency_ms == pytest.approx(500.0)
    assert stage.stats.speculation_hits == 0


def test_only_the_latest_pause_counts():
    stage, fake, _clock = setup(["Tell me", "Tell me about it"])
    list(stage.process(paused(1.0)))
    list(stage.process(paused(2.0)))
    out = list(stage.process(final(2.0)))
    assert len(fake.calls) == 2 and texts(out) == ["Tell me about it"]


def test_a_final_without_a_pause_is_decoded():
    stage, fake, _clock = setup(["A thirty second monologue"])
    out = list(stage.process(final(30.0)))  # cut at whisper's window: no SpeechPaused came
    assert fake.sizes == [30 * SR] and out[0].is_final and out[0].text == "A thirty second monologue"
    assert stage.stable_text(1) == ""


# --- long utterances: span by span between pauses ---------------------------------------------------


def test_a_pause_decode_is_committed_when_speech_goes_on_and_later_decodes_start_after_it():
    stage, fake, clock = setup(
        ["We run a furniture marketplace.", "Buyers search", "How would you rank the listings?"],
        StreamingOptions(commit_after_s=5.0),
    )
    list(stage.process(paused(6.0)))  # 6 s of speech, then a pause: decoded whole
    clock.now_s = 10.0
    shown = texts(stage.process(partial(7.0)))  # the speaker went on: those 6 s are final now
    assert fake.sizes[1] == 1 * SR  # the partial decoded only what came after the pause
    assert shown == ["We run a furniture marketplace. Buyers search"]
    assert stage.stable_text(1).startswith("We run a furniture marketplace.")
    out = list(stage.process(final(9.0)))
    assert fake.sizes[2] == 3 * SR  # the final too: 9 s of audio, 3 s decoded
    assert texts(out) == ["We run a furniture marketplace. How would you rank the listings?"]
    # What was committed before a span is its context: whisper reads the span as a continuation.
    first_options, final_options = fake.calls[0][1], fake.calls[2][1]
    assert first_options is not None and not (first_options.initial_prompt or "")
    assert final_options is not None and final_options.initial_prompt == "We run a furniture marketplace."


def test_a_short_span_is_not_committed_so_whisper_keeps_its_context():
    stage, fake, _clock = setup(["Tell me", "Tell me about a time you failed."], StreamingOptions(commit_after_s=5.0))
    list(stage.process(paused(2.0)))
    out = list(stage.process(final(4.0)))
    assert fake.sizes == [2 * SR, 4 * SR]  # decoded from the start again
    assert texts(out) == ["Tell me about a time you failed."]


def test_a_sentence_whisper_says_twice_is_kept_once():
    stage, _fake, _clock = setup(
        ["Imagine a video platform with fifty million users. Imagine a video platform with fifty million users."]
    )
    assert texts(stage.process(final(5.0))) == ["Imagine a video platform with fifty million users."]
    assert collapse_repeats("very very good".split()) == ["very", "very", "good"]  # short repeats are speech


def test_a_sentence_said_again_with_words_misheard_in_title_case_is_kept_once():
    # Both from live first texts of the long-turn bench (report half).
    heard = (
        "We care a lot about efficiency here because our inference bill grew faster than our revenue last year. "
        "we care A LOT ABOUT efficiency Here at Because Our Inference Bill Grovester Than Our Revenue Last Year "
        "Tell me about a time you had to cut the cost of serving a model."
    )
    assert " ".join(collapse_repeats(heard.split())) == (
        "We care a lot about efficiency here because our inference bill grew faster than our revenue last year. "
        "Tell me about a time you had to cut the cost of serving a model."
    )
    heard = "Alright, for the next part we will do a system design exercise. All right! For The Next Part We Will Do A System Design Exercise Before we start"
    assert " ".join(collapse_repeats(heard.split())) == (
        "Alright, for the next part we will do a system design exercise. All right! Before we start"
    )


def test_a_sentence_that_echoes_the_one_before_it_is_speech_and_stays():
    said = "Bias is when the model is too simple and variance is when the model is too complex. It is a trade-off."
    assert " ".join(collapse_repeats(said.split())) == said
    said = "First we cut the batch size in half, and then we cut the learning rate in half as well."
    assert " ".join(collapse_repeats(said.split())) == said


# --- bounded decoding ------------------------------------------------------------------------------


def test_partials_are_skipped_until_a_second_after_the_previous_decode_finished():
    stage, fake, clock = setup(["a"] * 10, StreamingOptions(min_partial_interval_s=1.0))
    decoded_at = []
    for arrival in (0.0, 1.0, 1.4, 1.6, 2.0, 3.0, 3.5):
        clock.now_s = max(clock.now_s, arrival)  # a partial that queued behind a decode arrives late
        before = len(fake.calls)
        list(stage.process(partial(arrival + 1.0)))
        if len(fake.calls) > before:
            decoded_at.append(arrival)
    # Decodes take 0.5 s: the one at 0.0 ends at 0.5, so 1.0 and 1.4 are too soon; 1.6 ends at 2.1,
    # so 2.0 (served at 2.1, behind it) and 3.0 are too soon; 3.5 is 1.4 s after it.
    assert decoded_at == [0.0, 1.6, 3.5]


def test_the_bound_is_per_utterance_and_a_pause_decode_counts_toward_it():
    stage, fake, clock = setup(["a", "b", "c", "d"])
    list(stage.process(partial(1.0, uid=1)))
    list(stage.process(partial(1.0, uid=2, speaker=CANDIDATE)))  # another utterance: not held back
    assert len(fake.calls) == 2
    list(stage.process(paused(1.5, uid=1)))  # never skipped: it is what makes the final fast
    list(stage.process(partial(1.8, uid=1)))  # 0 s after that decode finished: skipped
    assert len(fake.calls) == 3


def test_partials_can_be_switched_off_for_a_speaker_nobody_reads_live():
    stage, fake, _clock = setup(["the answer"], StreamingOptions(decode_partials=False))
    assert list(stage.process(partial(3.0))) == []
    assert texts(stage.process(final(4.0))) == ["the answer"]
    assert len(fake.calls) == 1


def test_options_reach_the_transcriber_and_latency_is_the_decode_time():
    prompt = TranscribeOptions(initial_prompt="Kubernetes, PyTorch, LightGBM")
    stage, fake, _clock = setup(["We used LightGBM", "We used LightGBM."], transcribe_options=prompt)
    shown = list(stage.process(partial(1.0)))
    done = list(stage.process(final(1.5)))
    # Live decodes run on the short window (fast); the full 30 s window is there for those who want it.
    assert [options for _, options in fake.calls] == [replace(prompt, short_window=True)] * 2
    stage, fake, _clock = setup(["a", "b"], StreamingOptions(short_window_finals=False), transcribe_options=prompt)
    list(stage.process(partial(1.0)))
    list(stage.process(final(1.5)))
    assert [options for _, options in fake.calls] == [replace(prompt, short_window=True), prompt]
    assert shown[0].latency_ms == pytest.approx(500.0) and done[0].latency_ms == pytest.approx(500.0)
    assert (done[0].speaker, done[0].t_start_s, done[0].t_end_s) == (INTERVIEWER, 0.0, 1.5)


def test_an_unchanged_partial_is_not_repeated_and_other_events_pass_or_are_ignored():
    stage, _fake, clock = setup(["same words", "same words"])
    assert texts(stage.process(partial(1.0))) == ["same words"]
    clock.now_s = 10.0
    assert list(stage.process(partial(2.0))) == []
    ended = SourceEnded(INTERVIEWER, "end of file")
    assert list(stage.process(ended)) == [ended]
    assert list(stage.process("something else")) == []


# --- the real model on a real recording ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("end_pause_s", [0.6, 2.0])  # JFK's pauses split it at 0.6 s; at 2.0 s it is one 11 s turn
def test_jfk_live_final_is_accurate_and_confirmed_words_never_change(end_pause_s):
    from copilot.adapters.transcribe import WhisperTranscriber
    from copilot.config import models
    from copilot.live.vad import SileroSpeechDetector

    audio = np.concatenate([load_audio(JFK_WAV), np.zeros(3 * SR, dtype=np.float32)])
    segmenter = Segmenter(
        INTERVIEWER, itertools.count(1), SileroSpeechDetector(), SegmenterOptions(end_pause_s=end_pause_s)
    )
    # The clip is fed faster than real time; a clock that reads the audio position paces the partial
    # rate bound as a live device would.
    clock = Clock()
    stage = StreamingTranscriber(WhisperTranscriber(models.whisper_model("tiny.en").path), clock=clock)

    transcripts: list[Transcript] = []
    stable: dict[int, list[str]] = {}
    for start in range(0, audio.size, 512):
        clock.now_s = start / SR
        for event in segmenter.process(AudioFrame(INTERVIEWER, audio[start : start + 512], start / SR)):
            for out in stage.process(event):
                transcripts.append(out)
                if out.is_final:
                    continue
                now = stage.stable_text(out.utterance_id).split()
                before = stable.get(out.utterance_id, [])
                assert now[: len(before)] == before, "a confirmed word changed"
                assert out.text.split()[: len(now)] == now  # shown as confirmed
                stable[out.utterance_id] = now

    text = " ".join(t.text for t in transcripts if t.is_final)
    assert word_error_rate(JFK_TEXT.read_text(), text) <= 0.15, text
    assert sum(not t.is_final for t in transcripts) >= 4  # partial text was shown along the way
    assert stage.stats.speculation_hits >= 1
