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

from copilot.cli_errors import report_error
from copilot.errors import UsageError, UserError

TOP_SUGGESTIONS = 2


def register(subparsers: Any) -> None:
    from copilot.coverage import COMPETENCY_RULES
    from copilot.drill import DRILL_TYPES

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
    try:
        _drill(args)
    except UserError as exc:
        report_error(str(exc), args.json)
        return exc.exit_code
    return 0


def _check_args(args: argparse.Namespace) -> None:
    if args.count < 1:
        raise UsageError("--count must be 1 or more")
    for option, value in (("--recordings", args.recordings), ("--answers", args.answers)):
        if value is not None and not Path(value).is_dir():
            raise UsageError(f"{value}: no such folder (given to {option})")


def _drill(args: argparse.Namespace) -> None:
    from copilot import paths
    from copilot.composition import open_core
    from copilot.config import load_settings
    from copilot.drill import SCORES_FILE, ScoreBook
    from copilot.feedback import WordTranscriber
    from copilot.history_session import recorded_session
    from copilot.models import whisper_model

    _check_args(args)
    book = ScoreBook(paths.data_dir() / SCORES_FILE)
    settings = load_settings()
    transcriber = WordTranscriber(
        whisper_model(settings.models.whisper).path, settings.models.whisper_compute_type, settings.models.cpu_threads
    )
    core = open_core(settings, args.stories, with_transcriber=False, with_generator=False)
    try:
        plan = _plan(args, core, transcriber, book)
        with recorded_session("drill") as session:
            results = [_one(args, core, transcriber, book, q, i, session) for i, q in enumerate(plan.questions, 1)]
    finally:
        core.close()
    _print_summary(args, results, book)


def _plan(args: argparse.Namespace, core: Any, transcriber: Any, book: Any) -> Any:
    from copilot.audio.decode import load_audio
    from copilot.drill import DrillPlan, bank_questions, folder_questions
    from copilot.knowledge import question_bank

    if args.recordings:
        found = folder_questions(
            Path(args.recordings),
            lambda path: transcriber.text(load_audio(path)),
            lambda text: core.classifier.classify(text).question_type,
        )
        candidates = [q for q in found if not args.type or q.question_type in args.type]
    else:
        candidates = bank_questions(question_bank(), args.type, args.competency)
    if not candidates:
        raise UsageError("no question matches the --type/--competency given (or the recordings folder is empty)")
    return DrillPlan.sample(candidates, args.count, book.means(), args.seed)


def _one(args: argparse.Namespace, core: Any, transcriber: Any, book: Any, q: Any, i: int, session: Any) -> dict:
    from copilot.audio.decode import load_audio
    from copilot.drill import AnswerRecorder, answer_file, play_question, record_answer, score_answer, wait_briefly
    from copilot.feedback import answer_feedback

    if args.answers:
        audio = answer_file(Path(args.answers), i, q)
        samples = load_audio(audio)
    else:
        audio = None
        if not args.json:
            print(f"\nQuestion {i} ({q.question_type}), listen:")
        play_question(q, say=lambda text: None if args.json else print(f"  {text}"))
        wait_briefly()
        if not args.json:
            print("  Answer now; stop talking for 3 s to finish.")
        samples = record_answer(AnswerRecorder())
    feedback = answer_feedback(core, q.text, samples, transcriber, question_type=q.question_type)
    score = score_answer(feedback)
    book.add(q.question_type, score)
    book.save()  # after every answer: a drill stopped half-way still counts what was answered
    result = {
        "index": i,
        "question": q.text,
        "question_type": q.question_type,
        "question_audio": str(q.audio) if q.audio else None,
        "answer_audio": str(audio) if audio else None,
        "score": score,
        "transcript": feedback["transcript"],
        "suggestions": feedback["suggestions"],
        "checks": feedback["content"]["checks"],
        "delivery": feedback["delivery"],
    }
    _record(session, i, q.text, feedback, score)
    _print_one(args, result)
    return result


def _record(session: Any, i: int, question: str, feedback: dict, score: float) -> None:
    if session is None:
        return
    session.record("question", {"question_id": i, "final": True, "text": question})
    session.record("feedback", {"question_id": i, "score": score, **feedback})


def _print_one(args: argparse.Namespace, r: dict) -> None:
    if args.json:
        print(json.dumps(r, ensure_ascii=False))
        return
    print(f"\nQ{r['index']} ({r['question_type']}): {r['question']}")
    print(f"  score {r['score']:.2f}")
    for tip in r["suggestions"][:TOP_SUGGESTIONS]:
        print(f"  - {tip}")


def _print_summary(args: argparse.Namespace, results: list[dict], book: Any) -> None:
    per_type: dict[str, list[float]] = {}
    for r in results:
        per_type.setdefault(r["question_type"], []).append(r["score"])
    means = {t: round(sum(v) / len(v), 3) for t, v in per_type.items()}
    summary = {"summary": True, "questions": len(results), "mean_score_by_type": means, "weakest_types": book.weakest()}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    shown = ", ".join(f"{t} {m:.2f}" for t, m in means.items())
    print(f"\nThis drill: {shown}. Weakest over recent drills: {', '.join(summary['weakest_types']) or '-'}")
