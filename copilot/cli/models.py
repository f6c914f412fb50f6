"""`copilot models list | get NAME | use NAME | remove NAME`: the catalogue of models/manifest.toml."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from copilot.cli.errors import run_guarded
from copilot.config import model_catalog, model_install
from copilot.config.downloads import Progress, format_progress
from copilot.config.model_catalog import Entry
from copilot.errors import UserError


def register(sub: Any) -> None:
    p = sub.add_parser("models", help="list, download, choose or remove speech and language models")
    actions = p.add_subparsers(dest="models_action", metavar="ACTION", required=True, parser_class=type(p))
    listing = actions.add_parser("list", help="every model in the catalogue, installed or not")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_run_list)
    get = actions.add_parser("get", help="download (or assemble) a model into the models folder")
    get.add_argument("name")
    get.add_argument(
        "--allow-unverified", action="store_true", help="install a file the catalogue has no sha256 for (not checked)"
    )
    get.add_argument("--json", action="store_true")
    get.set_defaults(func=_run_get)
    for name, func, text in (
        ("use", _run_use, "make an installed model the one the app uses (writes config.toml)"),
        ("remove", _run_remove, "delete a downloaded model and any partial download"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("name")
        action.add_argument("--json", action="store_true")
        action.set_defaults(func=func)


def _guarded(args: argparse.Namespace, body: Any) -> int:
    return run_guarded(args, body)


def rows(catalog: list[Entry]) -> list[dict[str, Any]]:
    """One dict per entry: what `list --json`, `doctor` and the Models page show."""
    recommended = {e.name for e in model_catalog.recommended(catalog, model_catalog.total_memory_bytes())}
    out = []
    for entry in catalog:
        found = model_catalog.installed_path(entry)
        out.append(
            {
                "name": entry.name,
                "role": entry.role,
                "kind": entry.kind,
                "installed": found is not None,
                "path": str(found) if found else None,
                "recommended": entry.name in recommended,
                "size_mb": round(entry.approx_bytes() / 1_000_000),
                "ram_mb": entry.ram_mb,
                "licence": entry.licence,
                "sha256": entry.sha256 if entry.kind == "url" else "checked per file",
                "good_for": entry.good_for,
                "unavailable": entry.unavailable or None,
            }
        )
    return out


def _run_list(args: argparse.Namespace) -> int:
    def body(args: argparse.Namespace) -> int:
        table = rows(model_catalog.load_catalog())
        if args.json:
            for row in table:
                print(json.dumps(row, ensure_ascii=False))
            return 0
        for row in table:
            state = "installed" if row["installed"] else ("unavailable" if row["unavailable"] else "-")
            star = " (recommended here)" if row["recommended"] else ""
            print(
                f"{row['name']:<24} {row['role']:<20} {row['size_mb']:>5} MB  RAM {row['ram_mb']:>5} MB  {state}{star}"
            )
            print(f"  {row['good_for']}; licence {row['licence']}")
        return 0

    return _guarded(args, body)


class _TerminalProgress:
    """One line on stderr, rewritten at most 4 times a second."""

    def __init__(self) -> None:
        self._last = 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self._last >= 0.25 or (p.total is not None and p.done >= p.total):
            self._last = now
            print(f"\r  {format_progress(p)}   ", end="", file=sys.stderr, flush=True)


def _run_get(args: argparse.Namespace) -> int:
    def body(args: argparse.Namespace) -> int:
        entry = model_catalog.find(args.name)
        print(f"getting {entry.name} ({entry.description}), about {entry.approx_bytes() / 1e6:.0f} MB", file=sys.stderr)
        try:
            path = model_install.get(entry, allow_unverified=args.allow_unverified, progress=_TerminalProgress())
        except KeyboardInterrupt:
            print("", file=sys.stderr)
            kept = "the partial download is kept" if entry.kind == "url" else "nothing was installed"
            raise UserError(f"cancelled; {kept}, run the same command to get it") from None
        print("", file=sys.stderr)
        _say(args, {"name": entry.name, "installed": str(path)}, f"installed {entry.name} in {path}")
        if not entry.verified:
            print(f"warning: {entry.name} was not checked against a sha256 (--allow-unverified)", file=sys.stderr)
        return 0

    return _guarded(args, body)


def _run_use(args: argparse.Namespace) -> int:
    def body(args: argparse.Namespace) -> int:
        entry = model_catalog.find(args.name)
        values = model_install.use(entry)
        text = ", ".join(f"[{s}] {k} = {v!r}" for s, keys in values.items() for k, v in keys.items())
        _say(args, {"name": entry.name, "settings": values}, f"now using {entry.name}: {text}")
        return 0

    return _guarded(args, body)


def _run_remove(args: argparse.Namespace) -> int:
    def body(args: argparse.Namespace) -> int:
        entry = model_catalog.find(args.name)
        removed = model_install.remove(entry)
        message = f"removed {', '.join(map(str, removed))}" if removed else f"{entry.name} was not installed"
        _say(args, {"name": entry.name, "removed": [str(p) for p in removed]}, message)
        return 0

    return _guarded(args, body)


def _say(args: argparse.Namespace, record: dict[str, Any], text: str) -> None:
    print(json.dumps(record, ensure_ascii=False) if args.json else text)
