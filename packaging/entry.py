"""The packaged app's executable: no arguments opens the desktop app, anything else is the CLI.

One executable for both, so the desktop entry, a terminal user and the tests all run the same
bundle. `app` is handled here, in-process: in a frozen app there is no `python -m ui` to start, and
the core (copilot/) must not import the UI, so the CLI cannot do it itself.
"""

from __future__ import annotations

import time

_STARTED_AT = time.perf_counter()  # before Qt and the core are imported, as in `python -m ui`

import multiprocessing  # noqa: E402
import sys  # noqa: E402


def main(argv: list[str]) -> int:
    if not argv:
        return _desktop_app([])
    if argv[0] == "app":
        return _desktop_app(argv[1:])
    from copilot.cli.main import main as cli_main

    return cli_main(argv)


def _desktop_app(argv: list[str]) -> int:
    from ui.app import main as app_main

    return app_main(argv, started_at=_STARTED_AT)


if __name__ == "__main__":
    # A library that starts a process with the "spawn" method would otherwise re-run the whole app
    # in the child: freeze_support() turns such a child into the worker it was meant to be.
    multiprocessing.freeze_support()
    sys.exit(main(sys.argv[1:]))
