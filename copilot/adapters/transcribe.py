"""Speech to text with faster-whisper (CTranslate2), behind a small Protocol so tests can fake it."""

from __future__ import annotations

import itertools
import os
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from copilot.errors import ModelMissingError

SAMPLE_RATE = 16_000
SHORT_PAD_S = 1.0  # silence after the clip: without it the last word is often dropped
SHORT_MAX_S = 28.0  # a short-window decode must still fit whisper's 30 s (1,500 positions) with the pad
# A runaway decode (whisper without its usual 30 s context can loop) is cut at this many tokens per
# second of audio; English speech is about 3-4.
MAX_TOKENS_PER_S = 6.0
MAX_COMPRESSION_RATIO = 2.4  # faster-whisper's default compression_ratio_threshold
# Audio longer than this is decoded window by window, each window cut in a pause. faster-whisper's
# own 30 s windows cut mid-word, and it drops a last window it finds mostly silent: measured here on
# a 52 s espeak-ng turn, "Last quarter we shipped a new ranking model" at the 30 s seam came out as
# "making muddle", and `words()` lost the closing "debug it".
LONG_AUDIO_S = 28.0
# faster-whisper retries an unsure decode by sampling at rising temperatures, so one recording gave
# a different transcript from run to run (a drill answer's "is a penalty" came out "in a penalty" in
# one run of three, and lost its definition mark), and a busy machine waited through up to six
# decodes. Here decoding is deterministic: greedy, then once with a beam when a window is unsure by
# faster-whisper's own thresholds, keeping whichever is surer.
FALLBACK_BEAM_SIZE = 5
LOG_PROB_THRESHOLD = -1.0  # faster-whisper's default log_prob_threshold
WINDOW_MAX_S = 24.0  # the longest window; shorter ones end at the latest pause before it
WINDOW_MIN_S = 4.0  # a pause closer than this to the window's start is not used as a cut
# Words of the previous window given to the next as context, as faster-whisper's own long-form
# decoding does (condition_on_previous_text). On the tune half of the long-turn bench the second
# pass went from WER 0.099 to 0.088 with it (plain faster-whisper on the whole file: 0.079).
PREVIOUS_WORDS = 60


