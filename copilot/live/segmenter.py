"""Cutting one source's audio into utterances with a streaming VAD (DESIGN.md, "The core, as stages and events").

One `Segmenter` per source, so the speaker is known from the source (no diarization). It rechunks
device frames into 512-sample blocks, asks the `SpeechDetector` about each, and emits:

- `Utterance(is_final=False)`: a snapshot of the growing utterance after every `partial_every_s`
  of new speech, for partial transcripts;
- `SpeechPaused`: at the first short pause, so the transcriber can start the final decode
  speculatively (DESIGN.md, "Measured on this kind of machine");
- `Utterance(is_final=True)`: after `end_pause_s` of silence; an utterance past `soft_max_utterance_s`
  ends at its next short pause instead, and one with no pause at all is cut at `max_utterance_s`
  (the buffer's size, which bounds memory). Long utterances are fine downstream: the transcriber
  decodes them span by span between pauses (copilot/live/streaming.py).

The samples of every event from one utterance are read-only views of one append-only buffer, so a
snapshot costs no copy and two events with the same sample count hold the same audio. `t_start_s`
is the time of `samples[0]` (pre-roll included); `t_end_s` is the end of the last speech block. The
samples run up to `short_pause_s` past `t_end_s`: whisper transcribes the last word better with a
little silence after it than with a hard cut, and it makes the final's audio exactly the audio that
was decoded speculatively at the pause.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from copilot.audio import SAMPLE_RATE
from copilot.events import AudioFrame, SourceEnded, SpeechPaused, Utterance
from copilot.live.vad import BLOCK_SAMPLES, SpeechDetector

_BLOCK_S = BLOCK_SAMPLES / SAMPLE_RATE
# Once in speech, a block stays speech down to this much below the threshold: Silero's own
# hysteresis (faster_whisper/vad.py, neg_threshold = threshold - 0.15), so a soft syllable does not
# open a pause.
_HYSTERESIS = 0.15


@dataclass(frozen=True)
class SegmenterOptions:
    threshold: float = 0.5  # speech probability; Silero's documented default
    min_speech_s: float = 0.25  # shorter bursts (a click, a cough, a key) never become utterances
    short_pause_s: float = 0.25  # the first pause that starts the speculative final decode
    # Silence that ends an utterance. 0.6 s suits an interviewer; a candidate thinking aloud pauses
    # longer mid-answer, so give the microphone's segmenter more (about 1.0 s).
    end_pause_s: float = 0.6
    partial_every_s: float = 0.5  # of new speech between partial snapshots (the transcriber may skip some)
    pre_roll_s: float = 0.2  # audio kept before the detected start: VAD onset lags the first syllable
    # Past this, the next short pause ends the utterance (a cut in silence, never inside a word).
    soft_max_utterance_s: float = 60.0
    max_utterance_s: float = 90.0  # the buffer: 5.8 MB of float32; only speech without any pause gets here

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError("threshold is a probability in (0, 1)")
        if not 0.0 < self.short_pause_s <= self.end_pause_s:
            raise ValueError("need 0 < short_pause_s <= end_pause_s")
        if self.max_utterance_s < self.pre_roll_s + self.end_pause_s + 1.0:
            raise ValueError("max_utterance_s is too short to hold an utterance")

    @property
    def release_threshold(self) -> float:
        return max(self.threshold - _HYSTERESIS, 0.01)


SegmentEvent = Utterance | SpeechPaused


def _blocks(seconds: float) -> int:
    return max(1, math.ceil(round(seconds * SAMPLE_RATE) / BLOCK_SAMPLES))


class _PreRoll:
    """The most recent `size` samples before speech, in a preallocated ring."""

    def __init__(self, size: int) -> None:
        self._ring = np.zeros(size, dtype=np.float32)
        self._pos = 0
        self._filled = 0

    def clear(self) -> None:
        self._pos = self._filled = 0

    def push(self, samples: np.ndarray) -> None:
        size = self._ring.size
        if size == 0:
            return
        samples = samples[-size:]
        first = min(samples.size, size - self._pos)
        self._ring[self._pos : self._pos + first] = samples[:first]
        self._ring[: samples.size - first] = samples[first:]  # wrap around
        self._pos = (self._pos + samples.size) % size
        self._filled = min(size, self._filled + samples.size)

    def take(self) -> np.ndarray:
        """The samples in time order (a copy), then empty."""
        out = np.roll(self._ring, -self._pos)[self._ring.size - self._filled :]
        self.clear()
        return out


@dataclass
class _Open:
    """The utterance being built."""

    buffer: np.ndarray
    t_start_s: float
    n: int = 0  # samples written
    speech_start: int = 0  # index of the first speech sample (after the pre-roll)
    speech_end: int = 0  # index just after the last speech block
    t_speech_end_s: float = 0.0
    silence_blocks: int = 0  # length of the current pause
    since_partial: int = 0  # speech samples since the last partial snapshot
    utterance_id: int | None = None  # given once the speech is long enough to count

    def append(self, block: np.ndarray) -> None:
        self.buffer[self.n : self.n + block.size] = block
        self.n += block.size

    def view(self, end: int) -> np.ndarray:
        out = self.buffer[:end]
        out.flags.writeable = False  # consumers share it; only this buffer's owner appends, past `end`
        return out


class Segmenter:
    """A pipeline stage: `AudioFrame`s of one source in, `Utterance`s and `SpeechPaused` out."""

    def __init__(
        self,
        source: str,
        ids: Iterator[int],
        detector: SpeechDetector,
        options: SegmenterOptions | None = None,
    ) -> None:
        self.source = source  # INTERVIEWER or CANDIDATE: the speaker of every utterance it cuts
        self.name = f"segment-{source}"
        self._ids = ids  # shared by all segmenters of a session, so utterance ids never collide
        self._detector = detector
        self.options = opts = options or SegmenterOptions()
        self._capacity = round(opts.max_utterance_s * SAMPLE_RATE)
        self._soft_capacity = round(min(opts.soft_max_utterance_s, opts.max_utterance_s) * SAMPLE_RATE)
        self._min_speech = round(opts.min_speech_s * SAMPLE_RATE)
        self._partial_every = round(opts.partial_every_s * SAMPLE_RATE)
        self._short_blocks = _blocks(opts.short_pause_s)
        self._end_blocks = _blocks(opts.end_pause_s)
        self._tail = self._short_blocks * BLOCK_SAMPLES
        self._pre_roll_size = round(opts.pre_roll_s * SAMPLE_RATE)
        self._pre_roll = _PreRoll(self._pre_roll_size)
        self._pending = np.zeros(BLOCK_SAMPLES, dtype=np.float32)  # a frame's leftover, under a block
        self._pending_n = 0
        self._open: _Open | None = None

    def process(self, event: object) -> Iterator[SegmentEvent | SourceEnded]:
        if isinstance(event, AudioFrame) and event.source == self.source:
            yield from self._frame(event)
        elif isinstance(event, SourceEnded) and event.source == self.source:
            yield from self.flush()
            yield event  # downstream stages need to know too

    def flush(self) -> Iterator[SegmentEvent]:
        """End of the stream: finish the open utterance (the leftover under one block is dropped)."""
        self._pending_n = 0
        if self._open is not None:
            yield from self._finish()

    def _frame(self, frame: AudioFrame) -> Iterator[SegmentEvent]:
        samples = np.asarray(frame.samples, dtype=np.float32).reshape(-1)
        # Frames are contiguous in the source's timeline, so the leftover ends where this frame starts.
        t_block_s = frame.t_start_s - self._pending_n / SAMPLE_RATE
        pos = 0
        while pos < samples.size:
            take = min(BLOCK_SAMPLES - self._pending_n, samples.size - pos)
            self._pending[self._pending_n : self._pending_n + take] = samples[pos : pos + take]
            self._pending_n += take
            pos += take
            if self._pending_n == BLOCK_SAMPLES:
                self._pending_n = 0
                yield from self._block(self._pending, t_block_s)
                t_block_s += _BLOCK_S

    def _block(self, block: np.ndarray, t_s: float) -> Iterator[SegmentEvent]:
        prob = self._detector.speech_prob(block)
        if self._open is not None and self._open.n + BLOCK_SAMPLES > self._capacity:
            yield from self._finish()  # the buffer is full: cut here, go on in a new utterance
        u = self._open
        if u is None:
            if prob >= self.options.threshold:
                self._start(t_s)
                yield from self._speech(block, t_s)
            else:
                self._pre_roll.push(block)
            return
        limit = self.options.threshold if u.silence_blocks else self.options.release_threshold
        if prob >= limit:
            yield from self._speech(block, t_s)
        else:
            yield from self._silence(block)

    def _start(self, t_s: float) -> None:
        head = self._pre_roll.take()
        # A fresh buffer per utterance: the events of the last one keep views of its buffer.
        u = _Open(np.empty(self._capacity, dtype=np.float32), t_start_s=t_s - head.size / SAMPLE_RATE)
        u.append(head)
        u.speech_start = u.n
        self._open = u

    def _speech(self, block: np.ndarray, t_s: float) -> Iterator[SegmentEvent]:
        u = self._open
        assert u is not None
        u.append(block)
        u.silence_blocks = 0
        u.speech_end = u.n
        u.t_speech_end_s = t_s + _BLOCK_S
        u.since_partial += block.size
        if u.utterance_id is None and u.speech_end - u.speech_start >= self._min_speech:
            u.utterance_id = next(self._ids)
        if u.utterance_id is not None and u.since_partial >= self._partial_every:
            u.since_partial = 0
            yield Utterance(u.utterance_id, self.source, u.view(u.n), u.t_start_s, u.t_speech_end_s, False)

    def _silence(self, block: np.ndarray) -> Iterator[SegmentEvent]:
        u = self._open
        assert u is not None
        u.append(block)
        u.silence_blocks += 1
        if u.utterance_id is None:
            if u.silence_blocks >= self._end_blocks:
                self._close()  # too short to be speech: a click, a cough
            return
        if u.silence_blocks == self._short_blocks:
            # Exactly the audio the final will carry if the speaker stays quiet (see the module doc).
            yield SpeechPaused(u.utterance_id, self.source, u.t_speech_end_s, u.view(u.n), u.t_start_s)
            if u.n >= self._soft_capacity:
                yield from self._finish()  # long enough: end it in this pause rather than mid-word later
                return
        if u.silence_blocks >= self._end_blocks:
            yield from self._finish()

    def _finish(self) -> Iterator[SegmentEvent]:
        u = self._open
        assert u is not None
        if u.utterance_id is not None:
            end = min(u.n, u.speech_end + self._tail)
            yield Utterance(u.utterance_id, self.source, u.view(end), u.t_start_s, u.t_speech_end_s, True)
        self._close()

    def _close(self) -> None:
        u = self._open
        assert u is not None
        self._open = None
        # The silence after the speech is the pre-roll of whatever comes next; never speech already
        # sent (after a cut at max_utterance_s speech_end == n, so the next utterance starts clean).
        self._pre_roll.clear()
        self._pre_roll.push(u.buffer[max(u.speech_end, u.n - self._pre_roll_size) : u.n])
