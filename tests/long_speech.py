"""A long interviewer turn (about 50 s) synthesised for a test, with where each sentence lies.

Not one of the long-turn bench's turns (copilot/live/long_turns.py): tests and the bench are kept
apart, so a bench figure never comes from material a test was written against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from copilot.live.long_turns import Voice, synthesise

SR = 16_000
SENTENCES = (
    "Okay, thanks for walking me through your background.",
    "Let us move on to the main part of today's conversation, which is a design problem.",
    "We have about forty minutes for it, and I will leave some time for your questions at the end.",
    "Our company runs a food delivery app in twelve cities.",
    "Customers open the app, browse restaurants, and place an order that a courier picks up.",
    "We show every customer an estimated delivery time before they pay.",
    "Lately those estimates have been too optimistic, especially at lunch and on rainy days.",
    "Customers complain, and many of them cancel when the food arrives late.",
    "The current estimate comes from a simple average of recent deliveries in the same area.",
    "How would you build a better model for the delivery time estimate?",
    "Walk me through the first three things you would check.",
)
QUESTION_START = 3  # the scenario and the question: from "Our company runs..." on
GAP_S = 0.35


@dataclass(frozen=True)
class LongTurnAudio:
    samples: np.ndarray
    script: str
    spans_s: tuple[tuple[float, float], ...]  # each sentence's start and end in the audio

    def sentence_at(self, t_s: float) -> str:
        """The sentence being spoken at `t_s` (or the next one, in a gap)."""
        return next(SENTENCES[i] for i, (_a, b) in enumerate(self.spans_s) if b >= t_s)


US_VOICE = Voice("espeak-ng", "en-us", 150)


def long_turn(folder: Path, voice: Voice = US_VOICE) -> LongTurnAudio:
    pieces, spans, t = [np.zeros(int(0.3 * SR), np.float32)], [], 0.3
    for number, sentence in enumerate(SENTENCES):
        if number:
            pieces.append(np.zeros(int(GAP_S * SR), np.float32))
            t += GAP_S
        audio = synthesise(sentence, voice, folder)
        pieces.append(audio)
        spans.append((t, t + audio.size / SR))
        t += audio.size / SR
    pieces.append(np.zeros(int(0.5 * SR), np.float32))
    return LongTurnAudio(np.concatenate(pieces), " ".join(SENTENCES), tuple(spans))


def content_words(text: str) -> set[str]:
    """Words of four letters or more: what a listener would notice missing."""
    return {w for w in re.findall(r"[a-z']+", text.lower()) if len(w) >= 4}
