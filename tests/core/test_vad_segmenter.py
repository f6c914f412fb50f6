"""The streaming VAD and the segmenter, on real (synthetic) speech made here with espeak-ng."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
from conftest import JFK_WAV, speak
from fakes import run_stage

from copilot.audio.decode import load_audio
from copilot.events import CANDIDATE, INTERVIEWER, AudioFrame, SourceEnded, SpeechPaused, Utterance
from copilot.live.segmenter import Segmenter, SegmenterOptions
from copilot.live.vad import BLOCK_SAMPLES, EnergySpeechDetector, SileroSpeechDetector, rms_dbfs

SR = 16_000
FIRST = "Tell me about a time you disagreed with your manager."
SECOND = "How did you resolve it, and what did you learn?"


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SR), dtype=np.float32)


def speech_bounds(samples: np.ndarray, floor_dbfs: float = -45.0) -> tuple[int, int]:
    """First and last sample of audible sound, from the level in 10 ms windows."""
    win = SR // 100
    levels = [rms_dbfs(samples[i : i + win]) for i in range(0, samples.size - win + 1, win)]
    loud = [i for i, level in enumerate(levels) if level > floor_dbfs]
    return loud[0] * win, (loud[-1] + 1) * win


def trimmed(samples: np.ndarray) -> np.ndarray:
    """espeak-ng pads its output with ~0.4 s of silence: cut to the sound so padding lengths are exact."""
    start, end = speech_bounds(samples)
    return samples[start:end]


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    folder: Path = tmp_path_factory.mktemp("speech")
    texts = {"first": FIRST, "second": SECOND, "head": "Describe the architecture", "tail": "of your last project."}
    return {key: trimmed(load_audio(speak(text, folder / f"{key}.wav"))) for key, text in texts.items()}


def frames(samples: np.ndarray, size: int = BLOCK_SAMPLES, source: str = INTERVIEWER) -> Iterable[AudioFrame]:
    for start in range(0, samples.size, size):
        yield AudioFrame(source, samples[start : start + size], start / SR)


def run(segmenter: Segmenter, samples: np.ndarray, size: int = BLOCK_SAMPLES) -> list[object]:
    """Everything the segmenter emits for `samples`, fed as its source's frames of `size` samples."""
    return run_stage(segmenter, frames(samples, size, segmenter.source))


def finals(events: list[object]) -> list[Utterance]:
    return [e for e in events if isinstance(e, Utterance) and e.is_final]


def silero_segmenter(options: SegmenterOptions | None = None, ids: Iterable[int] | None = None) -> Segmenter:
    return Segmenter(INTERVIEWER, iter(ids or itertools.count(1)), SileroSpeechDetector(), options)


# --- the detector --------------------------------------------------------------------------------


