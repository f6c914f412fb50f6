"""decode_segments: greedy, then one beam decode when unsure; never whisper's sampled temperatures
(they made one recording's transcript change from run to run)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from copilot.adapters.transcribe import FALLBACK_BEAM_SIZE, decode_segments


@dataclass
class Segment:
    text: str
    avg_logprob: float
    compression_ratio: float = 1.4


class ScriptedModel:
    """Answers each beam size with its own segments and records every call's options."""

    def __init__(self, by_beam: dict[int, list[Segment]]) -> None:
        self.by_beam = by_beam
        self.calls: list[dict[str, Any]] = []

    def transcribe(self, samples: np.ndarray, **options: Any) -> tuple[Any, None]:
        self.calls.append(options)
        return iter(self.by_beam[options["beam_size"]]), None


SILENCE = np.zeros(16_000, np.float32)


def test_a_sure_greedy_decode_is_kept_and_decoded_once_at_temperature_zero():
    model = ScriptedModel({1: [Segment("Regularization is a penalty.", -0.3)]})
    assert [s.text for s in decode_segments(model, SILENCE, language="en")] == ["Regularization is a penalty."]
    assert len(model.calls) == 1
    assert model.calls[0]["temperature"] == 0.0 and model.calls[0]["language"] == "en"


def test_an_unsure_greedy_decode_is_retried_with_a_beam_and_the_surer_kept():
    model = ScriptedModel(
        {1: [Segment("The", -1.84)], FALLBACK_BEAM_SIZE: [Segment("Regularization is a penalty.", -0.37)]}
    )
    assert [s.text for s in decode_segments(model, SILENCE)] == ["Regularization is a penalty."]
    assert [c["beam_size"] for c in model.calls] == [1, FALLBACK_BEAM_SIZE]
    assert all(c["temperature"] == 0.0 for c in model.calls)


def test_a_looping_decode_is_retried_but_a_worse_beam_does_not_replace_it():
    loop = [Segment("so just so just so just", -0.5, compression_ratio=3.1)]
    model = ScriptedModel({1: loop, FALLBACK_BEAM_SIZE: [Segment("so", -2.5)]})
    assert decode_segments(model, SILENCE) == loop
    assert len(model.calls) == 2


def test_a_beam_decode_asked_for_is_not_retried():
    model = ScriptedModel({FALLBACK_BEAM_SIZE: [Segment("mumble", -1.5)]})
    decode_segments(model, SILENCE, beam_size=FALLBACK_BEAM_SIZE)
    assert len(model.calls) == 1


def test_a_confident_loop_loses_to_a_beam_decode_that_passes_the_thresholds():
    # Measured on a spoken coding question: greedy with the vocabulary prompt looped at -0.2 per token.
    loop = [Segment("3-3-3-3-3-3-3-3-3-3-3-3-3-3-3-3", -0.2, compression_ratio=3.04)]
    sure = [Segment("a function that implements a rate limiter", -0.58)]
    model = ScriptedModel({1: loop, FALLBACK_BEAM_SIZE: sure})
    assert decode_segments(model, SILENCE) == sure


def test_an_empty_beam_decode_does_not_replace_words():
    heard = [Segment("The", -1.84)]
    model = ScriptedModel({1: heard, FALLBACK_BEAM_SIZE: []})
    assert decode_segments(model, SILENCE) == heard
