"""`copilot drill`: N questions, each played, answered and scored; weak types come back more often.

    copilot drill [--count N] [--type T]... [--competency C]... [--recordings DIR] [--answers DIR]
                  [--seed S] [--stories DIR] [--json]

The question is played (the recording, or espeak-ng) and the answer recorded from the microphone,
unless `--answers DIR` gives the answers as files (answer1.wav, answer2.wav, ...): then nothing is
played or recorded, so a drill can be scripted. Exit 0 on success, 1 when an input failed (one
line naming the file), 2 on bad usage (DESIGN.md, "Command line contract").
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from copilot.cli.errors import run_guarded
from copilot.errors import UsageError

TOP_SUGGESTIONS = 2


def register(subparsers: Any) -> None:
    from copilot.practice.coverage import COMPETENCY_RULES
    from copilot.practice.drill import DRILL_TYPES

    p = subparsers.add_parser("drill", help="practise N questions; the types you answer worst come back more often")
    p.add_argument("--count", type=int, default=5, metavar="N", help="how many questions (default 5)")
    p.add_argument("--type", action="append", default=[], choices=DRILL_TYPES, help="only this type (repeatable)")
    p.add_argument(
        "--competency", action="append", default=[], choices=sorted(COMPETENCY_RULES), help="only questions about it"
    )
    p.add_argument(
        "--recordings", metavar="DIR", help="draw from your recorded questions (a .txt beside one gives its text)"
    )
    p.add_argument(
        "--answers", metavar="DIR", help="take the answers from answer1.wav, answer2.wav, ... instead of the mic"
    )
    p.add_argument("--seed", type=int, help="the same seed picks the same questions")
    p.add_argument("--stories", metavar="DIR", help="story folder (default: $COPILOT_STORIES_DIR or your data folder)")
    p.add_argument("--json", action="store_true", help="one JSON object per question, then a summary line")
    p.set_defaults(func=run_drill)


def run_drill(args: argparse.Namespace) -> int:
    return run_guarded(args, _drill)


def _check_args(args: argparse.Namespace) -> None:
    if args.count < 1:
        raise UsageError("--count must be 1 or more")
    for option, value in (("--recordings", args.recordings), ("--answers", args.answers)):
        if value is not None and not Path(value).is_dir():
            raise UsageError(f"{value}: no such folder (given to {option})")


def _drill(args: argparse.Namespace) -> None:
    from copilot.composition import open_core
    from copilot.config.models import whisper_model
    from copilot.config.settings import load_settings
    from copilot.history.session import recorded_session
    from copilot.practice.drill import ScoreBook, assess_with
    from copilot.practice.feedback import WordTranscriber

    _check_args(args)
    book = ScoreBook.default()
    settings = load_settings()
    transcriber = WordTranscriber(
        whisper_model(settings.models.whisper).path, settings.models.whisper_compute_type, settings.models.cpu_threads
    )
    core = open_core(settings, args.stories, with_transcriber=False, with_generator=False)
    try:
        candidates = _candidates(args, core, transcriber)
        with recorded_session("drill") as history:
            drill = start_drill(args, candidates, book, assess_with(core, transcriber), history)
            while (question := drill.current) is not None:
                samples, audio = _answer(args, question, drill.index)
                _print_one(args, drill.answer(samples, audio).to_dict())
    finally:
        core.close()
    _print_summary(args, drill.summary().to_dict())


def start_drill(args: argparse.Namespace, candidates: list[Any], book: Any, assess: Any, history: Any) -> Any:
    """The drill's plan: each --type named comes up at least once while --count allows, as the types
    ticked in the app's drill window do (issue 9: two types and two questions gave two of one type)."""
    from copilot.practice.drill import DrillSession

    return DrillSession.start(candidates, args.count, book, assess, history, args.seed, cover=args.type)


def _candidates(args: argparse.Namespace, core: Any, transcriber: Any) -> list[Any]:
    from copilot.audio.decode import load_audio
    from copilot.pipeline.knowledge import question_bank
    from copilot.practice.drill import drill_candidates

    return drill_candidates(
        bank=question_bank(),
        recordings=Path(args.recordings) if args.recordings else None,
        types=args.type,
        competencies=args.competency,
        transcribe=lambda path: transcriber.text(load_audio(path)),
        classify=lambda text: core.classifier.classify(text).question_type,
    )


def _answer(args: argparse.Namespace, q: Any, i: int) -> tuple[Any, Path | None]:
    """The answer's samples: from answer<i>.wav when --answers is given, else asked and recorded live."""
    from copilot.audio.decode import load_audio
    from copilot.practice.drill import AnswerRecorder, answer_file, play_question, record_answer, wait_briefly

    if args.answers:
        audio = answer_file(Path(args.answers), i, q)
        return load_audio(audio), audio
    if not args.json:
        print(f"\nQuestion {i} ({q.question_type}), listen:")
    play_question(q, say=lambda text: None if args.json else print(f"  {text}"))
    wait_briefly()
    if not args.json:
        print("  Answer now; stop talking for 3 s to finish.")
    return record_answer(AnswerRecorder()), None


def _print_one(args: argparse.Namespace, r: dict) -> None:
    if args.json:
        print(json.dumps(r, ensure_ascii=False))
        return
    print(f"\nQ{r['index']} ({r['question_type']}): {r['question']}")
    print(f"  score {r['score']:.2f}")
    for tip in r["suggestions"][:TOP_SUGGESTIONS]:
        print(f"  - {tip}")


def _print_summary(args: argparse.Namespace, summary: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    shown = ", ".join(f"{t} {m:.2f}" for t, m in summary["mean_score_by_type"].items())
    weakest = ", ".join(summary["weakest_types"]) or "none yet (it takes two types drilled, one scoring lower)"
    print(f"\nThis drill: {shown}. Weakest over recent drills: {weakest}")
