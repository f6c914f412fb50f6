"""Evaluation of the mock interviewer on hand-written, hand-scored answers (tests/data/mock_eval).

    python -m copilot.practice.mock.evaluate [--split tune|report|all] [--data DIR] [--verbose]
                                             [--spoken [--incremental]]

Reports how often the first follow-up targets a labelled gap, how often each rubric score is within 1
of the hand score, and the red flags raised against those labelled (false alarms on strong answers
above all). Rules were tuned on the tune half; the report half is the figure to quote.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.practice.mock.session import assess

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "tests" / "data" / "mock_eval"


@dataclass(frozen=True)
class EvalAnswer:
    id: str
    split: str
    type: str
    strong: bool
    question: str
    answer: str
    gaps: tuple[str, ...]
    red_flags: tuple[str, ...]
    scores: dict[str, int]


def load_answers(folder: Path) -> list[EvalAnswer]:
    out: list[EvalAnswer] = []
    files = sorted(folder.glob("answers_*.toml"))
    if not files:
        raise FileNotFoundError(f"{folder}: no answers_*.toml files; give the evaluation folder with --data")
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML ({exc}); fix the file") from exc
        for row in data.get("answer", []):
            out.append(
                EvalAnswer(
                    id=row["id"],
                    split=row["split"],
                    type=row["type"],
                    strong=bool(row.get("strong", False)),
                    question=row["question"],
                    answer=row["answer"],
                    gaps=tuple(row.get("gaps", ())),
                    red_flags=tuple(row.get("red_flags", ())),
                    scores=dict(row["scores"]),
                )
            )
    return out


@dataclass
class Report:
    answers: int = 0
    with_gaps: int = 0
    first_on_gap: int = 0
    strong: int = 0
    strong_invented_gap: int = 0  # a strong answer's first probe names a gap nobody labelled
    criteria: int = 0
    within_one: int = 0
    exact: int = 0
    flags_expected: int = 0
    flags_found: int = 0
    flags_false: int = 0
    strong_false_flags: int = 0
    misses: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def rate(a: int, b: int) -> float | None:
            return round(a / b, 3) if b else None

        return {
            "answers": self.answers,
            "first_follow_up_on_gap": rate(self.first_on_gap, self.with_gaps),
            "answers_with_gaps": self.with_gaps,
            "strong_answers": self.strong,
            "strong_first_probe_invents_gap": self.strong_invented_gap,
            "rubric_within_1": rate(self.within_one, self.criteria),
            "rubric_exact": rate(self.exact, self.criteria),
            "criteria": self.criteria,
            "red_flag_recall": rate(self.flags_found, self.flags_expected),
            "red_flag_false_alarms": self.flags_false,
            "red_flag_false_alarms_on_strong": self.strong_false_flags,
        }


Hear = Callable[[EvalAnswer], "tuple[str, float | None]"]


def evaluate(answers: list[EvalAnswer], hear: Hear | None = None) -> Report:
    """Grade every answer; `hear` turns an answer into (transcript, spoken seconds), e.g. spoken and
    transcribed, so the figures include what speech recognition loses. Default: the written text."""
    report = Report()
    for a in answers:
        transcript, duration = hear(a) if hear else (a.answer, None)
        _score_one(a, transcript, duration, report)
    return report


def spoken(workdir: Path, incremental: bool = False) -> Hear:
    """Each answer spoken by espeak-ng (as documented, whatever else is installed) and transcribed by the
    configured speech model. `incremental`: as the mock hears a microphone answer, stretch by stretch
    while it is spoken (fed at 4x real time), rather than the whole file at once."""
    from copilot.audio.decode import load_audio
    from copilot.config.models import whisper_model
    from copilot.config.settings import load_settings
    from copilot.practice.feedback import WordTranscriber, spoken_span_s, transcript_of
    from copilot.practice.mock.voice import espeak_voice, speak_to_wav

    m = load_settings().models
    transcriber = WordTranscriber(whisper_model(m.whisper).path, m.whisper_compute_type, m.cpu_threads)

    def hear(a: EvalAnswer) -> tuple[str, float | None]:
        samples = load_audio(speak_to_wav(a.answer, workdir / f"{a.id}.wav", espeak_voice()))
        if incremental:
            return _listened(transcriber, samples)
        words = transcriber.words(samples)
        return transcript_of(words), spoken_span_s(words)

    return hear


def _listened(model: Any, samples: Any, speed: float = 4.0) -> tuple[str, float | None]:
    import time

    from copilot.audio import SAMPLE_RATE
    from copilot.practice.mock.listen import IncrementalTranscript

    listen = IncrementalTranscript(model)
    frame = SAMPLE_RATE // 10
    for i in range(0, len(samples), frame):
        listen.feed(samples[i : i + frame])
        time.sleep(0.1 / speed)
    heard = listen.finish()
    return heard.text, heard.duration_s


def _score_one(a: EvalAnswer, transcript: str, duration_s: float | None, report: Report) -> None:
    result = assess(a.question, a.type, transcript, duration_s)
    report.answers += 1
    first = result.follow_ups[0].gap if result.follow_ups else None
    if a.gaps:
        report.with_gaps += 1
        hit = first in a.gaps
        report.first_on_gap += hit
        if not hit:
            report.misses.append(f"{a.id}: first follow-up {first}, labelled {list(a.gaps)}")
    if a.strong:
        report.strong += 1
        if first not in (None, "deeper") and first not in a.gaps:
            report.strong_invented_gap += 1
            report.misses.append(f"{a.id}: strong answer probed for {first}")
    for name, hand in a.scores.items():
        got = result.rubric[name].score if name in result.rubric else None
        if got is None:
            raise KeyError(f"{a.id}: the rubric for {a.type} has no criterion {name!r}")
        report.criteria += 1
        report.within_one += abs(got - hand) <= 1
        report.exact += got == hand
        if abs(got - hand) > 1:
            report.misses.append(f"{a.id}: {name} scored {got}, hand {hand}")
    raised = {f.id for f in result.red_flags}
    report.flags_expected += len(a.red_flags)
    report.flags_found += len(raised & set(a.red_flags))
    false = raised - set(a.red_flags)
    report.flags_false += len(false)
    if a.strong:
        report.strong_false_flags += len(false)
    if false or set(a.red_flags) - raised:
        report.misses.append(f"{a.id}: red flags {sorted(raised)}, labelled {sorted(a.red_flags)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m copilot.practice.mock.evaluate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--split", choices=("tune", "report", "holdout", "all"), default="report")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    parser.add_argument("--spoken", action="store_true", help="speak each answer (espeak-ng) and transcribe it")
    parser.add_argument(
        "--incremental", action="store_true", help="with --spoken: transcribe it while it is spoken, as the mock does"
    )
    args = parser.parse_args(argv)
    try:
        answers = load_answers(args.data)
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    chosen = [a for a in answers if args.split == "all" or a.split == args.split]
    with tempfile.TemporaryDirectory(prefix="mock-eval-") as tmp:
        report = evaluate(chosen, spoken(Path(tmp), args.incremental) if args.spoken else None)
    for key, value in report.to_dict().items():
        print(f"{key}: {value}")
    if args.verbose:
        print("\n".join(report.misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
