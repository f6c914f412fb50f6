"""`copilot mock`: a mock interview that asks, listens, follows up and grades.

    copilot mock [--role R] [--level L] [--rounds ROUND ...] [--seed S]
                 [--answer-files A1 A2 ...] [--speak-to DIR] [--json]

Each question is spoken with espeak-ng (into DIR with --speak-to, and played when a speaker is
there) and answered by microphone, or, with --answer-files, by files in order: audio (transcribed
locally) or text (.txt, .md). With --json each question prints one JSON line (its follow-ups,
rubric and red flags), then a summary line. Exit 0, 1 when an input failed (one line naming the
file), 2 on bad usage (DESIGN.md, "Command line contract").
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

from copilot.cli.errors import run_guarded
from copilot.errors import InputFileError, UsageError, UserError

TEXT_SUFFIXES = (".txt", ".md")


def register(subparsers: Any) -> None:
    from copilot.practice.mock.loops import loops

    loop = loops()
    p = subparsers.add_parser("mock", help="a mock interview: questions spoken, follow-ups from your answers, graded")
    p.add_argument("--role", choices=sorted(loop.roles), default="ml_engineer")
    p.add_argument("--level", choices=sorted(loop.levels), default="senior")
    p.add_argument(
        "--rounds", nargs="+", choices=sorted(loop.rounds), metavar="ROUND", help="rounds to run (default: the loop)"
    )
    p.add_argument("--quick", action="store_true", help="the quick 15-minute mix (same as --rounds quick)")
    p.add_argument("--seed", type=int, help="the same seed asks the same questions")
    p.add_argument(
        "--answer-files", nargs="+", metavar="FILE", help="answers in order (audio, or .txt/.md text): no mic"
    )
    p.add_argument(
        "--follow-up-files", nargs="+", metavar="FILE", help="an answer to each first follow-up ('-' for none)"
    )
    p.add_argument(
        "--recordings", metavar="DIR", help="your recorded questions (X.wav with its text in X.txt): played when asked"
    )
    p.add_argument("--speak-to", metavar="DIR", help="write each question and follow-up as a wav into DIR")
    p.add_argument("--stories", metavar="DIR", help="match behavioral answers to the stories in DIR (or draft one)")
    p.add_argument("--report", metavar="FILE", help="write an HTML report, with the trend over your past mocks")
    p.add_argument("--json", action="store_true", help="one JSON object per question, then a summary line")
    p.set_defaults(func=run_mock)


def run_mock(args: argparse.Namespace) -> int:
    return run_guarded(args, _mock)


def _mock(args: argparse.Namespace) -> None:
    from copilot.history.session import recorded_session
    from copilot.practice.mock.report import record_mock
    from copilot.practice.mock.session import MockInterview

    if args.quick and args.rounds:
        raise UsageError("give --quick or --rounds, not both")
    answers = _existing_files(args.answer_files)
    follow = [None if f == "-" else f for f in args.follow_up_files or []]
    if follow and len(follow) != len(answers):
        raise UsageError("--follow-up-files needs one entry per answer file ('-' for none)")
    mock = MockInterview(args.role, args.level, ["quick"] if args.quick else args.rounds, args.seed)
    if len(answers) > len(mock.plan):
        raise UsageError(f"{len(answers)} answer files for {len(mock.plan)} questions; give at most {len(mock.plan)}")
    listener = _Listener(answers, _existing_files(follow))
    speak_dir = Path(args.speak_to) if args.speak_to else None
    recorded = _recorded_questions(Path(args.recordings)) if args.recordings else {}
    lines: list[dict[str, Any]] = []
    stories = _StoryMatcher(Path(args.stories)) if args.stories else None
    with recorded_session("mock") as history:
        for i in range(len(answers) if answers else len(mock.plan)):
            lines.append(_ask(mock, i, listener, (speak_dir, recorded), live=not answers, human=not args.json))
            if stories is not None:
                lines[-1].update(stories.match(lines[-1]))
            _print_one(args, lines[-1])
        if history is not None:
            record_mock(history, lines, mock.summary())
    _print_summary(args, mock.summary())
    if args.report:
        _write_report(Path(args.report), lines, mock.summary(), human=not args.json)


def _write_report(path: Path, lines: list[dict[str, Any]], summary: dict[str, Any], human: bool) -> None:
    """The HTML report, with the trend of the mocks in the history (this one included) when it opens."""
    from copilot.atomic import write_text_atomic
    from copilot.history.session import history_wanted
    from copilot.history.store import open_default_store
    from copilot.practice.mock.report import past_summaries, report_html, trend

    points: list[tuple[str, dict[str, Any]]] = []
    if history_wanted():
        try:
            with open_default_store() as store:
                points = past_summaries(store)
        except UserError:  # no keychain or a wrong key: recording already said so; the report goes on
            points = []
    write_text_atomic(path, report_html(lines, summary, trend(points)))
    if human:
        print(f"  Report: {path}")


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def _recorded_questions(folder: Path) -> dict[str, Path]:
    """Recordings with their text beside them (X.txt), so a planned question can be matched exactly."""
    from copilot.practice.drill import recordings_in

    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder (given to --recordings)")
    found = {}
    for audio in recordings_in(folder):
        sidecar = audio.with_suffix(".txt")
        if sidecar.is_file():
            found[_normalised(sidecar.read_text(encoding="utf-8"))] = audio
    return found


def _existing_files(names: list[str | None] | None) -> list[Path]:
    """The answer files, each checked before the first question is asked, so a bad one fails at once."""
    from copilot.audio.decode import load_audio

    paths = [Path(n) for n in names or [] if n is not None]
    for path in paths:
        if not path.is_file():
            raise InputFileError(path, "no such file; give the answers as audio or .txt files")
        if path.suffix.lower() in TEXT_SUFFIXES:
            _read_text(path)
        else:
            load_audio(path)  # raises InputFileError naming the file; decoded again when it is its turn
    return paths


def _ask(
    mock: Any, i: int, listener: _Listener, voice: tuple[Path | None, dict[str, Path]], live: bool, human: bool
) -> dict[str, Any]:
    """One question: spoken, answered, graded; its first follow-up spoken and, when there is an answer
    to it (live, or a follow-up file), answered and graded with the question."""
    question = mock.plan[i]
    if human:
        print(f"\nQ{i + 1} [{question.round}, {question.question_type}]: {question.text}")
    speak_dir, recordings = voice  # where to write the spoken wavs; the user's own recorded questions
    recorded = recordings.get(_normalised(question.text))
    if recorded is not None:  # the user's own recording of the question, played as it is
        spoken: str | None = str(recorded)
        if live:
            _play_file(recorded)
    else:
        spoken = _speak(question.text, speak_dir, f"q{i + 1}", play=live)
    text, duration, transcribe_s = listener.answer(i)
    started = time.perf_counter()
    result = mock.answer(text, duration)
    assess_s = time.perf_counter() - started
    probes = result.assessment.follow_ups
    follow_audio = None
    if probes:
        if human:
            print(f"  Follow-up: {probes[0].text}")
        follow_audio = _speak(probes[0].text, speak_dir, f"q{i + 1}-follow-up", play=live)
        follow = listener.follow_up(i, live)
        if follow is not None:
            result = mock.answer_follow_up(*follow)
    return {
        "index": i + 1,
        **result.to_dict(),
        "answer_file": str(listener.files[i]) if listener.files else None,
        "question_audio": spoken,
        "follow_up_audio": follow_audio,
        "timings_s": {"transcribe": round(transcribe_s, 3), "assess": round(assess_s, 4)},
    }


class _StoryMatcher:
    """The library story a behavioral answer retells (feedback.py's matching), or a draft for it."""

    def __init__(self, folder: Path) -> None:
        from copilot.adapters.embedding import OnnxEmbedder
        from copilot.config import models
        from copilot.config.settings import load_settings
        from copilot.stories.library import load_library

        if not folder.is_dir():
            raise UsageError(f"{folder}: no such folder (given to --stories)")
        self.stories = load_library(folder).stories
        m = load_settings().models
        self.embedder = OnnxEmbedder(
            models.embedding_model(m.embedding).path, models.embedding_tokenizer().path, threads=m.cpu_threads
        )

    def match(self, line: dict[str, Any]) -> dict[str, Any]:
        from dataclasses import asdict

        from copilot.practice.feedback import best_story, draft_story
        from copilot.stories.write import render_story

        if line["question_type"] != "behavioral":
            return {}
        whole = " ".join([line["transcript"], *line["follow_up_answers"]])
        found = best_story(whole, self.stories, self.embedder) if self.stories else None
        if found is not None:
            return {"matched_story": asdict(found), "draft_story": None}
        return {"matched_story": None, "draft_story": render_story(draft_story(line["question"], whole))}


class EnterKey:
    """Enter on the terminal ends a spoken answer at once, as Space does in the window: the 3 s of
    silence that otherwise ends it would keep the next question 3 s behind the candidate.

    One daemon thread reads the terminal's lines for the whole run; `arm()` forgets earlier presses
    and returns the event the next press sets. Not a terminal (a pipe, a script): silence only."""

    def __init__(self, stream: Any, *, force: bool = False) -> None:
        self._stream = stream
        self.available = force or bool(getattr(stream, "isatty", lambda: False)())
        self._pressed = threading.Event()
        self._reader: threading.Thread | None = None

    def arm(self) -> threading.Event:
        self._pressed.clear()
        if self.available and self._reader is None:
            self._reader = threading.Thread(target=self._read, name="enter-key", daemon=True)
            self._reader.start()
        return self._pressed

    def _read(self) -> None:
        for _line in iter(self._stream.readline, ""):
            self._pressed.set()


class _Listener:
    """The candidate's answers: from the files in order, else the microphone (whisper loaded once)."""

    def __init__(self, files: list[Path], follow_up_files: list[Path]) -> None:
        self.files = files
        self.follow_up_files = follow_up_files
        self._transcriber: Any = None
        self._enter = EnterKey(sys.stdin)

    def answer(self, i: int) -> tuple[str, float | None, float]:
        """(transcript, spoken seconds or None for text, seconds spent transcribing)."""
        return self._hear(self.files[i] if self.files else None)

    def follow_up(self, i: int, live: bool) -> tuple[str, float | None] | None:
        """The answer to the follow-up: live from the mic, else its file (None when there is none)."""
        if live:
            text, duration, _ = self._hear(None)
            return text, duration
        if i < len(self.follow_up_files):
            text, duration, _ = self._hear(self.follow_up_files[i])
            return text, duration
        return None

    def _hear(self, path: Path | None) -> tuple[str, float | None, float]:
        if path is not None and path.suffix.lower() in TEXT_SUFFIXES:
            return _read_text(path), None, 0.0
        from copilot.audio.decode import load_audio
        from copilot.practice.feedback import spoken_span_s, transcript_of

        if path is None:  # the microphone: transcribed while spoken, only the tail after the stop
            return self._record_and_transcribe()
        started = time.perf_counter()
        words = self._words_model().words(load_audio(path))
        took = time.perf_counter() - started
        if not words and path is not None:
            raise InputFileError(path, "no speech was recognised in the answer; check the recording")
        return transcript_of(words), spoken_span_s(words), took

    def _record_and_transcribe(self) -> tuple[str, float | None, float]:
        from dataclasses import dataclass

        from copilot.practice.drill import AnswerRecorder, record_answer
        from copilot.practice.mock.listen import IncrementalTranscript

        listen = IncrementalTranscript(self._words_model())

        @dataclass
        class Feeding(AnswerRecorder):
            def feed(self, samples: Any) -> bool:
                listen.feed(samples)
                return super().feed(samples)

        finished = self._enter.arm()
        hint = "press Enter when you are done, or " if self._enter.available else ""
        print(f"  Answer now; {hint}stop talking for 3 s to finish.", file=sys.stderr)  # stdout: JSON lines
        record_answer(Feeding(), stop=finished)
        started = time.perf_counter()
        heard = listen.finish()
        return heard.text, heard.duration_s, time.perf_counter() - started

    def _words_model(self) -> Any:
        if self._transcriber is None:
            from copilot.config.models import whisper_model
            from copilot.config.settings import load_settings
            from copilot.practice.feedback import WordTranscriber

            m = load_settings().models
            self._transcriber = WordTranscriber(whisper_model(m.whisper).path, m.whisper_compute_type, m.cpu_threads)
        return self._transcriber


def _read_text(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(path, "is not UTF-8 text; save it as UTF-8 or give an audio file") from exc
    if not text.strip():
        raise InputFileError(path, "is empty; write the answer in it")
    return " ".join(text.split())


def _speak(text: str, folder: Path | None, name: str, play: bool) -> str | None:
    """The text as a wav in `folder` (None without a folder or a voice); played aloud when `play`.
    Synthesised once: the same speech is written and played, straight from memory."""
    from copilot.practice.mock.voice import VoiceUnavailable, default_voice, play_sentences, speak_to_wav
    from copilot.practice.mock.voice import play as play_speech

    try:
        voice = default_voice()
        if folder is None:  # nothing to write: each sentence plays as soon as it is ready
            if play:
                play_sentences(voice.sentences(text))
            return None
        speech = voice.synthesize(text)
    except VoiceUnavailable:
        return None  # the question is printed; nothing can be heard or written
    path = speak_to_wav(text, folder / f"{name}.wav", speech=speech)
    if play:
        play_speech(speech)
    return str(path)


def _play_file(path: Path) -> None:
    from copilot.practice.drill import DrillQuestion, play_question

    play_question(DrillQuestion(text=path.stem, question_type="other", audio=path), say=lambda _t: None)


def _print_one(args: argparse.Namespace, line: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps(line, ensure_ascii=False), flush=True)
        return
    for name, score in line["rubric"].items():
        quote = f'  "{score["evidence"][0]}"' if score["evidence"] else ""
        print(f"  {name.replace('_', ' ')}: {score['score']}/4{quote}")
    for flag in line["red_flags"]:
        print(f"  ! {flag['message']}")
    for probe in line["follow_ups"][1:]:
        print(f"  Next probe: {probe}")


def _print_summary(args: argparse.Namespace, summary: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps({"summary": summary}, ensure_ascii=False))
        return
    print(f"\n{summary['questions']} questions, {summary['role']} ({summary['level']}).")
    for round_id, criteria in summary["rounds"].items():
        print(f"  {round_id}: " + ", ".join(f"{c} {m:.1f}" for c, m in criteria.items()))
    print(f"  Red flags: {', '.join(summary['red_flags']) or 'none'}")
    print(f"  Next drills: {', '.join(summary['next_drills']) or '-'}")
