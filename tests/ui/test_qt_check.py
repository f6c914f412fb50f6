"""The start-up check for a Qt binding that loses references to None (PySide6 6.12.0 under 3.11)."""

from __future__ import annotations

import sys

import pytest

from ui.common import qt_check


def test_the_installed_binding_keeps_none_alive() -> None:
    # make setup installs a PySide6 that counts None right; 6.12.0 under 3.11 loses one per call.
    assert qt_check.none_refcount_leak() == 0
    assert qt_check.binding_problem() is None


def test_a_leaking_binding_is_named_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qt_check, "none_refcount_leak", lambda: qt_check.PROBE_CALLS)
    message = qt_check.binding_problem()
    assert message is not None
    assert "none_dealloc" in message and "<6.12" in message
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in message
