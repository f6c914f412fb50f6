"""Compress a sentence into a cue of at most N words: shorter, never cut mid-phrase.

A cue is read at a glance mid-answer, so it keeps the words that carry the fact (names, verbs,
numbers) and drops what the speaker will say anyway. In order, until the text fits:

1. pick the clause that matters (the one with the numbers for a result, else the main clause),
   never splitting a number such as "200,000";
2. drop parentheticals, filler adverbs, articles and a leading "I" (telegraphic style: "Chose X");
3. for a result, drop short prepositional phrases without a number before its last number
   ("went from 3% of reports to under 0.1%" -> "went from 3% to under 0.1%");
4. cut at the last phrase boundary within the budget (before a function word, after a comma), then
   take off any function words left at the end.

It only ever removes words, so a cue can never say a number the sentence did not.
"""

from __future__ import annotations

import re

from copilot.pipeline.cues.cue_checks import FUNCTION_WORDS

# Clause breaks: comma/semicolon/colon not inside a number, a spaced dash, or "and"/"but"/"while"
# after a comma.
_CLAUSE = re.compile(r"(?:[,;:](?!\d)|\s[-\u2013\u2014]\s)\s*(?:and |but |while |so )?")
_PARENTHETICAL = re.compile(r"\s*\([^)]*\)")
_FILLERS = frozenset("really very actually basically just also simply honestly quite then".split())
_ARTICLES = frozenset({"a", "an", "the"})
_PREPOSITIONS = frozenset("in of on at for with from into onto across within during under over by".split())
_SUBORDINATE_START = re.compile(
    r"^(?:rather than|instead of|after|before|when|while|once|if|although|though|because|since|within|"
    r"on the first day|at first|in the end|in total)\b",
    re.I,
)
MIN_CLAUSE_WORDS = 4
# Words that open a new clause: the best place to cut ("five real reports | where a signature...").
_CLAUSE_WORDS = frozenset("where which who whom whose that because while when so but and or although unless".split())
_LEADING_LINKS = frozenset("which that and but so plus while whereas or".split())
_RANGE = re.compile(r"\bfrom\b.*\bto\b")
_HAS_DIGIT = re.compile(r"\d")
_PUNCT = " .,;:!?-\u2013\u2014\"'"


def compress(text: str, budget: int, prefer: re.Pattern[str] | None = None) -> str:
    """`text` in at most `budget` words, ending on a content word ("" when nothing is left).

    `prefer` marks what must survive (numbers, for a result): the clause that has most of it is kept,
    and phrases are dropped before it rather than cutting it off."""
    text = _balanced_quotes(" ".join(text.split())).strip(_PUNCT)
    if _fits(text, budget):
        return _finish(text.split())
    words = _pick_clause(text, budget, prefer).split()
    for step in (_drop_parentheticals, _drop_fillers, _drop_articles, _drop_leading_i):
        if len(words) <= budget:
            break
        words = step(words, budget)
    if len(words) > budget and prefer is not None:
        words = _keep_matches(words, budget, prefer)
    return _finish(words if len(words) <= budget else _cut_at_boundary(words, budget))


def _keep_matches(words: list[str], budget: int, prefer: re.Pattern[str]) -> list[str]:
    """Room for the first pair of `prefer` matches ("from 9% to 16%"): drop number-free phrases before
    them, and if that is not enough start later, so the cue ends on them instead of losing them."""
    words = _drop_phrases_before_last_match(words, budget, prefer)
    matches = [i for i, w in enumerate(words) if prefer.search(w)]
    if len(words) <= budget or not matches:
        return words
    target = _through_range(words, matches[min(1, len(matches) - 1)], prefer)
    if target < budget:
        return words
    return words[target + 1 - budget : target + 1]


def _through_range(words: list[str], index: int, prefer: re.Pattern[str]) -> int:
    """Extend a number to the end of its range: "three hours to 25" ends at "25", not "three"."""
    for gap in (1, 2):
        to, after = index + gap, index + gap + 1
        if after < len(words) and words[to].lower() == "to" and prefer.search(words[after]):
            return after
    return index


def _balanced_quotes(text: str) -> str:
    """Quotes that a clause split left unpaired are noise on screen."""
    return text.replace('"', "") if text.count('"') % 2 else text


def _fits(text: str, budget: int) -> bool:
    return len(text.split()) <= budget


def clauses(text: str) -> list[str]:
    return [c.strip(_PUNCT) for c in _CLAUSE.split(text) if c.strip(_PUNCT)]


