"""What makes a cue bullet worth reading, as checks: shared by the composer, the model's rewrite and
the coaching evaluation (scripts/eval_coaching.py), so all three judge a bullet the same way.

- cut: it ends on a function word ("...dropped 18% relative to") or has one word after its label
  ("Result: After"): half a thought on screen.
- near-duplicate: two bullets of one answer say the same thing (mostly the same content words).
- result numbers: the story's result has numbers and none of them made it into the bullets.
- invented numbers: a number in a bullet that no source contains.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import combinations

from copilot.pipeline.cues.guard import extract_numbers, unsupported_numbers

# Words a complete phrase does not end on: articles, prepositions, conjunctions, auxiliaries,
# possessives and relative words. ("more", "out", "up" can end a phrase, so they are not here.)
FUNCTION_WORDS = frozenset(
    """
    a an the and or but nor yet so for of to in on at by with from into onto via than as that which
    who whom whose while when where whether if because since although though unless until after
    before during under about against between through without within across per my our your their
    his her its this these those is are was were be been being am have has had do does did will
    would can could should may might must not no very i we they he she
    """.split()
)
# Object pronouns end a phrase ("fix it", "asked them"), but say nothing when two bullets are compared.
_PRONOUNS = frozenset("it you me us them".split())
_LABEL = re.compile(r"^[A-Z][A-Za-z ]{0,20}:\s+")
_WORD = re.compile(r"[a-z0-9$%][a-z0-9$%.'-]*", re.I)
# Words that carry no content when comparing two bullets (function words plus frequent verbs).
_LIGHT = FUNCTION_WORDS | _PRONOUNS | frozenset("also then there more most just only over out up".split())
NEAR_DUPLICATE_SHARE = 0.6  # of the shorter bullet's content words found in the other


def body(bullet: str) -> str:
    """The bullet without its label ("Result: ")."""
    return _LABEL.sub("", bullet.strip(), count=1)


def words(text: str) -> list[str]:
    return [w.strip(".'-").lower() for w in _WORD.findall(text)]


def content_words(text: str) -> set[str]:
    return {w for w in words(body(text)) if w and w not in _LIGHT}


def is_cut(bullet: str) -> bool:
    """Does the bullet stop mid-phrase?"""
    found = words(body(bullet))
    return len(found) < 2 or found[-1] in FUNCTION_WORDS


def near_duplicate(a: str, b: str) -> bool:
    wa, wb = content_words(a), content_words(b)
    shorter = min(len(wa), len(wb))
    return shorter > 0 and len(wa & wb) >= max(2, NEAR_DUPLICATE_SHARE * shorter)


def near_duplicate_pairs(bullets: Sequence[str]) -> list[tuple[str, str]]:
    return [(a, b) for a, b in combinations(bullets, 2) if near_duplicate(a, b)]


def number_values(text: str) -> set[str]:
    return {format(n.value, "f") for n in extract_numbers(text)}


def result_numbers_kept(bullets: Sequence[str], result_text: str) -> bool | None:
    """True when a number of the story's result is in the bullets; None when the result has none."""
    wanted = number_values(result_text)
    if not wanted:
        return None
    return bool(wanted & number_values(" ".join(bullets)))


def invented_numbers(bullets: Sequence[str], sources: str) -> list[str]:
    return [n for b in bullets for n in unsupported_numbers(b, sources)]
