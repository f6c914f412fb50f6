"""Fixtures for driving the real windows by keyboard: shown, active (shortcuts need an active window)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture
def activate(qtbot: Any) -> Callable[[Any], None]:
    """Show a window and make it the active one, as a user's click would; returns once it is."""

    def show_active(window: Any) -> None:
        window.show()
        qtbot.waitExposed(window)
        window.windowHandle().requestActivate()
        qtbot.waitUntil(window.isActiveWindow)

    return show_active