def prepare_native_runtime() -> None:
    """Settings CTranslate2's native libraries read once, when they load: call before importing
    faster_whisper (which imports ctranslate2) anywhere.

    - OMP_WAIT_POLICY=PASSIVE: CTranslate2's OpenMP threads spin-wait between calls by default. On
      2 cores they starve llama.cpp's and onnxruntime's threads: measured here, one LLM rewrite took
      308 s instead of 7.6 s with a whisper model loaded. Passive waiting costs whisper nothing
      measurable.
    - MKL_CBWR=AUTO,STRICT: without it MKL picks its code path by memory alignment, so the same
      audio gave a different transcript in different processes ("image duplicate detection", "an
      duplicate detection", "an adjudicated detection"). STRICT makes the results independent of
      alignment, AUTO keeps the fastest instructions of this CPU. Not COMPATIBLE (SSE2 only): on an
      Intel Xeon with AVX-512, where CTranslate2 uses MKL, it made every decode ten times slower
      (tiny.en, 1 thread, 11 s clip: 4.9 s instead of 0.48 s); on AMD CPUs CTranslate2 uses oneDNN
      and MKL's setting does not matter. Measured with AUTO,STRICT: three processes, the same text.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")


@dataclass(frozen=True)
class TranscribeOptions:
    language: str = "en"
    # Greedy decoding: on 2 CPU cores beam 5 costs as much as beam 1 (DESIGN.md) but we keep 1 for
    # partials, where the window is short and any saving counts.
    beam_size: int = 1
    # Names and jargon from the user's stories and topic cards, to bias the decoder toward them.
    initial_prompt: str | None = None
    # Encode only the clip (plus SHORT_PAD_S of silence) instead of whisper's padded 30-second window.
    # The encoder is most of a call's cost, so this is about 4x faster; whisper was trained on 30 s
    # windows and is a little less accurate this way (30 spoken questions here: WER 0.178 against
    # 0.155). Live decodes use it (see copilot/live/streaming.py); files use the full window.
    short_window: bool = False


@dataclass(frozen=True)
class TimedWord:
    text: str  # as transcribed, punctuation included ("So,")
    start_s: float
    end_s: float


class Transcriber(Protocol):
    def transcribe(self, samples: np.ndarray, options: TranscribeOptions | None = None) -> str: ...


class WhisperTranscriber:
    """faster-whisper on the CPU. One model, shared by both speakers; calls are serialised."""

    def __init__(self, model_dir: Path, compute_type: str = "int8", cpu_threads: int = 1) -> None:
        prepare_native_runtime()
        from faster_whisper import WhisperModel  # lazy: pulls in CTranslate2

        try:
            self._model = WhisperModel(str(model_dir), device="cpu", compute_type=compute_type, cpu_threads=cpu_threads)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelMissingError(f"{model_dir}: whisper model could not be loaded ({exc}); reinstall it") from exc
        # CTranslate2 runs one generation at a time per replica; a lock keeps partial and final
        # decodes from two threads from contending for the same two cores.
        self._lock = threading.Lock()
        self._short_window = ShortWindowDecoder(self._model)

    def transcribe(self, samples: np.ndarray, options: TranscribeOptions | None = None) -> str:
        opts = options or TranscribeOptions()
        if samples.size > LONG_AUDIO_S * SAMPLE_RATE:
            texts: list[str] = []
            for a, b in pause_windows(samples):
                texts.append(self._transcribe_window(samples[a:b], continued(opts, texts[-1] if texts else "")))
            return " ".join(t for t in texts if t)
        return self._transcribe_window(samples, opts)

    def _transcribe_window(self, samples: np.ndarray, opts: TranscribeOptions) -> str:
        if opts.short_window and samples.size <= SHORT_MAX_S * SAMPLE_RATE:
            with self._lock:
                text = self._short_window.transcribe(samples, opts.initial_prompt)
            if text is not None:
                return text
        with self._lock:
            # The decoding happens here, inside the lock (DESIGN.md).
            segments = decode_segments(
                self._model,
                samples,
                beam_size=opts.beam_size,
                language=opts.language,
                initial_prompt=opts.initial_prompt,
                # With timestamps: a decode that ends before the window does (whisper's end of text
                # after a sentence or two) is continued from its last timestamp, where without them
                # the rest of the window was lost. Long-turn bench, tune half, each turn cut into
                # windows with no prompt: WER 0.161 without timestamps, 0.088 with them.
                # One window (the caller cut longer audio): a loop stops where speech could not go.
                max_new_tokens=max_new_tokens(samples.size),
            )
            text = " ".join(s.text.strip() for s in segments)
        return " ".join(text.split())

    def reference_text(self, samples: np.ndarray) -> str:
        """faster-whisper's own long-form transcription (its 30 s windows, greedy): the bench's yardstick."""
        with self._lock:
            segments = decode_segments(self._model, samples, language="en")
            return " ".join(" ".join(s.text for s in segments).split())

    def words(self, samples: np.ndarray) -> list[TimedWord]:
        """Words with their times, for answer feedback (pace, pauses); slower than `transcribe`."""
        if samples.size <= LONG_AUDIO_S * SAMPLE_RATE:
            with self._lock:
                return transcribe_with_words(self._model, samples)
        out: list[TimedWord] = []
        for start, end in pause_windows(samples):
            with self._lock:  # per window, so a live decode can go in between
                found = transcribe_with_words(self._model, samples[start:end])
            offset = start / SAMPLE_RATE
            out += [TimedWord(w.text, w.start_s + offset, w.end_s + offset) for w in found]
        return out

    def text(self, samples: np.ndarray) -> str:
        return self.transcribe(samples)


class ShortWindowDecoder:
    """Greedy decoding of a clip with the encoder run on the clip's own length (whisper.cpp's audio_ctx).

    faster-whisper always pads the features to 3,000 frames (30 s); CTranslate2's encoder accepts
    fewer, and its cost falls with them (measured here: 3,000 frames 1.26 s, 1,000 frames 0.12 s,
    under load). The decoder runs on the shorter encoder output as usual.
    """

    def __init__(self, model: Any) -> None:
        from faster_whisper.tokenizer import Tokenizer

        self._model = model
        self._tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")

    def transcribe(self, samples: np.ndarray, initial_prompt: str | None = None) -> str | None:
        """The text, or None when the decode ran away (the caller then decodes the usual way)."""
        from faster_whisper.transcribe import get_ctranslate2_storage

        padded = np.concatenate([samples.astype(np.float32), np.zeros(int(SHORT_PAD_S * SAMPLE_RATE), np.float32)])
        features = self._model.feature_extractor(padded)
        # Whole seconds of frames (100 per second), so the encoder output length is a round number.
        frames = min(3000, -(-features.shape[-1] // 100) * 100)
        batch = np.zeros((1, features.shape[0], frames), dtype=np.float32)
        batch[0, :, : min(frames, features.shape[-1])] = features[:, :frames]
        encoded = self._model.model.encode(get_ctranslate2_storage(batch))
        previous = self._tokenizer.encode(" " + initial_prompt.strip()) if initial_prompt else []
        allowed = max_new_tokens(samples.size)
        text, looped = self._generate(encoded, self._prompt(previous), allowed)
        if looped and previous:
            # Whisper loops more often with a long prompt (the user's vocabulary and the words said
            # before); the same encoding without it costs one more decoder pass, no encoder.
            retried, looped_again = self._generate(encoded, self._prompt([]), allowed)
            if not looped_again:
                return retried
        # A loop is cut soon after it passes what anyone could say; the caller then decodes the full
        # window. (Decoding the same encoding again with repeats penalised was tried: whisper then says
        # the sentence again in capitals, "...for your country. Ask, but YOU CAN DO FOR YOUR COUNTRY!",
        # which no loop check sees.)
        return text

    def _prompt(self, previous: list[int]) -> list[int]:
        return list(self._model.get_prompt(self._tokenizer, previous, without_timestamps=True))

    def _generate(self, encoded: Any, prompt: list[int], allowed: int) -> tuple[str | None, bool]:
        """The text (None: nothing usable) and whether the decode looped."""
        # How many new tokens CTranslate2 gives for a max_length depends on the prompt's length
        # (measured with tiny.en, 16 past the prompt: 9 new with no vocabulary, 17 with 35 tokens of
        # it), so 2x `allowed` is what lets a loop show in every case: allowed+3 to 2x allowed new
        # tokens (this was 4x, so a loop used to run on for 2-4x what could be said).
        max_length = min(self._model.max_length, len(prompt) + 2 * allowed + 4)
        result = self._model.model.generate(
            encoded,
            [prompt],
            beam_size=1,
            max_length=max_length,
            suppress_blank=True,
            suppress_tokens=[-1],
        )[0]
        tokens = [t for t in result.sequences_ids[0] if t < self._tokenizer.eot]
        text = " ".join(self._tokenizer.decode(tokens).split())
        if len(tokens) <= allowed and _compression_ratio(text) <= MAX_COMPRESSION_RATIO:
            return text, False
        # More words than anyone says in that time, or one phrase repeated: a loop. One that repeats
        # a few tokens ("...implement 3-3-3-3-3-...") keeps what came before it: the full window,
        # tried instead, looped the same way there and took 3.5 s under load, twice in one turn.
        cut = loop_start(tokens)
        if cut is None or cut > allowed:
            return None, True
        return " ".join(self._tokenizer.decode(tokens[:cut]).split()) or None, True


def loop_start(tokens: Sequence[int], repeats: int = 4, longest: int = 8) -> int | None:
    """The end of the first copy of a run of up to `longest` tokens said `repeats` times in a row;
    None when there is no such run."""
    for start in range(len(tokens)):
        for period in range(1, longest + 1):
            end = start + period * repeats
            if end > len(tokens):
                break
            run = tokens[start : start + period]
            if all(tokens[start + k * period : start + (k + 1) * period] == run for k in range(1, repeats)):
                return start + period
    return None


def max_new_tokens(size: int) -> int:
    """The most tokens a decode of `size` samples may give before it is taken for a loop."""
    return int(size / SAMPLE_RATE * MAX_TOKENS_PER_S) + 8


def pause_windows(
    samples: np.ndarray, max_s: float = WINDOW_MAX_S, min_s: float = WINDOW_MIN_S
) -> list[tuple[int, int]]:
    """Cut long audio into windows of at most `max_s`, each cut in the middle of a pause.

    The windows cover every sample in order (quiet speech the VAD missed is still decoded). Pauses
    come from Silero VAD as packaged with faster-whisper; a stretch with no pause at all within
    `max_s` is cut at `max_s` (a word may be split there, the only case that can happen).
    """
    size, longest, shortest = samples.size, round(max_s * SAMPLE_RATE), round(min_s * SAMPLE_RATE)
    if size <= longest:
        return [(0, size)]
    cuts = _pause_midpoints(samples)
    windows: list[tuple[int, int]] = []
    start = 0
    while size - start > longest:
        fits = [c for c in cuts if start + shortest <= c <= start + longest]
        end = fits[-1] if fits else start + longest
        windows.append((start, end))
        start = end
    windows.append((start, size))
    return windows


def packed_windows(clips: Sequence[np.ndarray], max_s: float = WINDOW_MAX_S) -> list[np.ndarray]:
    """Clips in order (each ending in a pause: a live session's utterances) as whisper-sized windows:
    a clip longer than a window is cut in its pauses, and neighbours are joined up to `max_s`.
    Whisper reads a sentence better with the ones around it than alone (an interviewer's turn is
    often ten utterances of a few seconds), and one window costs the same whatever its length."""
    limit = round(max_s * SAMPLE_RATE)
    pieces = [
        c[a:b] for c in clips for a, b in (pause_windows(c) if c.size > LONG_AUDIO_S * SAMPLE_RATE else [(0, c.size)])
    ]
    windows: list[list[np.ndarray]] = []
    for piece in pieces:
        if windows and sum(p.size for p in windows[-1]) + piece.size <= limit:
            windows[-1].append(piece)
        else:
            windows.append([piece])
    return [w[0] if len(w) == 1 else np.concatenate(w) for w in windows]


def continued(options: TranscribeOptions, previous_text: str) -> TranscribeOptions:
    """The options for the next window of one recording: the previous window's last words follow
    the vocabulary prompt (whisper keeps the end of an over-long prompt, so the vocabulary goes first)."""
    tail = " ".join(previous_text.split()[-PREVIOUS_WORDS:])
    if not tail:
        return options
    prompt = f"{options.initial_prompt} {tail}" if options.initial_prompt else tail
    return replace(options, initial_prompt=prompt)


def _pause_midpoints(samples: np.ndarray) -> list[int]:
    """The middle of each silence between two stretches of speech, in samples."""
    prepare_native_runtime()
    from faster_whisper.vad import VadOptions, get_speech_timestamps  # lazy: pulls in onnxruntime

    # A sentence gap of a tenth of a second is a pause to cut in; no padding, so a gap stays a gap.
    options = VadOptions(min_silence_duration_ms=100, speech_pad_ms=0, max_speech_duration_s=WINDOW_MAX_S)
    speech = get_speech_timestamps(samples, options)
    return [(a["end"] + b["start"]) // 2 for a, b in itertools.pairwise(speech) if b["start"] > a["end"]]


def _compression_ratio(text: str) -> float:
    """faster-whisper's test for a looping decode: repetitive text compresses well."""
    data = text.encode()
    return len(data) / len(zlib.compress(data)) if data else 0.0


def transcribe_with_words(model: Any, samples: np.ndarray) -> list[TimedWord]:
    """Words with start/end times from a faster_whisper.WhisperModel (or anything with its API)."""
    segments = decode_segments(model, samples, language="en", word_timestamps=True)
    raw = [TimedWord(w.word.strip(), float(w.start), float(w.end)) for s in segments for w in (s.words or [])]
    return _glue_fragments([w for w in raw if w.text])


def decode_segments(model: Any, samples: np.ndarray, beam_size: int = 1, **options: Any) -> list[Any]:
    """faster-whisper's segments for `samples`, decoded deterministically (see FALLBACK_BEAM_SIZE).

    `options` go to WhisperModel.transcribe as they are. Each window is decoded on its own:
    conditioning on earlier text makes whisper loop on long answers.
    """
    first = _decode_once(model, samples, beam_size, options)
    if beam_size >= FALLBACK_BEAM_SIZE or not any(_unsure(s) for s in first):
        return first
    second = _decode_once(model, samples, FALLBACK_BEAM_SIZE, options)
    return second if _surety(second) > _surety(first) else first


def _surety(segments: list[Any]) -> tuple[bool, float]:
    """How far to trust a decode: passing the thresholds first (a loop is often confident: "3-3-3-..."
    at -0.2 per token), then the mean log probability per token, weighted by each segment's length."""
    if not segments:
        return (False, float("-inf"))  # nothing heard: any text beats it
    sizes = [max(1, len(s.text)) for s in segments]
    mean = sum(s.avg_logprob * n for s, n in zip(segments, sizes, strict=True)) / sum(sizes)
    return (not any(_unsure(s) for s in segments), mean)


def _decode_once(model: Any, samples: np.ndarray, beam_size: int, options: dict[str, Any]) -> list[Any]:
    segments, _info = model.transcribe(
        samples,
        beam_size=beam_size,
        temperature=0.0,
        condition_on_previous_text=False,
        vad_filter=False,
        **options,
    )
    return list(segments)  # a lazy generator: the decoding happens while it is read


def _unsure(segment: Any) -> bool:
    return bool(segment.avg_logprob < LOG_PROB_THRESHOLD or segment.compression_ratio > MAX_COMPRESSION_RATIO)


def _glue_fragments(words: list[TimedWord]) -> list[TimedWord]:
    """Join pieces whisper splits off a word ("$38" ",000", "25" "%") so counts are spoken words."""
    out: list[TimedWord] = []
    for word in words:
        if out and word.text[0] in ",.%" and not any(ch.isalpha() for ch in word.text):
            prev = out[-1]
            out[-1] = TimedWord(prev.text + word.text, prev.start_s, word.end_s)
        else:
            out.append(word)
    return out
