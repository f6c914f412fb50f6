"""Live transcription: steady partial text, and a final that is ready the moment the speaker stops.

The policy follows DESIGN.md ("Measured on this kind of machine"): a whisper call on its usual padded
30-second window costs about half a second whatever the clip length, so

- partial text is decoded from a bounded recent window (`partial_window_s`) with the encoder run on
  that window alone (`TranscribeOptions.short_window`: about 4x cheaper, a little less accurate),
  at most once per `min_partial_interval_s` per utterance (pause and final decodes use the short
  window too, `short_window_finals`);
- words confirmed by two consecutive decodes (LocalAgreement-2) become a stable prefix that is never
  rewritten; a new decode only replaces the unconfirmed tail, so the shown text does not flicker;
- at the first short pause (`SpeechPaused`) the whole utterance is decoded speculatively; if the
  final arrives with the same audio, that text is the final at once, otherwise the final is decoded.
  A final is never emitted without a decode of the audio up to the end of speech (the streaming
  guess dropped the last words in 5 of 8 files here);
- a long utterance is decoded span by span, each span ending in a pause: when the speaker goes on
  after a pause whose decode covered at least `commit_after_s` of new audio, that decode is
  committed (final text, never decoded again) and later decodes start where it ended. So every
  decode is bounded (a 60 s turn costs what its last sentences cost, not 60 s of audio), the final
  is the committed spans plus a decode of the last one, and nothing is decoded twice or lost at
  whisper's 30 s window.
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from copilot.adapters.transcribe import TranscribeOptions, Transcriber, continued
from copilot.audio import SAMPLE_RATE
from copilot.events import SourceEnded, SpeechPaused, Transcript, Utterance

_NOT_WORD = re.compile(r"[^\w']+")
# Words a new hypothesis must repeat from the end of the stable text to be placed after it; one
# word ("the", "you") matches by chance too easily.
_MIN_OVERLAP_WORDS = 2
# Whisper often rewrites the last word or two of the stable text when the window moves; look past
# that many to find where the new text continues.
_MAX_SKIPPED_WORDS = 2


@dataclass(frozen=True)
class StreamingOptions:
    partial_window_s: float = 8.0  # audio decoded for a partial; the cost is flat anyway, this keeps words aligned
    # Since the previous partial decode of the utterance finished. With short-window decodes (~0.1 s
    # here) twice a second costs about a fifth of the CPU and puts the text ~0.5 s behind the voice.
    min_partial_interval_s: float = 0.5
    decode_partials: bool = True  # False: finals only (e.g. the candidate, whose partials nobody reads)
    # Pause and final decodes on the short window too. On 150 spoken questions here (espeak-ng, 4
    # voices, 3 rates) the word error rate was 0.224 against 0.216 on the full 30 s window, for a
    # quarter of the CPU: under load the full-window decode at a mid-question pause held up the
    # partials for over a second, and the question's end waited on it.
    short_window_finals: bool = True
    # New audio a pause decode must cover before it is committed when speech goes on. Shorter spans
    # give whisper less context (the committed words are given back as its prompt); longer ones make
    # the decode at the end of the question slower. 3 s rather than 5, chosen on the tune half of
    # the long-turn bench (cards p95 0.33 s before the end of speech, against 0.47 s after at 5 s).
    commit_after_s: float = 3.0


def _norm(word: str) -> str:
    """A word as compared for agreement: case and punctuation do not count ("Americans," == "americans")."""
    return _NOT_WORD.sub("", word.lower())


def _common_prefix(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if _norm(x) != _norm(y):
            break
        n += 1
    return n


def _find_run(words: list[str], run: list[str]) -> int | None:
    """Index just after the first occurrence of `run` in `words`."""
    k = len(run)
    for start in range(len(words) - k + 1):
        if words[start : start + k] == run:
            return start + k
    return None


def continuation(stable: list[str], hyp: list[str], from_start: bool) -> int | None:
    """Where in `hyp` the words after the stable text begin, or None if they cannot be placed.

    A window decode starts somewhere inside the stable text, so the stable text's last words are
    looked for in it (the longest run wins; the last one or two stable words may be skipped, as a
    moved window often rewrites them). A decode `from_start` that shares no run falls back to
    position: its first len(stable) words stand for the stable text.
    """
    if not stable:
        return 0
    s = [_norm(w) for w in stable]
    h = [_norm(w) for w in hyp]
    for skipped in range(min(_MAX_SKIPPED_WORDS, len(s) - 1) + 1):
        head = s[: len(s) - skipped]
        for k in range(min(len(head), len(h)), min(_MIN_OVERLAP_WORDS, len(head)) - 1, -1):
            end = _find_run(h, head[-k:])
            if end is not None:
                return min(end + skipped, len(h))
    return min(len(s), len(h)) if from_start else None


def collapse_repeats(words: list[str], min_run: int = 4) -> list[str]:
    """Drop a run of words said twice in a row ("Imagine a video platform. Imagine a video
    platform."): whisper repeats a sentence when a clip ends in noise, and a span that starts
    again where the last one ended would do the same. Runs shorter than `min_run` stay ("very,
    very" is speech). Then drop near repeats (see `_collapse_near_repeats`)."""
    out = list(words)
    norm = [_norm(w) for w in out]
    i = 0
    while i < len(out):
        for k in range((len(out) - i) // 2, min_run - 1, -1):
            if norm[i : i + k] == norm[i + k : i + 2 * k]:
                del out[i + k : i + 2 * k], norm[i + k : i + 2 * k]
                break
        else:
            i += 1
    return _collapse_near_repeats(out)


# A sentence whisper says twice often comes back with a word or two changed, in Title Case: "We care
# a lot about efficiency here because our inference bill grew faster... we care A LOT ABOUT
# efficiency Here at Because Our Inference Bill Grovester Than..." (2 of 7 long report-half turns).
# A run this long that nearly repeats the run just before it is dropped; shorter ones are left.
NEAR_REPEAT_WORDS = (8, 40)
NEAR_REPEAT_SIMILARITY = 0.8  # difflib's ratio of the two runs' words


def _collapse_near_repeats(words: list[str]) -> list[str]:
    out = list(words)
    while (found := _near_repeat(out)) is not None:
        start, end = found
        del out[start:end]
    return out


def _near_repeat(words: list[str]) -> tuple[int, int] | None:
    """The slice of the first run that nearly repeats the run before it, anchored on a shared
    three-word sequence at the distance of a sentence; None when there is none."""
    norm = [_norm(w) for w in words]
    shortest, longest = NEAR_REPEAT_WORDS
    seen: dict[tuple[str, ...], list[int]] = {}
    for q in range(len(norm) - 2):
        gram = tuple(norm[q : q + 3])
        for p in seen.get(gram, ()):
            if shortest <= q - p <= longest:
                found = _repeat_at(norm, p, q)
                if found is not None:
                    return found
        seen.setdefault(gram, []).append(q)
    return None


def _repeat_at(norm: list[str], p: int, q: int) -> tuple[int, int] | None:
    """Does a run starting at `q` nearly repeat norm[p:q]? Its best-matching length decides where it ends."""
    run = norm[p:q]
    best, best_end = 0.0, q
    for length in range(len(run) - 2, len(run) + 3):  # about as long: a part of it is not a repeat
        candidate = norm[q : q + length]
        if len(candidate) < length:
            break
        ratio = difflib.SequenceMatcher(None, run, candidate, autojunk=False).ratio()
        if ratio > best:
            best, best_end = ratio, q + length
    return (q, best_end) if best >= NEAR_REPEAT_SIMILARITY else None


@dataclass
class DecodeStats:
    """How many whisper calls of each kind were made: the CPU the live path costs."""

    partial: int = 0
    speculative: int = 0
    final: int = 0
    speculation_hits: int = 0  # finals that reused the decode made at the pause


@dataclass
class _Live:
    """What is known of one utterance while it is being spoken.

    The audio before `commit_n` is committed: its text is final. Everything else is about the open
    span, from `commit_n` on.
    """

    t_start_s: float
    committed: list[str] = field(default_factory=list)  # final words of the spans before commit_n
    commit_n: int = 0
    stable: list[str] = field(default_factory=list)  # confirmed words of the open span, never rewritten
    hypothesis: list[str] = field(default_factory=list)  # stable + the last decode's tail
    last_text: str = ""
    partial_done_s: float | None = None  # clock time the last partial or speculative decode finished
    speculation: tuple[int, list[str]] | None = None  # (sample count, words of the span) decoded at the last pause
    shown_committed: list[str] = field(default_factory=list)  # committed spans as shown (confirmed words kept)
    spec_shown: list[str] = field(default_factory=list)  # the span as shown after the pause decode

    def commit_if_resumed(self, size: int, min_samples: int) -> None:
        """Speech went on past the last pause: commit that pause's decode if it covered enough."""
        if self.speculation is None or size <= self.speculation[0]:
            return
        end, words = self.speculation
        self.speculation = None
        if end - self.commit_n >= min_samples:
            self.committed = collapse_repeats(self.committed + words)
            # On screen the span keeps its confirmed words; the final text is the decode's.
            self.shown_committed += self.spec_shown
            self.commit_n = end
            self.stable, self.hypothesis = [], []

    def shown(self) -> list[str]:
        return self.shown_committed + self.hypothesis

    def agree(self, hyp: list[str], from_start: bool) -> bool:
        """Merge a new decode (LocalAgreement-2); False when it cannot be placed after the stable text."""
        start = continuation(self.stable, hyp, from_start)
        if start is None:
            return False
        new = self.stable + hyp[start:]
        confirmed = _common_prefix(self.hypothesis, new)
        # Both start with the stable words, so the agreement never shrinks them.
        self.stable = new[: max(confirmed, len(self.stable))]
        self.hypothesis = new
        return True


class StreamingTranscriber:
    """A pipeline stage: `Utterance` and `SpeechPaused` in, `Transcript` (partial and final) out.

    One instance may serve both speakers (utterance ids are unique per session). `clock` is any
    monotonic clock in seconds; tests inject one. `latency_ms` is the time spent producing each
    transcript, from the arrival of the event that asked for it.
    """

    name = "transcribe"

    def __init__(
        self,
        transcriber: Transcriber,
        options: StreamingOptions | None = None,
        transcribe_options: TranscribeOptions | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._transcriber = transcriber
        self.options = options or StreamingOptions()
        self._decode_options = transcribe_options or TranscribeOptions()  # initial_prompt: the user's vocabulary
        self._partial_options = replace(self._decode_options, short_window=True)
        self._final_options = self._partial_options if self.options.short_window_finals else self._decode_options
        self._clock = clock
        self._window = round(self.options.partial_window_s * SAMPLE_RATE)
        self._commit_after = round(self.options.commit_after_s * SAMPLE_RATE)
        self._live: dict[int, _Live] = {}
        self.stats = DecodeStats()

    def process(self, event: object) -> Iterator[Transcript | SourceEnded]:
        if isinstance(event, Utterance):
            yield from self._final(event) if event.is_final else self._partial(event)
        elif isinstance(event, SpeechPaused):
            yield from self._paused(event)
        elif isinstance(event, SourceEnded):
            yield event

    def stable_text(self, utterance_id: int) -> str:
        """The confirmed words of an utterance still being spoken ("" once it is final)."""
        live = self._live.get(utterance_id)
        return " ".join(live.shown_committed + live.stable) if live else ""

    def _state(self, utterance_id: int, t_start_s: float) -> _Live:
        return self._live.setdefault(utterance_id, _Live(t_start_s))

    def _decode(self, samples: np.ndarray, kind: str, before: list[str] | None = None) -> list[str]:
        """`before`: the words said just before `samples` (the committed spans), read as context."""
        setattr(self.stats, kind, getattr(self.stats, kind) + 1)
        options = self._partial_options if kind == "partial" else self._final_options
        if before:
            options = continued(options, " ".join(before))
        return self._transcriber.transcribe(samples, options).split()

    def _partial(self, event: Utterance) -> Iterator[Transcript]:
        arrived = self._clock()
        live = self._state(event.utterance_id, event.t_start_s)
        done = live.partial_done_s
        if not self.options.decode_partials or (
            done is not None and arrived - done < self.options.min_partial_interval_s
        ):
            return  # bounded: a newer snapshot comes with the next second of speech
        live.commit_if_resumed(event.samples.size, self._commit_after)
        span = event.samples[live.commit_n :]
        window = span[-self._window :]
        hyp = self._decode(window, "partial")
        live.partial_done_s = self._clock()
        if live.agree(hyp, from_start=window.size == span.size):
            yield from self._show(event.utterance_id, event.speaker, live, event.t_end_s, arrived)

    def _paused(self, event: SpeechPaused) -> Iterator[Transcript]:
        arrived = self._clock()
        live = self._state(event.utterance_id, event.t_start_s)
        live.commit_if_resumed(event.samples.size, self._commit_after)
        hyp = self._decode(event.samples[live.commit_n :], "speculative", live.committed)
        live.partial_done_s = self._clock()
        # Keyed by sample count: the segmenter only appends, so the same count means the same audio.
        live.speculation = (event.samples.size, hyp)
        # The whole open span decoded is the best partial there is: show it (through the agreement,
        # so the stable words still never change).
        live.agree(hyp, from_start=True)  # by position at worst: a decode from the span's start always fits
        live.spec_shown = list(live.hypothesis)
        yield from self._show(event.utterance_id, event.speaker, live, event.t_pause_s, arrived)

    def _show(
        self, utterance_id: int, speaker: str, live: _Live, t_end_s: float, arrived: float
    ) -> Iterator[Transcript]:
        text = " ".join(live.shown())
        if text == live.last_text:
            return  # nothing new to show; spare the downstream stages a duplicate
        live.last_text = text
        latency_ms = (self._clock() - arrived) * 1000.0
        yield Transcript(utterance_id, speaker, text, False, live.t_start_s, t_end_s, latency_ms)

    def _final(self, event: Utterance) -> Iterator[Transcript]:
        arrived = self._clock()
        live = self._live.pop(event.utterance_id, None) or _Live(event.t_start_s)
        live.commit_if_resumed(event.samples.size, self._commit_after)
        speculation = live.speculation
        if speculation is not None and speculation[0] == event.samples.size:
            self.stats.speculation_hits += 1
            words = speculation[1]  # speech did not resume: this audio was decoded at the pause
        else:
            words = self._decode(event.samples[live.commit_n :], "final", live.committed)
        text = " ".join(collapse_repeats(live.committed + words))
        latency_ms = (self._clock() - arrived) * 1000.0
        yield Transcript(event.utterance_id, event.speaker, text, True, event.t_start_s, event.t_end_s, latency_ms)
