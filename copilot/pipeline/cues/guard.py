"""Keep LLM cue bullets to the facts the user gave us.

Small local models (SmolLM2-135M is the default) copy or invent numbers and names (DESIGN.md,
"Defaults that work offline"). An invented "cut latency 64%" on screen during an interview is worse
than no bullet, so any bullet that carries a number or a proper name absent from the sources is dropped.

The checks are deliberately lexical and conservative: a false rejection costs one bullet (the
deterministic draft bullets are already on screen), a false acceptance puts a made-up fact in front
of the candidate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MAX_BULLET_WORDS = 12

# --- tokenising -------------------------------------------------------------------------------------

# One pass splits text into numbers (with thousands separators and decimals), words (with an
# apostrophe part: "don't", "Google's"), letter+digit identifiers ("L2", "p95", "F1") and single symbols.
_TOKEN_RE = re.compile(
    r"(?P<ident>[A-Za-z]+\d[A-Za-z0-9]*)"
    r"|(?P<num>\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"|(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*)"
    r"|(?P<sym>\S)"
)


@dataclass(frozen=True)
class _Token:
    kind: str  # "ident" | "num" | "word" | "sym"
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.lastgroup or "sym", m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


# --- numbers ----------------------------------------------------------------------------------------

_UNITS = {
    "zero": 0, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 10**9, "trillion": 10**12}
# "one" counts only inside a run ("one hundred", "one million"): alone it is nearly always the pronoun
# ("pick one metric"), and rejecting every such bullet would throw away good ones.
_RUN_ONLY = {"one": 1}
# Suffixes written right after the digits ("2k", "3M", "1.5bn").
_MULTIPLIERS = {"k": 1_000, "K": 1_000, "M": 1_000_000, "B": 10**9, "bn": 10**9}
_TIMES = {"x", "X"}
_PERCENT_WORDS = {"percent", "pct", "%"}
_CURRENCY_SYMBOLS = {"$", "€", "£", "¥"}
_CURRENCY_WORDS = {"dollars", "dollar", "usd", "eur", "euros", "euro", "gbp", "pounds"}


@dataclass(frozen=True)
class Number:
    """A number as written: its value and what kind of quantity it is ("", "%", "$", "x")."""

    value: Decimal
    kind: str
    text: str


def _is_number_word(tok: _Token, in_run: bool) -> bool:
    w = tok.text.lower()
    return tok.kind == "word" and (w in _UNITS or w in _SCALES or (in_run and w in _RUN_ONLY))


def _word_value(words: list[str]) -> Decimal:
    """'two hundred fifty' -> 250, 'three million' -> 3000000 (the usual left-to-right fold)."""
    total, current = 0, 0
    for w in words:
        if w in _SCALES and _SCALES[w] == 100:
            current = max(current, 1) * 100
        elif w in _SCALES:
            total += max(current, 1) * _SCALES[w]
            current = 0
        else:
            current += _UNITS.get(w, _RUN_ONLY.get(w, 0))
    return Decimal(total + current)


def _joins_number_words(toks: list[_Token], j: int, i: int) -> bool:
    """Is toks[j] the "-" of "twenty-five" or the "and" of "one hundred and five"?"""
    if j == i or j + 1 >= len(toks) or not _is_number_word(toks[j + 1], in_run=True):
        return False
    tok, prev, nxt = toks[j], toks[j - 1], toks[j + 1]
    if tok.text == "-":
        return prev.end == tok.start == nxt.start - 1
    return tok.text.lower() == "and" and prev.text.lower() in _SCALES


def _run_of_number_words(toks: list[_Token], i: int) -> int:
    """Index just past a run of number words starting at i ("twenty-five", "one hundred and five")."""
    j = i
    while j < len(toks) and (_is_number_word(toks[j], in_run=True) or _joins_number_words(toks, j, i)):
        j += 1
    # A lone "one" is not a number (see _RUN_ONLY).
    if j - i == 1 and toks[i].text.lower() in _RUN_ONLY:
        return i
    return j


def _suffix(toks: list[_Token], j: int, value: Decimal, kind: str) -> tuple[Decimal, str, int]:
    """Apply what follows a number: "k"/"M" glued on, "%", "percent", "x", "times", "million", "dollars"."""
    while j < len(toks):
        tok, glued = toks[j], toks[j].start == toks[j - 1].end
        if glued and tok.text in _MULTIPLIERS:
            value *= _MULTIPLIERS[tok.text]
        elif tok.kind == "word" and tok.text.lower() in _SCALES:
            value *= _SCALES[tok.text.lower()]
        elif tok.text.lower() in _PERCENT_WORDS:
            kind = "%"
        elif (glued and tok.text in _TIMES) or tok.text.lower() == "times":
            kind = "x"
        elif tok.text.lower() in _CURRENCY_WORDS:
            kind = "$"
        else:
            break
        j += 1
    return value, kind, j


def _read_value(toks: list[_Token], i: int) -> tuple[Decimal, int] | None:
    """The bare value starting at toks[i] and the index after it, or None when no number starts there."""
    tok = toks[i]
    if tok.kind == "num":
        try:
            return Decimal(tok.text.replace(",", "")), i + 1
        except InvalidOperation:  # pragma: no cover - the regex only lets valid decimals through
            return None
    if _is_number_word(tok, in_run=False) or tok.text.lower() in _RUN_ONLY:
        end = _run_of_number_words(toks, i)
        if end > i:
            return _word_value([t.text.lower() for t in toks[i:end] if t.text.lower() not in {"-", "and"}]), end
    return None


def extract_numbers(text: str) -> list[Number]:
    """Every number in `text`, normalised: "64 %" == "64%", "2,000" == "2000" == "2k", "twelve" == "12"."""
    toks = _tokens(text)
    found: list[Number] = []
    i = 0
    while i < len(toks):
        read = _read_value(toks, i)
        if read is None:
            i += 1
            continue
        value, j = read
        kind = "$" if i > 0 and toks[i - 1].text in _CURRENCY_SYMBOLS else ""
        value, kind, j = _suffix(toks, j, value, kind)
        start = toks[i - 1].start if kind == "$" and toks[i - 1].text in _CURRENCY_SYMBOLS else toks[i].start
        found.append(Number(value.normalize(), kind, text[start : toks[j - 1].end]))
        i = j
    return found


def _number_supported(n: Number, allowed: list[Number]) -> bool:
    # A bare number may echo a source's "64%" or "$64"; a typed one must match the type, because
    # "64%" where the story says "64 GPUs" is a new (false) claim.
    return any(n.value == a.value and (not n.kind or n.kind == a.kind) for a in allowed)


# --- names ------------------------------------------------------------------------------------------

# Words an LLM may capitalise mid-bullet (Title Case headings, "Result: Cut ...") that are not names.
# Any word that appears in the sources is fine anyway, so this only needs the generic vocabulary.
_COMMON_WORDS = frozenset(
    """
    a about above across after again against all also always am an and any are as ask at be because
    been before being below best better between both but by can could did do does doing done down
    during each either else enough even every few first for from further get give go good had has
    have having he her here hers him his how however i if in into is it its just keep last least less
    let like little lot made make many may me might more most much must my never new next no nor not
    now of off often on once one only or other our ours out over own per same she should show since so
    some still such than that the their them then there these they this those though through thus to
    too under until up upon us very via was we well were what when where whether which while who whom
    whose why will with within without would yes yet you your yours
    action actions add address agree align aligned answer approach area areas assumption assumptions
    avoid balance baseline basic begin benefit biggest bottleneck brief build built business candidate
    case cases cause causes change changes check choice choose clarify clear close closing code
    company compare complexity concept concepts conclusion confirm consider constraint constraints
    context core cost costs current customer customers data decide decided decision decisions deep
    define definition deliver deploy deployment describe design detail details develop different
    discuss drive drove edge effect end ensure error errors estimate evaluate evaluation evidence
    example examples explain explore failure fast feature features feedback final finally find fix
    focus follow future goal goals growth handle help high highlight hypotheses hypothesis idea ideas
    impact improve improved improvement include increase insight insights intuition issue issues key
    lead learn learned learning led lesson lessons level limit limits long look low main measure
    measured mention method methods metric metrics mistake model monitor monitoring motivation need
    next note number numbers option options outcome outcomes overview own ownership owned part past
    people performance plan point points practical present prevent priority problem problems process
    product project question questions quick raise rank ranked reason reasoning recap reduce reduced
    related requirement requirements respond result results review risk risks role root run scale
    scenario serving set share short simple situation skill skills solution solve start state step
    steps story strategy strength strong structure success summary system systems take talk task team
    teams technical test tests think time tip tips today tool tools trade tradeoff tradeoffs try turn type types
    understand use used user users validate value verify view way ways why work worked working
    """.split()
)
_CONTRACTIONS = ("'s", "’s", "'m", "’m", "'ve", "’ve", "'ll", "’ll", "'d", "’d", "'re", "’re", "n't", "n’t")
# After these the next word starts a sentence (or a labelled part such as "Result: Cut ...").
_SENTENCE_BREAKS = {".", "!", "?", ":", ";", "—", "–", "(", '"', "“", "‘"}
_STEM_SUFFIXES = ("ing", "ed", "es", "s", "ly", "er")


def _base_word(word: str) -> str:
    for suffix in _CONTRACTIONS:
        if word.endswith(suffix) and len(word) > len(suffix):
            return word[: -len(suffix)]
    return word


def _stem(word: str) -> str:
    # Crude on purpose: it only lets "Migrated" match the story's "migrate"; it never makes a name.
    for suffix in _STEM_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _starts_sentence(toks: list[_Token], i: int) -> bool:
    if i == 0:
        return True
    prev = toks[i - 1]
    # A spaced hyphen is a dash ("Result - Cut cost"); a glued one joins words ("Kafka-Based").
    spaced_hyphen = prev.text == "-" and (i < 2 or toks[i - 2].end != prev.start)
    return prev.text in _SENTENCE_BREAKS or spaced_hyphen


def _name_candidate(toks: list[_Token], i: int) -> str | None:
    """The word at toks[i] if it looks like a proper name or acronym, else None."""
    word = _base_word(toks[i].text)
    # One capital letter ("I", "A/B test", "Plan B", "Type I error") names nothing specific.
    if len(word) == 1 or not any(c.isupper() for c in word):
        return None
    title_case = word[0].isupper() and (len(word) == 1 or word[1:].islower())
    if title_case and (_starts_sentence(toks, i) or word.lower() in _COMMON_WORDS):
        return None
    # Left: Title-case words mid-sentence, and acronyms ("AUC") or camel case ("PyTorch", "iPhone")
    # anywhere, even first: an acronym opening a bullet is still a claim about a specific thing.
    return word


# --- the guard --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Allowed:
    numbers: list[Number]
    words: frozenset[str]
    stems: frozenset[str]
    idents: frozenset[str]


def _allowed(allowed_text: str) -> _Allowed:
    toks = _tokens(allowed_text)
    words = frozenset(_base_word(t.text).lower() for t in toks if t.kind == "word")
    idents = frozenset(t.text.lower() for t in toks if t.kind == "ident")
    return _Allowed(extract_numbers(allowed_text), words, frozenset(_stem(w) for w in words), idents)


def _ungrounded(bullet: str, allowed: _Allowed) -> Iterator[str]:
    for n in extract_numbers(bullet):
        if not _number_supported(n, allowed.numbers):
            yield n.text
    toks = _tokens(bullet)
    for i, tok in enumerate(toks):
        if tok.kind == "ident" and tok.text.lower() not in allowed.idents:
            yield tok.text
        elif tok.kind == "word":
            name = _name_candidate(toks, i)
            if name and name.lower() not in allowed.words and _stem(name.lower()) not in allowed.stems:
                yield name


def ungrounded_tokens(bullet: str, allowed_text: str) -> list[str]:
    """Numbers and names in `bullet` that `allowed_text` does not contain, as written in the bullet."""
    return list(dict.fromkeys(_ungrounded(bullet, _allowed(allowed_text))))


def unsupported_numbers(bullet: str, allowed_text: str) -> list[str]:
    """The numbers in `bullet` that `allowed_text` does not contain (the invented-number check alone)."""
    allowed = extract_numbers(allowed_text)
    return [n.text for n in extract_numbers(bullet) if not _number_supported(n, allowed)]


def is_grounded(bullet: str, allowed_text: str) -> bool:
    return not ungrounded_tokens(bullet, allowed_text)


class Guard:
    """`is_grounded` with the sources tokenised once, for checking a stream of bullets against them."""

    def __init__(self, allowed_text: str) -> None:
        self._allowed = _allowed(allowed_text)

    def ungrounded_tokens(self, bullet: str) -> list[str]:
        return list(dict.fromkeys(_ungrounded(bullet, self._allowed)))

    def is_grounded(self, bullet: str) -> bool:
        return not self.ungrounded_tokens(bullet)


# --- cleaning ---------------------------------------------------------------------------------------

# "-", "*", "•", "1.", "2)", "(3)", "a." and markdown emphasis, possibly repeated ("- **1.** ...").
_MARKER_RE = re.compile(r"^(?:[-*•·‣◦–—+>]+|\(?\d{1,2}[.)]|\(?[a-eA-E][.)](?=\s)|\*\*|__|#+)\s*")
_QUOTES = "\"'“”‘’`«»"
_TRAILING = ".,;:!?-–— \t" + _QUOTES
# Words a bullet cut at the word limit should not end on.
_DANGLING = {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or",
             "so", "than", "that", "the", "to", "via", "with", "which", "while"}  # fmt: skip


def _strip_markers(text: str) -> str:
    prev = None
    while prev != text:
        prev = text
        text = _MARKER_RE.sub("", text.strip()).strip().strip(_QUOTES).strip()
    return text


def clean_bullet(text: str, max_words: int = MAX_BULLET_WORDS) -> str | None:
    """One model line as a bullet: no list marker, quotes, emphasis or trailing punctuation; at most
    `max_words` words. None when nothing is left."""
    text = _strip_markers(text).replace("**", "").replace("__", "")
    words = text.split()
    if len(words) > max_words:
        words = words[:max_words]
        while len(words) > 1 and words[-1].lower().strip(_TRAILING) in _DANGLING:
            words.pop()
    text = " ".join(words).rstrip(_TRAILING).strip()
    # An opening quote whose closing one was cut off, or a lone parenthesis, is noise.
    text = text.lstrip(_QUOTES).strip()
    return text if any(c.isalnum() for c in text) else None
