"""How long the interviewer takes to ask its follow-up once the candidate stops, and where the time goes.

    python -m copilot.practice.mock.latency [--answers N] [--speed X] [--split S] [--mode before|after|both]
                                            [--stop-after-s S]

Each answer of the evaluation set is spoken by espeak-ng, fed frame by frame at `--speed` times real
time (faster than real time is harder on the worker, so conservative), then `--stop-after-s` of quiet
(the candidate reaching for Stop; 0 by default, the worst case), and at the stop the clock starts: the tail's transcription, the follow-up chosen from the answer (signals, rubric, probes), and
the follow-up's speech synthesised up to the first sample ready to play. "before" is the pipeline as
it was (20 s chunks only, each and the tail decoded in a padded 30 s window with word times, the
follow-up through a wav and the audio decoder); "after" is the current one. Both run in the same process, one
answer after the other, so they see the same load.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from copilot.audio import SAMPLE_RATE
from copilot.practice.mock.evaluate import DEFAULT_DATA, EvalAnswer, load_answers
from copilot.practice.mock.listen import CHUNK_S, IncrementalTranscript
from copilot.practice.mock.session import assess

FRAME = SAMPLE_RATE // 10  # the microphone's 100 ms blocks


@dataclass(frozen=True)
class Timing:
    answer_id: str
    mode: str
    answer_s: float
    chunks: int
    tail_audio_s: float
    transcribe_s: float
    assess_s: float
    synthesize_s: float

    @property
    def total_s(self) -> float:
        return self.transcribe_s + self.assess_s + self.synthesize_s


class _WordsOnly:
    """The model without its short-window text decode: every stretch goes through `words`, as before."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def words(self, samples: np.ndarray) -> Any:
        return self._model.words(samples)


def _old_synthesize(text: str) -> None:
    from copilot.practice.drill import synthesize

    synthesize(text)


def _new_synthesize(text: str) -> None:
    from copilot.practice.mock.voice import default_voice

    next(default_voice().sentences(text))  # the first sentence ready: playback can start


def measure(
    answer: EvalAnswer, samples: np.ndarray, model: Any, mode: str, speed: float, stop_after_s: float = 0.0
) -> Timing:
    if mode == "before":
        listen = IncrementalTranscript(_WordsOnly(model), min_chunk_s=CHUNK_S)
        synthesize: Callable[[str], None] = _old_synthesize
    else:
        listen = IncrementalTranscript(model)
        synthesize = _new_synthesize
    fed = np.concatenate([samples, np.zeros(int(stop_after_s * SAMPLE_RATE), dtype=np.float32)])
    for i in range(0, len(fed), FRAME):
        listen.feed(fed[i : i + FRAME])
        time.sleep(FRAME / SAMPLE_RATE / speed)
    stopped = time.perf_counter()
    heard = listen.finish()
    transcribed = time.perf_counter()
    result = assess(answer.question, answer.type, heard.text, heard.duration_s)
    assessed = time.perf_counter()
    probe = result.follow_ups[0].text if result.follow_ups else "Thank you. Let's move on."
    synthesize(probe)
    spoken = time.perf_counter()
    return Timing(
        answer.id,
        mode,
        round(len(samples) / SAMPLE_RATE, 1),
        heard.chunks,
        round(heard.tail_s, 1),
        transcribed - stopped,
        assessed - transcribed,
        spoken - assessed,
    )


def _load_model() -> Any:
    from copilot.config.models import whisper_model
    from copilot.config.settings import load_settings
    from copilot.practice.feedback import WordTranscriber

    m = load_settings().models
    return WordTranscriber(whisper_model(m.whisper).path, m.whisper_compute_type, m.cpu_threads)


def _spoken(answer: EvalAnswer, folder: Path) -> np.ndarray:
    from copilot.audio.decode import load_audio
    from copilot.practice.mock.voice import espeak_voice, speak_to_wav

    return load_audio(speak_to_wav(answer.answer, folder / f"{answer.id}.wav", espeak_voice()))


def _print(timings: list[Timing]) -> None:
    for t in timings:
        print(
            f"{t.answer_id} {t.mode:6} answer {t.answer_s:5.1f} s  chunks {t.chunks}  tail {t.tail_audio_s:4.1f} s  "
            f"transcribe {t.transcribe_s:5.2f}  assess {t.assess_s:5.3f}  synthesize {t.synthesize_s:5.3f}  "
            f"total {t.total_s:5.2f} s"
        )
    for mode in sorted({t.mode for t in timings}):
        mine = [t for t in timings if t.mode == mode]
        print(
            f"{mode}: p50 total {statistics.median(t.total_s for t in mine):.2f} s "
            f"(transcribe {statistics.median(t.transcribe_s for t in mine):.2f}, "
            f"assess {statistics.median(t.assess_s for t in mine):.3f}, "
            f"synthesize {statistics.median(t.synthesize_s for t in mine):.3f}); n={len(mine)}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m copilot.practice.mock.latency", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--answers", type=int, default=4, help="how many answers (the longest first)")
    parser.add_argument("--speed", type=float, default=1.0, help="times real time the answer is fed")
    parser.add_argument("--split", choices=("tune", "report", "holdout", "all"), default="all")
    parser.add_argument("--mode", choices=("before", "after", "both"), default="both")
    parser.add_argument("--stop-after-s", type=float, default=0.0, help="quiet between the last word and the stop")
    args = parser.parse_args(argv)
    answers = [a for a in load_answers(DEFAULT_DATA) if args.split in ("all", a.split)]
    answers = sorted(answers, key=lambda a: -len(a.answer.split()))[: args.answers]
    model = _load_model()
    modes = ("before", "after") if args.mode == "both" else (args.mode,)
    timings: list[Timing] = []
    with tempfile.TemporaryDirectory(prefix="copilot-latency-") as tmp:
        for answer in answers:
            samples = _spoken(answer, Path(tmp))
            for mode in modes:
                timings.append(measure(answer, samples, model, mode, args.speed, args.stop_after_s))
                print(timings[-1], flush=True)
    _print(timings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