def test_silero_block_by_block_matches_faster_whispers_batched_call():
    from faster_whisper.vad import get_vad_model

    audio = load_audio(JFK_WAV)
    audio = audio[: audio.size // BLOCK_SAMPLES * BLOCK_SAMPLES]
    batched = np.asarray(get_vad_model()(audio)).reshape(-1)
    detector = SileroSpeechDetector()
    streamed = [detector.speech_prob(audio[i : i + BLOCK_SAMPLES]) for i in range(0, audio.size, BLOCK_SAMPLES)]
    np.testing.assert_allclose(streamed, batched, atol=1e-5)
    assert max(streamed) > 0.8 and min(streamed) < 0.1  # the clip has both speech and pauses


def test_silero_rejects_a_block_of_the_wrong_size():
    with pytest.raises(ValueError, match="512"):
        SileroSpeechDetector().speech_prob(np.zeros(480, dtype=np.float32))


def test_energy_detector_thresholds_the_level():
    detector = EnergySpeechDetector(threshold_dbfs=-30.0)
    quiet = np.full(BLOCK_SAMPLES, 0.01, dtype=np.float32)  # -40 dBFS
    loud = np.full(BLOCK_SAMPLES, 0.1, dtype=np.float32)  # -20 dBFS
    assert detector.speech_prob(quiet) == 0.0
    assert detector.speech_prob(loud) == 1.0
    assert detector.speech_prob(np.zeros(BLOCK_SAMPLES, dtype=np.float32)) == 0.0


# --- the segmenter on speech ---------------------------------------------------------------------


@pytest.mark.audio
def test_two_sentences_apart_give_two_finals_ending_where_the_speech_ends(clips):
    first, second = clips["first"], clips["second"]
    audio = np.concatenate([silence(0.5), first, silence(1.5), second, silence(1.0)])
    true_ends = [0.5 + first.size / SR, 0.5 + (first.size + second.size) / SR + 1.5]
    true_starts = [0.5, 0.5 + first.size / SR + 1.5]

    events = run(silero_segmenter(), audio)

    done = finals(events)
    assert len(done) == 2
    assert [u.t_end_s for u in done] == pytest.approx(true_ends, abs=0.15)
    for u, start in zip(done, true_starts, strict=True):
        assert u.t_start_s <= start  # the pre-roll keeps the first syllable
        assert u.t_start_s >= start - 0.4
        assert u.speaker == INTERVIEWER and not u.samples.flags.writeable
        # The audio runs a little past t_end_s (the short pause), never into the next sentence.
        assert u.t_end_s - 0.01 <= u.t_start_s + u.samples.size / SR <= u.t_end_s + 0.3
    assert len({u.utterance_id for u in done}) == 2


@pytest.mark.audio
@pytest.mark.parametrize("every_s", [0.5, 1.0])
def test_partials_come_once_per_interval_of_speech(clips, every_s):
    first = clips["first"]  # about 2.9 s of speech
    options = SegmenterOptions(partial_every_s=every_s)
    events = run(silero_segmenter(options), np.concatenate([silence(0.5), first, silence(1.0)]))

    partials = [e for e in events if isinstance(e, Utterance) and not e.is_final]
    assert len(partials) == int(first.size / SR / every_s)  # one per full interval of speech
    ends = [0.5] + [p.t_end_s for p in partials]
    assert all(every_s - 0.1 <= b - a <= every_s + 0.6 for a, b in itertools.pairwise(ends))
    # Each snapshot extends the previous one: the same buffer, only longer.
    final = finals(events)[0]
    for p in partials:
        assert p.utterance_id == final.utterance_id and p.t_start_s == final.t_start_s
        np.testing.assert_array_equal(p.samples, final.samples[: p.samples.size])


@pytest.mark.audio
def test_speech_paused_comes_before_the_final_with_exactly_its_audio(clips):
    audio = np.concatenate([silence(0.5), clips["first"], silence(1.5), clips["second"], silence(1.0)])
    events = run(silero_segmenter(), audio)

    for final in finals(events):
        at = next(i for i, e in enumerate(events) if e is final)  # `==` would compare the arrays
        pauses = [e for e in events[:at] if isinstance(e, SpeechPaused) and e.utterance_id == final.utterance_id]
        assert pauses, "no SpeechPaused before the final"
        last = pauses[-1]
        assert last.samples.size == final.samples.size  # speech did not resume: same audio, reusable decode
        np.testing.assert_array_equal(last.samples, final.samples)
        assert last.t_pause_s == final.t_end_s and last.t_start_s == final.t_start_s


@pytest.mark.audio
def test_a_short_pause_inside_a_sentence_does_not_split_it(clips):
    head, tail = clips["head"], clips["tail"]
    audio = np.concatenate([silence(0.5), head, silence(0.3), tail, silence(1.0)])
    events = run(silero_segmenter(SegmenterOptions(end_pause_s=0.6)), audio)

    done = finals(events)
    assert len(done) == 1
    assert done[0].t_end_s == pytest.approx(0.5 + (head.size + tail.size) / SR + 0.3, abs=0.15)


@pytest.mark.audio
def test_the_same_audio_in_any_frame_size_gives_the_same_utterances(clips):
    audio = np.concatenate([silence(0.3), clips["first"], silence(1.0)])

    def summary(events: list[object]) -> list[float]:
        return [x for u in finals(events) for x in (u.t_start_s, u.t_end_s, u.samples.size)]

    reference = summary(run(silero_segmenter(), audio))
    assert len(reference) == 3
    for size in (160, 480, 1000, 4096):
        assert summary(run(silero_segmenter(), audio, size)) == pytest.approx(reference)


def click(seconds: float = 0.05) -> np.ndarray:
    rng = np.random.default_rng(7)
    return (0.8 * rng.uniform(-1.0, 1.0, round(seconds * SR))).astype(np.float32)


def test_a_click_is_not_an_utterance():
    audio = np.concatenate([silence(1.0), click(), silence(1.5)])
    for detector in (SileroSpeechDetector(), EnergySpeechDetector(-40.0)):
        segmenter = Segmenter(INTERVIEWER, itertools.count(1), detector)
        assert run(segmenter, audio) == []


@pytest.mark.audio
def test_a_click_before_speech_does_not_move_its_start(clips):
    audio = np.concatenate([silence(0.5), click(), silence(1.0), clips["first"], silence(1.0)])
    speech_start = 0.5 + 0.05 + 1.0
    # The energy detector surely fires on the click: the minimum speech length is what drops it.
    segmenter = Segmenter(INTERVIEWER, itertools.count(1), EnergySpeechDetector(-40.0))
    done = finals(run(segmenter, audio))
    assert len(done) == 1
    assert speech_start - 0.25 <= done[0].t_start_s <= speech_start


# --- the segmenter's bookkeeping, with a tone and the energy detector ------------------------------


def tone(seconds: float, level: float = 0.3) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    return (level * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)


def energy_segmenter(options: SegmenterOptions | None = None, source: str = INTERVIEWER, ids=None) -> Segmenter:
    return Segmenter(source, ids if ids is not None else itertools.count(1), EnergySpeechDetector(-40.0), options)


def test_speech_without_any_pause_is_cut_at_the_buffer_size_without_losing_or_repeating_audio():
    options = SegmenterOptions(max_utterance_s=10.0)
    audio = np.concatenate([silence(0.5), tone(25.0), silence(1.0)])
    done = finals(run(energy_segmenter(options), audio))

    assert len(done) == 3
    assert all(u.samples.size <= 10.0 * SR for u in done)
    # Contiguous: each piece starts where the previous one's audio ended, no overlap, no gap.
    for a, b in itertools.pairwise(done):
        assert b.t_start_s == pytest.approx(a.t_start_s + a.samples.size / SR)
    assert done[-1].t_end_s == pytest.approx(25.5, abs=BLOCK_SAMPLES / SR)
    speech = sum(u.samples.size for u in done) - round(0.2 * SR)  # minus the first pre-roll
    assert speech == pytest.approx(25.0 * SR, abs=2 * BLOCK_SAMPLES + round(0.25 * SR))


def test_a_long_utterance_ends_at_its_first_short_pause_past_the_soft_limit():
    options = SegmenterOptions(soft_max_utterance_s=5.0, max_utterance_s=20.0, short_pause_s=0.25, end_pause_s=0.6)
    # Speech with 0.3 s gaps (under end_pause_s, so one utterance), 12 s in all.
    audio = np.concatenate(
        [silence(0.5)] + [np.concatenate([tone(1.7), silence(0.3)]) for _ in range(6)] + [silence(1.0)]
    )
    events = run(energy_segmenter(options), audio)
    done = finals(events)
    assert len(done) == 2
    # The first ends in the first pause past 5 s of audio, with exactly the audio its pause decode had.
    pause = next(
        e
        for e in events
        if isinstance(e, SpeechPaused)
        and e.utterance_id == done[0].utterance_id
        and e.samples.size == done[0].samples.size
    )
    assert 5.0 * SR <= pause.samples.size <= 6.5 * SR
    assert done[1].t_start_s == pytest.approx(done[0].t_start_s + done[0].samples.size / SR, abs=0.25)
    assert done[1].t_end_s == pytest.approx(12.2, abs=0.1)


def test_source_end_flushes_the_open_utterance_and_passes_on():
    segmenter = energy_segmenter()
    events = run(segmenter, np.concatenate([silence(0.5), tone(2.0)]))
    assert finals(events) == []
    ended = SourceEnded(INTERVIEWER, "end of file")
    tail = list(segmenter.process(ended))
    assert [type(e) for e in tail] == [Utterance, SourceEnded]
    assert tail[0].is_final and tail[0].t_end_s == pytest.approx(2.5, abs=BLOCK_SAMPLES / SR)
    assert list(segmenter.process(SourceEnded(CANDIDATE, "unplugged"))) == []  # another source's end


def test_two_speakers_sharing_one_id_counter_never_collide():
    ids = itertools.count(1)
    interviewer, candidate = energy_segmenter(ids=ids), energy_segmenter(source=CANDIDATE, ids=ids)
    audio = np.concatenate([silence(0.3), tone(1.0), silence(1.0), tone(1.0), silence(1.0)])
    got = []
    for a, b in zip(frames(audio), frames(audio, source=CANDIDATE), strict=True):
        got += finals(list(interviewer.process(a))) + finals(list(candidate.process(b)))
    assert sorted(u.speaker for u in got) == [CANDIDATE, CANDIDATE, INTERVIEWER, INTERVIEWER]
    assert sorted(u.utterance_id for u in got) == [1, 2, 3, 4]
    # Frames of the other source are not this segmenter's business.
    assert list(interviewer.process(AudioFrame(CANDIDATE, tone(1.0), 0.0))) == []


def test_pre_roll_is_the_audio_just_before_the_speech():
    # Quiet, but each sample identifiable; whole blocks, so the speech starts on a block boundary.
    ramp = np.linspace(-0.001, 0.001, 32 * BLOCK_SAMPLES, dtype=np.float32)
    speech = tone(1.0)
    done = finals(run(energy_segmenter(), np.concatenate([ramp, speech, silence(1.0)])))
    pre = round(0.2 * SR)
    np.testing.assert_array_equal(done[0].samples[:pre], ramp[-pre:])
    np.testing.assert_array_equal(done[0].samples[pre : pre + speech.size], speech)
    assert done[0].t_start_s == pytest.approx(ramp.size / SR - 0.2)


def test_options_are_checked():
    with pytest.raises(ValueError):
        SegmenterOptions(short_pause_s=1.0, end_pause_s=0.6)
    with pytest.raises(ValueError):
        SegmenterOptions(threshold=1.5)
    assert SegmenterOptions(threshold=0.5).release_threshold == pytest.approx(0.35)