def _pick_clause(text: str, budget: int, prefer: re.Pattern[str] | None) -> str:
    """The clause that carries the point (most `prefer` matches, else the first main clause), with the
    clauses after it while they fit. A clause of a few words ("I chose small") was a list split at its
    comma, so the next one is always taken with it."""
    parts = clauses(text)
    if prefer is not None:
        # A result often joins two facts with "and": keep the one with the figures whole.
        parts = [p for part in parts for p in _split_and(part, budget)]
    if len(parts) <= 1:
        return text
    # A before -> after range ("from 3% to under 0.1%") is the headline of a result: it counts extra.
    counts = [_matching_words(c, prefer) + bool(_RANGE.search(c)) if _matching_words(c, prefer) else 0 for c in parts]
    main = [i for i, c in enumerate(parts) if len(c.split()) >= 3 and not _SUBORDINATE_START.match(c)]
    start = counts.index(max(counts)) if max(counts) else (main or [0])[0]
    chosen = parts[start]
    for nxt in parts[start + 1 :]:
        if len(chosen.split()) >= MIN_CLAUSE_WORDS and not _fits(f"{chosen} {nxt}", budget):
            break
        chosen = f"{chosen}, {nxt}"
    return chosen


def _matching_words(text: str, prefer: re.Pattern[str] | None) -> int:
    return sum(bool(prefer.search(w)) for w in text.split()) if prefer else 0


def _split_and(clause: str, budget: int) -> list[str]:
    if _fits(clause, budget):
        return [clause]
    return [p for p in re.split(r"\s+and\s+", clause) if p]


def _drop_parentheticals(words: list[str], budget: int) -> list[str]:
    return _PARENTHETICAL.sub("", " ".join(words)).split()


def _drop_fillers(words: list[str], budget: int) -> list[str]:
    return [w for w in words if w.lower().strip(_PUNCT) not in _FILLERS]


def _drop_articles(words: list[str], budget: int) -> list[str]:
    # Only as many as needed, last first: "the" at the start often names the thing ("The backtest").
    out = list(words)
    for i in range(len(out) - 1, 0, -1):
        if len(out) <= budget:
            break
        if out[i].lower() in _ARTICLES:
            del out[i]
    return out


def _drop_leading_i(words: list[str], budget: int) -> list[str]:
    if len(words) > 1 and words[0] == "I":
        return [words[1][:1].upper() + words[1][1:], *words[2:]]
    return words


def _drop_phrases_before_last_match(words: list[str], budget: int, prefer: re.Pattern[str]) -> list[str]:
    """Make room for the last `prefer` match ("to under 0.1%") by removing short prepositional phrases
    without a number before it ("of reports", "in the beta"), last first."""
    matches = [i for i, w in enumerate(words) if prefer.search(w)]
    if not matches:
        return words
    target = matches[min(1, len(matches) - 1)]
    if target < budget:
        return words
    out = list(words)
    i = target - 1
    while len(out) > budget and i > 0:
        if out[i].lower() in _PREPOSITIONS:
            end = i + 1
            while end < len(out) and end - i <= 2 and out[end].lower() not in FUNCTION_WORDS:
                end += 1
            phrase = out[i:end]
            if end > i + 1 and not any(prefer.search(w) for w in phrase) and not phrase[-1].endswith((",", ";")):
                del out[i:end]
        i -= 1
    return out


def _cut_at_boundary(words: list[str], budget: int) -> list[str]:
    """The longest prefix within budget that ends before a function word or after punctuation (a phrase
    boundary: "I brought five real reports from the beta | where a signature..."), else the budget."""
    for boundary in (_CLAUSE_WORDS, FUNCTION_WORDS):
        for n in range(budget, MIN_CLAUSE_WORDS, -1):
            if words[n].lower().strip(_PUNCT) in boundary or words[n - 1].endswith((",", ";", ":")):
                return words[:n]
    return words[:budget]


def _finish(words: list[str]) -> str:
    """Join, and never end on a function word, dangling punctuation or half a quotation."""
    words = [w for w in words if w]
    while words and words[-1].lower().strip(_PUNCT) in FUNCTION_WORDS | {""}:
        words.pop()
    # A clause picked from mid-sentence may open on its link word ("which cut...", "plus ...").
    while len(words) > 2 and words[0].lower() in _LEADING_LINKS:
        words = [words[1][:1].upper() + words[1][1:], *words[2:]]
    return _balanced_quotes(" ".join(words)).strip(_PUNCT + " ")
