"""Rubric grading: per question type 3-5 criteria, each scored 1-4 with the words that earned it,
and the red flags an interviewer would write down.

Scores are counts of cues heard (see signals.py), so each one can be explained by its evidence: a 4
needs every cue of the criterion, a 1 means none was heard. The cue sets were tuned on the tune half of
tests/data/mock_eval only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from copilot.pipeline.phrases import any_phrase
from copilot.practice.feedback import COMPLEXITY_CUES, CONSTRAINT_CUES, RESULT_CUES
from copilot.practice.mock import signals as sg
from copilot.practice.mock.signals import Signals

RAMBLING_S = 180.0  # past three minutes an answer loses the interviewer (the red flag)
SPOKEN_WPM = 150  # to judge length from words alone, when no timing is known
BARE_DONT_KNOW_WORDS = 25  # an "I don't know" with fewer words around it is no attempt at all


@dataclass(frozen=True)
class Score:
    score: int  # 1-4
    evidence: list[str]  # the quoted words that earned it; empty when nothing was heard

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _score(points: int, quotes: Sequence[str | None]) -> Score:
    # A 1 means nothing was heard for it, so no words are quoted as having earned it.
    evidence = list(dict.fromkeys(q for q in quotes if q)) if points > 0 else []
    return Score(max(1, min(4, 1 + points)), evidence)


# --- behavioral -----------------------------------------------------------------------------------


def _situation(s: Signals) -> Score:
    situation = s.checks.get("situation_heard", False)
    stakes = s.quote(sg.STAKES)
    task = s.checks.get("task_heard", False)
    first = sg.shorten(s.sentences[0]) if s.sentences else None
    return _score(int(situation) + int(stakes is not None) + int(task), [first if situation else None, stakes])


def _ownership(s: Signals) -> Score:
    i_count, we_count = s.checks.get("i_count", 0), s.checks.get("we_count", 0)
    quote = s.quote(sg.OWNED) or s.quote(any_phrase(r"i (?:\w+ed|built|wrote|ran|led|made|took|chose)"))
    if i_count == 0:
        return _score(0, [])
    points = 1 if we_count > i_count else 2
    if we_count <= i_count and s.has(sg.OWNED):
        points = 3
    return _score(points, [quote])


def _decision(s: Signals) -> Score:
    action = s.checks.get("action_heard", False)
    reason = s.quote(sg.REASONING)
    alternative = s.quote(sg.ALTERNATIVE)
    return _score(int(action) + int(reason is not None) + int(alternative is not None), [reason, alternative])


def _result(s: Signals) -> Score:
    if not s.checks.get("result_heard", False):
        return _score(0, [])
    quote = s.quote(RESULT_CUES) or s.extra.get("outcome")  # the plain outcome that counted, when no cue word
    points = 1 + int(bool(s.checks.get("result_has_number") or s.checks.get("number_stated")))
    points += int(points == 2 and s.has(sg.BEFORE_AFTER))
    return _score(points, [quote, s.quote(sg.BEFORE_AFTER)])


def _reflection(s: Signals) -> Score:
    lesson = s.quote(sg.LESSON)
    if lesson is None:
        return _score(0, [])
    return _score(2 + int(s.has(sg.APPLIED)), [lesson])


# --- technical --------------------------------------------------------------------------------------


def _correctness(s: Signals) -> Score:
    total = len(s.key_points_covered) + len(s.key_points_missed)
    if total == 0:  # no topic card for the question: the definition and a limitation stand in
        definition = s.checks.get("definition", False)
        return _score(int(definition) + int(s.checks.get("limitation", False)) + int(s.words >= 60), [_first(s)])
    share = len(s.key_points_covered) / total
    points = 0 if share == 0 else 1 if share < 0.25 else 2 if share < 0.5 else 3
    return _score(points, [f"covered: {p}" for p in s.key_points_covered[:3]])


def _depth(s: Signals) -> Score:
    limitation = s.quote(
        any_phrase(r"however", r"limitation", r"downside", r"breaks", r"fails", r"drawback", r"careful", r"but ")
    )
    practical = s.quote(sg.PRACTICAL)
    return _score(
        int(limitation is not None) + int(practical is not None) + int(s.words >= 80), [limitation, practical]
    )


def _example(s: Signals) -> Score:
    example = s.quote(any_phrase(r"for example", r"for instance", r"e\.g\.", r"such as", r"say you", r"imagine"))
    own = s.quote(sg.EXAMPLE_OWN)
    points = int(example is not None) + 2 * int(own is not None)
    return _score(min(points, 3), [example, own])


# --- system design ----------------------------------------------------------------------------------


def _constraints(s: Signals) -> Score:
    quote = s.quote(CONSTRAINT_CUES)
    if not s.checks.get("constraints_mentioned", False):
        return _score(0, [])
    points = 1 + 2 * int(s.checks.get("constraints_first", False))
    return _score(points - int(points == 3 and not s.has(any_phrase(r"\d"))), [quote])


def _data(s: Signals) -> Score:
    hits = [sent for sent in s.sentences if sg.DATA.search(sent)]
    return _score(min(3, len(hits)), [sg.shorten(x) for x in hits[:2]])


def _architecture(s: Signals) -> Score:
    hits = [sent for sent in s.sentences if sg.ARCHITECTURE.search(sent)]
    return _score(min(3, len(hits)), [sg.shorten(x) for x in hits[:2]])


def _evaluation(s: Signals) -> Score:
    evaluation = s.quote(sg.EVALUATION)
    monitoring = s.checks.get("monitoring", False)
    online = s.has(any_phrase(r"online", r"a/?b", r"canary", r"shadow"))
    return _score(int(evaluation is not None) + int(monitoring) + int(online), [evaluation, _monitoring_quote(s)])


def _monitoring_quote(s: Signals) -> str | None:
    return s.quote(any_phrase(r"monitor", r"alert", r"dashboard", r"drift", r"track"))


def _trade_offs(s: Signals) -> Score:
    quotes = [sg.shorten(x) for x in s.sentences if sg.ALTERNATIVE.search(x)]
    return _score(min(3, len(quotes) + int(s.checks.get("trade_offs", False) and len(quotes) > 0)), quotes[:2])


# --- coding and motivation --------------------------------------------------------------------------


def _approach(s: Signals) -> Score:
    hits = [x for x in s.sentences if sg.COMPLEXITY_APPROACH.search(x)]
    return _score(min(3, len(hits)), [sg.shorten(x) for x in hits[:2]])


def _check_score(key: str, pattern_words: tuple[str, ...]) -> Callable[[Signals], Score]:
    pattern = any_phrase(*pattern_words)

    def grade(s: Signals) -> Score:
        hits = [x for x in s.sentences if pattern.search(x)]
        if not s.checks.get(key, False) and not hits:
            return _score(0, [])
        return _score(1 + min(2, len(hits)), [sg.shorten(x) for x in hits[:2]])

    return grade


def _story_arc(s: Signals) -> Score:
    parts = [s.checks.get(k, False) for k in ("present", "past", "future")]
    return _score(sum(parts), [_first(s)])


def _link(s: Signals) -> Score:
    quote = s.quote(sg.WHY_ROLE)
    return _score(0 if quote is None else 2 + int(s.has(any_phrase(r"because", r"\d"))), [quote])


def _specifics(s: Signals) -> Score:
    number = s.quote(any_phrase(r"\d", r"percent", r"million", r"thousand"))
    own = s.quote(any_phrase(r"i (?:built|led|shipped|wrote|designed|ran|owned)"))
    return _score(int(number is not None) + 2 * int(own is not None), [number, own])


def _first(s: Signals) -> str | None:
    return sg.shorten(s.sentences[0]) if s.sentences else None


RUBRICS: dict[str, dict[str, Callable[[Signals], Score]]] = {
    "behavioral": {
        "situation_and_stakes": _situation,
        "ownership": _ownership,
        "decision_and_reasoning": _decision,
        "measured_result": _result,
        "reflection": _reflection,
    },
    "technical": {"correctness": _correctness, "depth": _depth, "practical_example": _example},
    "system_design": {
        "constraints_first": _constraints,
        "data": _data,
        "architecture_and_serving": _architecture,
        "evaluation_and_monitoring": _evaluation,
        "trade_offs": _trade_offs,
    },
    "coding": {
        "approach": _approach,
        "complexity": _check_score("complexity", COMPLEXITY_CUES),
        "edge_cases": _check_score(
            "edge_cases",
            (r"edge cases?", r"empty", r"null", r"none", r"negative", r"duplicates?", r"overflow", r"single element"),
        ),
        "testing": _check_score("tests", (r"tests?", r"assert", r"walk through", r"dry run", r"check it with")),
    },
    "motivation": {"present_past_future": _story_arc, "link_to_role": _link, "specifics": _specifics},
}
RUBRICS["situational"] = {"correctness": _correctness, "depth": _depth, "trade_offs": _trade_offs}


def grade(s: Signals) -> dict[str, Score]:
    """Criterion -> score with evidence, for the answer's type (behavioral's rubric for an unknown type)."""
    rubric = RUBRICS.get(s.question_type, RUBRICS["behavioral"])
    return {name: criterion(s) for name, criterion in rubric.items()}


# --- red flags --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedFlag:
    id: str
    message: str
    evidence: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def red_flags(s: Signals, rambling_s: float = RAMBLING_S) -> list[RedFlag]:
    flags: list[RedFlag] = []
    blame = s.quote(sg.BLAME)
    if blame:
        flags.append(RedFlag("blaming", "Blames others: own the part that was yours.", blame))
    if s.question_type == "behavioral":
        flags += _behavioral_flags(s)
    if s.question_type == "system_design":
        flags += _design_flags(s)
    length_s = s.duration_s if s.duration_s is not None else s.words / SPOKEN_WPM * 60
    if length_s > rambling_s:
        flags.append(RedFlag("rambling", f"Ran {length_s / 60:.1f} minutes: land it within {rambling_s / 60:.0f}."))
    dont_know = s.quote(sg.DONT_KNOW)
    if dont_know and s.words < BARE_DONT_KNOW_WORDS:
        flags.append(
            RedFlag("bare_dont_know", 'A bare "I don\'t know": reason out loud from what you do know.', dont_know)
        )
    return flags


def _behavioral_flags(s: Signals) -> list[RedFlag]:
    flags = []
    i_count, we_count = s.checks.get("i_count", 0), s.checks.get("we_count", 0)
    if we_count >= 2 and i_count <= we_count // 3:
        flags.append(RedFlag("no_ownership", f'No ownership: "we" {we_count} times, "I" {i_count}.'))
    if not s.checks.get("result_heard", False) and s.words >= 15:
        flags.append(RedFlag("no_outcome", "No outcome: the story ends before saying what changed."))
    return flags


def _design_flags(s: Signals) -> list[RedFlag]:
    model = sg.MODEL_WORDS.search(s.transcript)
    constraint = CONSTRAINT_CUES.search(s.transcript)
    if model and (constraint is None or model.start() < constraint.start()):
        quote = next((sg.shorten(x) for x in s.sentences if sg.MODEL_WORDS.search(x)), None)
        return [
            RedFlag(
                "model_before_constraints", "Jumped to a model before the constraints (scale, latency, metric).", quote
            )
        ]
    return []
