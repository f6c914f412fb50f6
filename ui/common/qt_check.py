"""A start-up check for a Qt binding that would crash the app later.

PySide6 6.12.0 drops one reference to `None` on every bound call that returns nothing (setText,
setData, clear...). From Python 3.12 `None` is immortal and nothing happens; under 3.11 its count
falls with every keystroke until the interpreter aborts with "Fatal Python error: none_dealloc",
taking unsaved text with it (typing 600-900 characters of a story in the library was enough).
pyproject.toml keeps that version out; this check catches an environment that has it anyway and
says what to do, at start, instead of a crash minutes later.
"""

from __future__ import annotations

import sys

PROBE_CALLS = 200


def none_refcount_leak() -> int:
    """How many references to None a few hundred void Qt calls lost (0 on a sound binding)."""
    if sys.version_info >= (3, 12):
        return 0  # None is immortal: a binding's stray decrement cannot free it
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(PROBE_CALLS):
        probe.setObjectName("probe")  # returns nothing: the call a leaking binding mis-counts
    return max(0, before - sys.getrefcount(None))


def binding_problem() -> str | None:
    """A message naming the fix when the installed PySide6 would crash the app, else None."""
    lost = none_refcount_leak()
    if lost < PROBE_CALLS // 2:
        return None
    import PySide6

    return (
        f"PySide6 {PySide6.__version__} loses a reference to None on every call under Python "
        f"{sys.version_info.major}.{sys.version_info.minor}, so the app would crash after a few minutes "
        '("Fatal Python error: none_dealloc"). Install a sound version with '
        "`.venv/bin/python -m pip install 'PySide6-Essentials>=6.6,<6.12'` (make setup does), "
        "or run the app on Python 3.12 or newer."
    )
