"""May a second decode of a question replace the first on screen?

The second pass decodes the question's audio on whisper's full window (copilot/live/session.py),
which hears most phrases better than the short window used live. But a full-window decode fails in
its own ways, and then it would replace a good question with a worse one after the cards are up:
it can loop ("Right a function of implement 3-3-3-3-3-3-..." on the long-turn bench's rate-limiter
turn, where the first text had the whole question), or end a window early and drop what followed
("Please talk through your thinking." and nothing of the question after it, on the same audio with
the window before as its prompt). Both are plain in the text, so a revision that shows either is
dropped and the first text stays.

Measured on the long-turn bench (both halves, three runs): a good revision has 0.94-1.01 times the
first text's words; the looped one had 0.84 and a run of one unit 30 times over.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from copilot.audio import SAMPLE_RATE

# One short unit said six times in a row ("3-3-3-3-3-3", "la la la la la la "): a decoder loop.
# Runs of whole words are already collapsed (streaming.collapse_repeats); this catches the loops
# inside one "word", which that cannot see.
_LOOP = re.compile(r"(.{1,12}?)\1{5,}")
# The revision's words as a share of the first text's: outside this, words were lost or invented.
# Two words either way always pass: on a short question one word is a large share ("What's" is
# "What is" on the other pass).
WORD_RATIO_RANGE = (0.8, 1.25)
WORD_SLACK = 2


# A question said in one stretch this short was decoded by the live final in one piece, or two of at
# least 3 s (copilot/live/streaming.py commits a span only then), so the full window adds padding
# but hardly any context. With the vocabulary prompt that alone can tip a decode: "Tell me about a
# time you had to cut the cost of serving a model" (espeak-ng, 4.1 s) came back from the full
# window, on some runs, as "Tell me I'm out of time you can't cut..." and was typed situational
# after the right behavioral cards were up.
ONE_PIECE_S = 6.0


def worth_a_second_decode(clips: Sequence[np.ndarray]) -> bool:
    """Is a question heard as these utterances worth decoding again on the full window?"""
    return len(clips) > 1 or sum(c.size for c in clips) > ONE_PIECE_S * SAMPLE_RATE


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def same_words(a: str, b: str) -> bool:
    return _words(a) == _words(b)


def rejection(first: str, revised: str) -> str | None:
    """Why `revised` must not replace `first` (None: it may)."""
    if not revised.strip():
        return "empty"
    if same_words(first, revised):
        return "same words"
    if _LOOP.search(revised):
        return "a loop"
    said, heard = len(_words(first)), len(_words(revised))
    low, high = WORD_RATIO_RANGE
    if not low * said - WORD_SLACK <= heard <= high * said + WORD_SLACK:
        return f"{heard} words where the first decode had {said}"
    return None
