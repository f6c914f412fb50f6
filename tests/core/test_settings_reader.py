"""One settings reader: copilot/config/ alone reads TOML, the environment and the keychain; everything
else gets the values passed in (issue 10, item 3)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from copilot.config.settings import Settings, TurnSettings
from copilot.live.session import options_from_settings


def _core(turn: TurnSettings) -> Any:
    # options_from_settings reads only the core's settings; the models are not the subject here.
    return SimpleNamespace(settings=replace(Settings(), turn=turn))


def test_live_options_take_the_pause_passed_in_without_changing_the_settings() -> None:
    core = _core(TurnSettings(pause_s=0.6, merge_window_s=3.0, speculate_after_s=0.15))
    options = options_from_settings(core, pause_s=1.4)
    assert options.interviewer.end_pause_s == pytest.approx(1.4)
    assert options.interviewer.short_pause_s == pytest.approx(0.15)
    assert options.merge_window_s == pytest.approx(3.0)
    assert core.settings.turn.pause_s == pytest.approx(0.6)  # the core's settings are left as they were


def test_live_options_default_to_the_settings_pause() -> None:
    options = options_from_settings(_core(TurnSettings(pause_s=0.9, speculate_after_s=0.15)))
    assert options.interviewer.end_pause_s == pytest.approx(0.9)


def test_a_pause_shorter_than_the_speculation_point_moves_it() -> None:
    # The speculative decode can never start after the pause that ends the question.
    options = options_from_settings(_core(TurnSettings(pause_s=0.6, speculate_after_s=0.5)), pause_s=0.3)
    assert options.interviewer.short_pause_s == pytest.approx(0.3)
