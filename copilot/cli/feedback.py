"""`copilot feedback ANSWER_AUDIO --question TEXT`: feedback on one recorded answer.

Follows the command line contract in DESIGN.md: exit 0 on success, 1 when an input failed (one
line naming the file, no traceback; with --json a JSON line with an "error" field), 2 on bad usage.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from copilot.cli.errors import run_single
from copilot.errors import UsageError, UserError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "feedback",
        help="feedback on a recorded answer: pace, fillers, pauses, and the framework for the question",
    )
    p.add_argument("answer", metavar="ANSWER_AUDIO", help="your recorded answer: wav, flac, mp3, ogg or m4a")
    question = p.add_mutually_exclusive_group(required=True)
    question.add_argument("--question", metavar="TEXT", help="the question you answered")
    question.add_argument("--question-audio", metavar="FILE", help="a recording of the question instead")
    p.add_argument("--stories", metavar="DIR", help="story folder (default: $COPILOT_STORIES_DIR or your data folder)")
    p.add_argument("--save-draft", action="store_true", help="save a draft story when the answer matched none")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(func=run_feedback)


def run_feedback(args: argparse.Namespace) -> int:
    return run_single(args, _feedback, _print_human)


def _feedback(args: argparse.Namespace) -> dict[str, Any]:
    from copilot.audio.decode import load_audio
    from copilot.composition import open_core
    from copilot.config.models import whisper_model
    from copilot.config.settings import load_settings
    from copilot.practice.feedback import WordTranscriber, answer_feedback

    if args.question is not None and not args.question.strip():
        raise UsageError("--question is empty; give the question you answered")
    # Read the recordings before loading any model, so a bad file fails in a moment.
    answer = load_audio(args.answer)
    question_samples = load_audio(args.question_audio) if args.question_audio else None
    settings = load_settings()
    # One whisper model for both: the core's own transcriber gives no word timings.
    transcriber = WordTranscriber(
        whisper_model(settings.models.whisper).path, settings.models.whisper_compute_type, settings.models.cpu_threads
    )
    question = transcriber.text(question_samples) if question_samples is not None else args.question
    if not question.strip():
        raise UserError(f"{args.question_audio}: no speech was recognised in the question; check the recording")
    core = open_core(settings, args.stories, with_transcriber=False, with_generator=False)
    try:
        result = answer_feedback(core, question, answer, transcriber).to_dict()
        if not result["transcript"].strip():
            raise UserError(f"{args.answer}: no speech was recognised in the answer; check the recording")
        result["answer_audio"] = str(args.answer)
        result["draft_saved"] = _save_draft(result, core.library.folder) if args.save_draft else None
    finally:
        core.close()
    return result


def _save_draft(result: dict[str, Any], folder: Path) -> str | None:
    """Write the draft under a free name; save_story writes atomically and never overwrites."""
    from dataclasses import replace

    from copilot.practice.feedback import draft_story
    from copilot.stories.library import load_library
    from copilot.stories.write import save_story

    if result["draft_story"] is None:
        return None
    draft = draft_story(result["question"], result["transcript"])
    taken_ids = {s.id for s in load_library(folder).stories} if folder.is_dir() else set()
    stem, n = draft.id, 2
    while stem in taken_ids or (folder / f"{stem}.md").exists():
        stem, n = f"{draft.id}-{n}", n + 1
    saved = save_story(replace(draft, id=stem), folder / f"{stem}.md")
    return str(saved.path)


def _print_human(r: dict[str, Any]) -> None:
    d = r["delivery"]
    print(f"Question ({r['question_type']}): {r['question']}")
    print(f"You said: {r['transcript']}")
    print(
        f"Delivery: {d['words_per_minute']:.0f} words/min over {d['duration_s']:.0f} s, "
        f"{d['filler_count']} fillers, longest pause {d['longest_pause_s']:.1f} s"
    )
    heard = [k for k, v in r["content"]["checks"].items() if v is True]
    missing = [k for k, v in r["content"]["checks"].items() if v is False]
    print(f"Heard: {', '.join(heard) or '-'}; not heard: {', '.join(missing) or '-'}")
    story = r["matched_story"]
    if story:
        print(f"Matches your story: {story['title']} ({story['score']:.2f})")
    elif r["draft_story"]:
        where = f"saved to {r['draft_saved']}" if r.get("draft_saved") else "use --save-draft to keep it"
        print(f"No story in your library matches; a draft was made ({where}).")
    for tip in r["suggestions"]:
        print(f"- {tip}")
    for flag in r.get("red_flags", []):
        print(f"! {flag['message']}")
    for probe in r.get("follow_ups", [])[:1]:
        print(f"An interviewer would ask next: {probe}")
