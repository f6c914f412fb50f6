"""Follow-up probes: what an interviewer asks next, chosen from what the answer lacks or claims.

Each gap has a detector (on the answer's signals) and a template filled with the answer's own words
where it has some ("You said 'we rebuilt the pipeline'. What was your part, specifically?"). Gaps are
tried in an order per question type, most telling first; the order was set on the tune half of
tests/data/mock_eval. The LLM may later rephrase a probe behind the guard; these templates stand alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass

from copilot.pipeline.phrases import any_phrase
from copilot.practice.feedback import RESULT_CUES
from copilot.practice.mock import signals as sg
from copilot.practice.mock.signals import Signals

QUOTE_WORDS = 9  # a probe quotes a short phrase of the answer, not a whole sentence


@dataclass(frozen=True)
class FollowUp:
    gap: str  # which lack or claim it probes (the label set of tests/data/mock_eval)
    text: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _phrase(match: re.Match[str] | None, text: str, words: int = QUOTE_WORDS) -> str | None:
    """The words from a match to the end of its clause, at most `words` of them."""
    if match is None:
        return None
    rest = re.split(r"[.,;!?]| and then | but ", text[match.start() :])[0]
    return " ".join(rest.split()[:words]).strip() or None


def _quoted(phrase: str | None, fallback: str) -> str:
    return f'You said "{phrase}". ' if phrase else fallback


# --- detectors: each returns the probe's text when the gap is there, else None ----------------------


def _no_number(s: Signals) -> str | None:
    if s.checks.get("number_stated", True):
        return None
    claim = _phrase(sg.IMPROVEMENT_CLAIM.search(s.transcript) or RESULT_CUES.search(s.transcript), s.transcript)
    return _quoted(claim, "") + "How did you measure that? What number moved, from what to what?"


def _mostly_we(s: Signals) -> str | None:
    i_count, we_count = s.checks.get("i_count", 0), s.checks.get("we_count", 0)
    if we_count < 2 or we_count <= i_count:
        return None
    we = _phrase(re.search(r"\bwe (?!were\b|had\b|are\b)\w+", s.transcript, re.IGNORECASE), s.transcript)
    return _quoted(we, "") + "What was your part in that, specifically?"


def _no_alternative(s: Signals) -> str | None:
    if s.has(sg.ALTERNATIVE):
        return None
    choice = _phrase(
        re.search(
            r"\b(?:i|we) (?:decided|chose|picked|went with|switched|moved|built|added|used)\b", s.transcript, re.I
        ),
        s.transcript,
    )
    return _quoted(choice, "") + "What else did you consider, and why not that?"


def _no_result(s: Signals) -> str | None:
    if s.checks.get("result_heard", True):
        return None
    return "How did it end? What changed because of what you did?"


def _no_lesson(s: Signals) -> str | None:
    if s.has(sg.LESSON):
        return None
    return "Looking back, what would you do differently, and what do you do now because of it?"


def _missing_key_points(s: Signals) -> str | None:
    total = len(s.key_points_covered) + len(s.key_points_missed)
    if total == 0 or len(s.key_points_covered) / total >= MISSING_SHARE:
        return None
    return f"What about {_point_subject(s.key_points_missed[0])}? How does that fit into your answer?"


MISSING_SHARE = 0.5  # fewer than half of the card's key points heard: probe the first one missed


def _point_subject(point: str) -> str:
    """A key point's subject, without its answer: "Warmup: ramp lr up ..." -> "warmup",
    "Expected error = bias squared + ..." -> "expected error"."""
    head = re.split(r"[:;=,(]", point)[0].strip()
    words = head.split()
    # "L1 penalizes the sum of |w|" asks about L1: the subject ends at its verb.
    verb = next((i for i, w in enumerate(words) if i and _VERB.match(w)), len(words))
    return " ".join(words[: min(verb, 5)]).rstrip(" +-*/").lower()


_VERB = re.compile(
    r"^(?:is|are|was|means|gives|returns|runs|helps|keeps|needs|makes|adds|drops|moves|uses|permits|scales|"
    r"acts|shrinks?|stays?|picks?|lands?|hurts|cures|breaks|\w+izes|\w+ises)$",
    re.IGNORECASE,
)


def _no_example(s: Signals) -> str | None:
    if s.checks.get("example", True) or s.has(sg.EXAMPLE_OWN):
        return None
    return "Can you give me a concrete example, ideally one from your own work?"


def _no_limitation(s: Signals) -> str | None:
    if s.checks.get("limitation", True):
        return None
    return "When does that break down, or what would make you not use it?"


def _no_constraints(s: Signals) -> str | None:
    if s.checks.get("constraints_first", True):
        return None
    first = _phrase(sg.MODEL_WORDS.search(s.transcript) or sg.ARCHITECTURE.search(s.transcript), s.transcript, 6)
    lead = f'Before "{first}": ' if first else ""
    return lead + "what latency and scale did you assume, and which metric are you optimising?"


def _no_data(s: Signals) -> str | None:
    if sum(1 for x in s.sentences if sg.DATA.search(x)) >= 2:
        return None
    return "Where do the training data and labels come from, and how fresh are the features?"


def _no_trade_off(s: Signals) -> str | None:
    if s.checks.get("trade_offs", True) or s.has(sg.ALTERNATIVE):
        return None
    choice = _phrase(sg.ARCHITECTURE.search(s.transcript), s.transcript, 6)
    return _quoted(choice, "") + "What did you trade away with that choice, and what was the alternative?"


def _no_monitoring(s: Signals) -> str | None:
    if s.checks.get("monitoring", True) and s.has(sg.EVALUATION):
        return None
    return "How would you know it works once it is live: which offline metric, which online one, what alerts?"


def _no_complexity(s: Signals) -> str | None:
    if s.checks.get("complexity", True):
        return None
    approach = _phrase(sg.COMPLEXITY_APPROACH.search(s.transcript), s.transcript, 6)
    return _quoted(approach, "") + "What is the time and space complexity of that?"


def _no_edge_cases(s: Signals) -> str | None:
    if s.checks.get("edge_cases", True):
        return None
    return "What happens with an empty input, duplicates or a single element?"


def _no_tests(s: Signals) -> str | None:
    if s.checks.get("tests", True):
        return None
    return "How would you test it? Walk me through one small example."


def _no_link(s: Signals) -> str | None:
    if s.checks.get("link_to_role", True):
        return None
    return "Why this role, and this team in particular?"


def _no_specifics(s: Signals) -> str | None:
    if s.has(any_phrase(r"\d", r"i (?:built|led|shipped|wrote|designed|ran|owned)")):
        return None
    return "Which piece of your work shows that best, and what was your part in it?"


def _vague_claim(s: Signals) -> str | None:
    """A confident claim with nothing behind it: probe the claim itself."""
    claim = _phrase(sg.IMPROVEMENT_CLAIM.search(s.transcript), s.transcript)
    return f'You said "{claim}". How did you know?' if claim else None


Detector = Callable[[Signals], "str | None"]
ORDER: dict[str, list[tuple[str, Detector]]] = {
    "behavioral": [
        ("no_result", _no_result),
        ("mostly_we", _mostly_we),
        ("no_number", _no_number),
        ("no_alternative", _no_alternative),
        ("no_lesson", _no_lesson),
    ],
    "technical": [
        ("missing_key_points", _missing_key_points),
        ("no_example", _no_example),
        ("no_limitation", _no_limitation),
    ],
    "system_design": [
        ("no_constraints", _no_constraints),
        ("no_monitoring", _no_monitoring),
        ("no_trade_off", _no_trade_off),
        ("no_data", _no_data),
    ],
    "coding": [("no_complexity", _no_complexity), ("no_edge_cases", _no_edge_cases), ("no_tests", _no_tests)],
    "motivation": [("no_link", _no_link), ("no_specifics", _no_specifics)],
}
ORDER["situational"] = ORDER["technical"]
# With no gap found, an interviewer still digs: into the claim, or the road not taken.
_DEEPER: list[tuple[str, Detector]] = [
    ("deeper", _vague_claim),
    ("deeper", lambda s: "What was the hardest part of that, and how did you handle it?"),
]


def follow_ups(s: Signals, limit: int = 2) -> list[FollowUp]:
    """At most `limit` probes, the most telling gap first; a deeper probe when no gap is found."""
    found = [
        FollowUp(gap, text) for gap, detect in ORDER.get(s.question_type, ORDER["behavioral"]) if (text := detect(s))
    ]
    if not found:
        found = [FollowUp(gap, text) for gap, detect in _DEEPER if (text := detect(s))]
    return found[:limit]


GAPS = sorted({gap for order in ORDER.values() for gap, _ in order})
