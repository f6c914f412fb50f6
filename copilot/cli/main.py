"""The `copilot` command (DESIGN.md, "Command line contract").

Exit codes: 0 success, 1 when some inputs failed (each failure still reported), 2 bad usage.
User errors print one line, never a traceback; JSON output is one object per line.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from copilot import __version__
from copilot.errors import UsageError, UserError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse exits 2 on usage errors, as the contract wants
        self.print_usage(sys.stderr)
        self.exit(2, f"copilot: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from copilot.cli.coverage import register as register_coverage
    from copilot.cli.drill import register as register_drill
    from copilot.cli.feedback import register as register_feedback
    from copilot.cli.history import register as register_history
    from copilot.cli.listen import register as register_listen
    from copilot.cli.mock import register as register_mock
    from copilot.cli.models import register as register_models
    from copilot.cli.stories import register as register_stories

    parser = _Parser(
        prog="copilot", description="Interview Copilot: practise interviews with cues from your own stories."
    )
    parser.add_argument("--version", action="version", version=f"copilot {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub: Any = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_rehearse(sub)
    _add_classify(sub)
    register_stories(sub)
    register_history(sub)
    register_feedback(sub)
    register_drill(sub)
    register_coverage(sub)
    register_mock(sub)
    register_models(sub)
    _add_index(sub)
    _add_doctor(sub)
    _add_key(sub)
    register_listen(sub, _settings_for, _progress)
    _add_bench(sub)
    devices = sub.add_parser("devices", help="audio devices, and system-audio (loopback) sources")
    devices.add_argument("--json", action="store_true")
    devices.set_defaults(func=_run_devices)
    app = sub.add_parser("app", help="open the desktop app (options after it go to the app, e.g. --replay FILE)")
    app.add_argument("app_args", nargs=argparse.REMAINDER)
    app.set_defaults(func=_run_app)
    return parser


def _add_rehearse(sub: Any) -> None:
    p = sub.add_parser("rehearse", help="run recorded (or typed) questions through the whole pipeline")
    p.add_argument("audio", nargs="*", help="recorded questions: wav, flac, mp3, ogg or m4a")
    p.add_argument("--text", action="append", default=[], metavar="QUESTION", help="a typed question (repeatable)")
    p.add_argument("--stories", metavar="DIR", help="story folder (default: $COPILOT_STORIES_DIR or your data folder)")
    p.add_argument("--no-llm", action="store_true", help="composer bullets only, skip the language model")
    p.add_argument("--json", action="store_true", help="one JSON object per question")
    p.set_defaults(func=_run_rehearse)


def _add_classify(sub: Any) -> None:
    p = sub.add_parser("classify", help="question type of each TEXT (or each stdin line)")
    p.add_argument("text", nargs="*")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_run_classify)


def _add_index(sub: Any) -> None:
    p = sub.add_parser("index", help="the local search index of stories and cards")
    p.add_argument("action", choices=["rebuild", "status"])
    p.add_argument("--stories", metavar="DIR")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_run_index)


def _add_doctor(sub: Any) -> None:
    p = sub.add_parser("doctor", help="which models, audio backends and loopback capture were found")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_run_doctor)


def _add_key(sub: Any) -> None:
    p = sub.add_parser("key", help="store or remove an LLM server's API key in the OS keychain")
    p.add_argument("action", choices=["set", "delete"])
    p.add_argument("url", help="the server URL, as in [llm] server_url")
    p.set_defaults(func=_run_key)


def _run_key(args: argparse.Namespace) -> int:
    import getpass

    from copilot.config.secrets import delete_api_key, set_api_key

    if args.action == "delete":
        delete_api_key(args.url)
        print(f"removed the key for {args.url}")
        return 0
    # getpass keeps the key off the screen and out of the shell history; piped input works too.
    key = getpass.getpass(f"API key for {args.url}: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    if not key:
        raise UsageError("no key given")
    set_api_key(args.url, key)
    print(f"stored the key for {args.url} in the OS keychain")
    return 0


def _add_bench(sub: Any) -> None:
    p = sub.add_parser("bench", help="live-path latency on recorded interview turns, paced in real time")
    p.add_argument("--audio", nargs="+", default=[], metavar="FILE", help="recordings (default: made with espeak-ng)")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--stories", metavar="DIR")
    p.add_argument("--no-llm", action="store_true", help="skip the language-model rewrite")
    p.add_argument("--whisper", metavar="NAME", help="speech model for this run: tiny.en, base.en or a folder")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_run_bench)


def _settings_for(args: argparse.Namespace) -> Any:
    from dataclasses import replace

    from copilot.config.settings import load_settings

    settings = load_settings()
    if getattr(args, "no_llm", False):
        settings = replace(settings, llm=replace(settings.llm, backend="none"))
    if getattr(args, "whisper", None):
        settings = replace(settings, models=replace(settings.models, whisper=args.whisper))
    return settings


def _run_bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    from copilot.composition import open_core
    from copilot.live.bench import bench

    if args.runs < 1:
        raise UsageError("--runs must be at least 1")
    core = open_core(_settings_for(args), args.stories, progress=_progress(args))

    def emit(row: dict[str, Any]) -> None:
        if args.json:
            print(json.dumps(row), flush=True)
        elif row.get("summary"):
            print("summary: " + ", ".join(f"{k} {v}" for k, v in row.items() if k != "summary"))
        else:
            print(f"{Path(row['audio']).name}: " + ", ".join(f"{k} {row[k]}" for k in row if k.endswith("_ms")))

    try:
        result = bench(core, [Path(a) for a in args.audio], args.runs, emit)
    finally:
        core.close()
    return 0 if result["completed"] == result["runs"] else 1


def _run_devices(args: argparse.Namespace) -> int:
    from copilot.audio.devices import devices_command

    return devices_command(args.json)


def _progress(args: argparse.Namespace) -> Any:
    def report(message: str) -> None:
        print(f"copilot: {message}", file=sys.stderr)

    return report


def _run_rehearse(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from pathlib import Path

    from copilot.composition import open_core
    from copilot.config.settings import load_settings
    from copilot.history.session import recorded_session
    from copilot.practice.rehearse import RehearsalInput, rehearse_all

    if not args.audio and not args.text:
        raise UsageError("give at least one AUDIO file or --text QUESTION")
    if any(not t.strip() for t in args.text):  # refused before anything loads or reaches history
        raise UsageError("--text is empty: give the question's words, e.g. --text 'Tell me about yourself'")
    inputs = [RehearsalInput(Path(a), None) for a in args.audio] + [RehearsalInput(None, t) for t in args.text]
    settings = load_settings()
    if args.no_llm:
        settings = replace(settings, llm=replace(settings.llm, backend="none"))
    core = open_core(settings, args.stories, with_transcriber=bool(args.audio), progress=_progress(args))
    failed = 0
    try:
        with recorded_session("rehearsal") as history:
            for number, raw in enumerate(rehearse_all(core, inputs), start=1):
                result = _unless_filler(raw.to_dict())  # the JSON edge: typed results become dicts here
                failed += "error" in result
                _print_result(result, args.json, _print_rehearsal)
                if history is not None:
                    history.record_rehearsal(result, number)
    finally:
        core.close()
    return 1 if failed else 0


def _unless_filler(result: dict[str, Any]) -> dict[str, Any]:
    """A recording whose transcript is only filler ("you" x240 on silence) is an error, not a question."""
    from copilot.practice.filler import filler_error, is_filler_only

    if "error" in result or not result.get("audio") or not is_filler_only(result.get("transcript", "")):
        return result
    return {"audio": result["audio"], "text": None, "error": filler_error(result["audio"], result["transcript"])}


def _print_result(result: dict[str, Any], as_json: bool, human: Any) -> None:
    if as_json:
        print(json.dumps(result, ensure_ascii=False), flush=True)
    elif "error" in result:
        print(f"copilot: {result['error']}", file=sys.stderr)
    else:
        human(result)


def _print_rehearsal(r: dict[str, Any]) -> None:
    source = r["audio"] or "typed question"
    print(f"\n{source}\n  Q: {r['transcript']}")
    print(f"  type: {r['question_type']} ({r['type_confidence']:.0%})")
    for f in r["frameworks"]:
        print(f"  framework: {f['title']}")
    for s in r["stories"]:
        print(f"  story: {s['title']} [{s['id']}] score {s['score']:.2f}")
    for t in r["topics"]:
        print(f"  topic: {t['title']}")
    for b in r["bullets"]:
        print(f"   - {b}")
    t = r["timings_ms"]
    print("  ms: " + ", ".join(f"{k} {v:.0f}" for k, v in t.items()))


def _run_classify(args: argparse.Namespace) -> int:
    from copilot.adapters.embedding import OnnxEmbedder
    from copilot.config import models, paths
    from copilot.config.settings import load_settings
    from copilot.pipeline.classifier import QuestionClassifier

    if any(not t.strip() for t in args.text):
        raise UsageError("an empty question cannot be classified: give its words as TEXT")
    texts = args.text or [line.strip() for line in sys.stdin if line.strip()]
    if not texts:
        raise UsageError("give a question as TEXT or one per line on stdin")
    settings = load_settings()
    embedder = OnnxEmbedder(models.embedding_model(settings.models.embedding).path, models.embedding_tokenizer().path)
    classifier = QuestionClassifier(embedder, cache_dir=paths.cache_dir())
    for text in texts:
        result = classifier.classify(text)
        row = {"text": text, "question_type": result.question_type, "confidence": round(result.confidence, 3)}
        print(json.dumps(row) if args.json else f"{result.question_type}\t{result.confidence:.2f}\t{text}")
    return 0


def _run_index(args: argparse.Namespace) -> int:
    from copilot.cli.index import index_command

    return index_command(args.action, args.stories, args.json, _progress(args))


def _run_doctor(args: argparse.Namespace) -> int:
    from copilot.cli.doctor import doctor_report, print_report

    report = doctor_report()
    if args.json:
        print(json.dumps(report))
    else:
        print_report(report)
    return 0 if report["ok"] else 1


def _run_app(args: argparse.Namespace) -> int:
    """Start the desktop app as `python -m ui`: the core never imports the UI (DESIGN.md layout)."""
    import importlib.util
    import subprocess

    if getattr(sys, "frozen", False):
        # The packaged app (packaging/entry.py) has no `python -m`: its one executable opens the
        # desktop app itself when given `app`. Only reached with a global option first (`-v app`).
        return subprocess.call([sys.executable, "app", *args.app_args])
    if importlib.util.find_spec("ui.__main__") is None or importlib.util.find_spec("PySide6") is None:
        raise UserError("the desktop app is not installed (PySide6-Essentials and ui/); run `make setup`")
    _check_display()
    return subprocess.call([sys.executable, "-m", "ui", *args.app_args])


def _check_display() -> None:
    """On Linux without a screen Qt aborts with a plugin message that suggests reinstalling; say
    what is actually missing instead."""
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise UserError(
            "no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset): run it from a "
            "desktop session, or on a virtual screen with `xvfb-run -a make run`"
        )


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Everything after `app` goes to the desktop app untouched.

    argparse's REMAINDER does not capture a first argument that looks like an option
    (`copilot app --no-llm` would be a usage error), so the split is made here.
    """
    words = list(sys.argv[1:] if argv is None else argv)
    if "app" in words:
        at = words.index("app")
        if all(w.startswith("-") for w in words[:at]):  # only global options before it
            args = parser.parse_args(words[: at + 1])
            args.app_args = words[at + 1 :]
            return args
    return parser.parse_args(words)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parse_args(parser, argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except UserError as exc:
        # Every command's last resort, so an error raised before a command's own guard (a missing
        # story folder while the core opens) still reaches a --json reader on stdout.
        from copilot.cli.errors import report_error

        report_error(str(exc), bool(getattr(args, "json", False)))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `copilot ... | head` closed the pipe: not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
