"""Telling whisper's inventions from a question: on silence or noise it "hears" filler such as
"you", "Thank you." or "Thanks for watching!" (its training subtitles), often repeated for minutes."""

from __future__ import annotations

import re

# Words of whisper's usual inventions and of hesitations; a transcript made only of these says nothing.
_FILLER_WORDS = frozenset(
    "you thank thanks for watching bye uh um umm hmm mm mhm ah oh okay ok so yeah the a i and".split()
)
_WORD = re.compile(r"[a-z']+")


def is_filler_only(text: str) -> bool:
    """True when `text` has no word outside the filler set (empty text included)."""
    words = _WORD.findall(text.lower())
    return all(w.strip("'") in _FILLER_WORDS for w in words)


def filler_error(source: str, text: str, heard: str = "question") -> str:
    """Why a recording whose transcript is only filler is not used; `heard` names what was missing."""
    sample = " ".join(text.split()[:6]) + (" ..." if len(text.split()) > 6 else "")
    return (
        f"{source}: no {heard} was heard (only '{sample}', which speech recognition invents in silence "
        "or noise); check the recording"
    )
