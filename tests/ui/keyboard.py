"""Driving the real windows by keyboard: a window shown and made active, as a user's click would
(shortcuts only reach an active window)."""

from __future__ import annotations

from typing import Any


def activate(qtbot: Any, window: Any) -> None:
    """Show `window` and make it the active one; returns once it is."""
    window.show()
    qtbot.waitExposed(window)
    window.windowHandle().requestActivate()
    qtbot.waitUntil(window.isActiveWindow)
