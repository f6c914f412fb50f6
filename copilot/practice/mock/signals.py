"""What an answer says, sentence by sentence, for the follow-ups and the rubric.

The framework checks come from copilot/practice/feedback.py (one analysis of an answer, not two); this module
adds what a grader needs on top: the sentence that earned each check (the evidence), the cues the
feedback view does not need (an alternative weighed, a lesson, the stakes, reasoning, blame), and which
key points of the question's topic card were covered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from copilot.pipeline.knowledge import Topic
from copilot.pipeline.phrases import any_phrase
from copilot.practice import feedback

EVIDENCE_WORDS = 28  # a quote long enough to recognise the sentence, short enough to read in the report

ALTERNATIVE = any_phrase(
    r"instead of",
    r"rather than",
    r"considered",
    r"alternatives?",
    r"options?\b",
    r"versus",
    r"vs\b",
    r"weighed",
    r"trade[- ]?offs?",
    r"rejected",
    r"ruled out",
    r"the other (?:option|approach|choice)",
    r"compared",
    r"could have",
    r"decided against",
    r"why not",
)
REASONING = any_phrase(r"because", r"so that", r"since (?:the|it|we|our)", r"the reason", r"which meant", r"given that")
LESSON = any_phrase(
    r"i learned",
    r"i learnt",
    r"lessons?\b",
    r"next time",
    r"since then",
    r"now i ",
    r"in hindsight",
    r"looking back",
    r"would do differently",
    r"taught me",
    r"i (?:always|now) ",
    r"the takeaway",
    r"i kept",
    r"from then on",
    r"ever since",
    r"i'd do",
)
APPLIED = any_phrase(
    r"since then", r"now i ", r"from then on", r"ever since", r"i (?:always|now) ", r"on every", r"i kept"
)
STAKES = any_phrase(
    r"at stake",
    r"risk",
    r"deadline",
    r"customers?",
    r"revenue",
    r"cost",
    r"users?\b",
    r"[$€£]",
    r"outage",
    r"churn",
    r"launch",
    r"contract",
    r"sla",
    r"complain",
    r"on call",
    r"incident",
    r"losing",
    r"blocked",
)
OWNED = any_phrase(
    r"i owned",
    r"i was (?:responsible|asked|tasked)",
    r"my (?:goal|job|task|responsibility|part) was",
    r"i led",
    r"i took",
)
IMPROVEMENT_CLAIM = any_phrase(
    r"improved",
    r"faster",
    r"better",
    r"reduced",
    r"increased",
    r"saved",
    r"cut (?:the|our|down)",
    r"fixed",
    r"worked",
    r"success",
    r"happier",
    r"dropped",
    r"grew",
    r"lower",
    r"higher",
    r"boost",
    r"sped up",
)
BEFORE_AFTER = re.compile(r"\bfrom\b[^.]*\d[^.]*\bto\b|\bby \d|\d+(?:\.\d+)? ?(?:%|percent|x\b)", re.IGNORECASE)
BLAME = any_phrase(
    r"(?:their|his|her|the other team's|product's) fault",
    r"not my fault",
    r"to blame",
    r"blamed? (?:them|him|her|the)",
    r"incompetent",
    r"useless",
    r"lazy",
    r"dropped the ball",
    r"messed (?:it|everything|things) up",
    r"(?:they|he|she) (?:never|just didn't|didn't even) (?:listen|care|bother|read|test)",
    r"nobody else (?:cared|bothered)",
    r"stupid",
)
DONT_KNOW = any_phrase(
    r"i don't know", r"i do not know", r"no idea", r"not sure", r"i've never", r"i have never", r"can't remember"
)
EXAMPLE_OWN = any_phrase(
    r"i used",
    r"we used",
    r"in my (?:last|previous|current)",
    r"at my (?:last|previous|current)",
    r"on our",
    r"when i ",
    r"in production",
)
PRACTICAL = any_phrase(
    r"in practice",
    r"default",
    r"tune",
    r"tuning",
    r"typical(?:ly)?",
    r"usually",
    r"rule of thumb",
    r"set (?:it|the)",
    r"\d",
    r"the knob",
    r"works well",
    r"start with",
)
DATA = any_phrase(
    r"labels?\b",
    r"features?\b",
    r"training data",
    r"logs?\b",
    r"events?\b",
    r"clicks?",
    r"data(?:set)?s?\b",
    r"feature store",
    r"ground truth",
    r"annotat",
    r"sources?\b",
    r"point[- ]in[- ]time",
    r"backfill",
)
ARCHITECTURE = any_phrase(
    r"retriev",
    r"rank",
    r"candidate",
    r"cach",
    r"servic",
    r"api\b",
    r"batch",
    r"stream",
    r"queue",
    r"index",
    r"shard",
    r"replica",
    r"load balanc",
    r"endpoint",
    r"gpu",
    r"serv(?:e|ing)",
    r"two[- ]tower",
    r"pipeline",
    r"embedding",
    r"database",
    r"storage",
    r"autoscal",
    r"kafka",
)
EVALUATION = any_phrase(
    r"offline",
    r"online",
    r"a/b",
    r"ab test",
    r"precision",
    r"recall",
    r"auc",
    r"ndcg",
    r"evaluat",
    r"holdout",
    r"metric",
)
MODEL_WORDS = any_phrase(
    r"(?:a |an |the )?(?:neural|deep|transformer|bert|gpt|llm|xgboost|gradient boost|two[- ]tower|lstm|cnn|"
    r"logistic regression|random forest|model)\b"
)
COMPLEXITY_APPROACH = any_phrase(
    r"brute force",
    r"hash ?(?:map|set|table)",
    r"dictionary",
    r"two pointers?",
    r"sort",
    r"heap",
    r"binary search",
    r"stack",
    r"queue",
    r"recurs",
    r"dynamic programming",
    r"bfs",
    r"dfs",
    r"sliding window",
    r"iterate",
    r"loop",
)
WHY_ROLE = any_phrase(
    r"this (?:role|position|team|job)", r"your (?:team|company|product|mission)", r"here at", r"join (?:you|your)"
)
# Outcomes said plainly, which feedback's result cues (improved, reduced, as a result) do not cover:
# "after that", "it has not failed since", "went down from 300 to 90". Looked for in the answer's second
# half only, so scene-setting ("since the launch") does not count.
OUTCOME = any_phrase(
    r"after that",
    r"since then",
    r"ever since",
    r"\w+ since\b",
    r"went (?:down|up|from)",
    r"it worked",
    r"(?:has|have) (?:not|never)",
    r"stopped",
    r"accepted",
    r"we launched",
    r"i launched",
    r"agreed to",
    r"is doing",
    r"the (?:job|model|system|service) (?:now|has)",
)
# A quantity, written or spoken ("two points", "one quarter", "30 percent"): in the back half of a story, a
# sentence that states one and is neither a step the candidate took nor the lesson is what happened
# as a result ("it cost us two points of recall"), even with no outcome word in it.
QUANTITY = any_phrase(
    r"\d",
    r"[$€£%]",
    r"(?:half|halved|double|doubled|tripled|twice|quarters?|two|three|four|five|six|seven|eight|nine|ten|"
    r"twenty|thirty|fifty|hundreds?|thousands?|millions?|percent)\b",
)
_STOP = frozenset(
    "the a an and or of to in on for with by at is are be as it its that this from into than then when not no "
    "one two each all any many more most less few per via can may use used using you your their they them "
    "both only also such very much how what which who why where does do did was were has have had but if so".split()
)


@dataclass(frozen=True)
class Signals:
    question_type: str
    transcript: str
    sentences: tuple[str, ...]
    checks: dict[str, Any]  # feedback.py's checks for the type
    words: int
    duration_s: float | None
    key_points_covered: tuple[str, ...] = ()
    key_points_missed: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def quote(self, pattern: re.Pattern[str]) -> str | None:
        """The first sentence that matches, shortened: the words that earned a point."""
        hit = next((s for s in self.sentences if pattern.search(s)), None)
        return shorten(hit) if hit else None

    def has(self, pattern: re.Pattern[str]) -> bool:
        return bool(pattern.search(self.transcript))


def shorten(sentence: str, limit: int = EVIDENCE_WORDS) -> str:
    words = sentence.split()
    return " ".join(words[:limit]) + (" ..." if len(words) > limit else "")


def _stem(word: str) -> str:
    # A crude stem: enough that "shrink", "shrinks" and "shrinking" meet, and no stemmer to ship.
    return word[:5] if len(word) > 5 else word


def content_stems(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2 and w not in _STOP}


def key_point_covered(point: str, answer_stems: set[str]) -> bool:
    """At least half of the point's content words (two at least, when it has two) were said."""
    wanted = content_stems(point)
    if not wanted:
        return False
    hits = len(wanted & answer_stems)
    return hits >= max(min(2, len(wanted)), round(len(wanted) * KEY_POINT_SHARE))


KEY_POINT_SHARE = 0.4


def analyse(
    question_type: str, transcript: str, topic: Topic | None = None, duration_s: float | None = None
) -> Signals:
    checks = feedback.framework_checks(question_type, transcript)
    extra: dict[str, Any] = {}
    if question_type == "behavioral" and not checks.get("result_heard", True):
        outcome = plain_outcome(transcript)
        checks["result_heard"] = outcome is not None
        if outcome:
            extra["outcome"] = shorten(outcome)
    covered: list[str] = []
    missed: list[str] = []
    if topic is not None:
        stems = content_stems(transcript)
        for point in topic.key_points:
            (covered if key_point_covered(point, stems) else missed).append(point)
    return Signals(
        question_type=question_type,
        transcript=transcript,
        sentences=tuple(feedback.sentences(transcript)),
        checks=checks,
        words=len(transcript.split()),
        duration_s=duration_s,
        key_points_covered=tuple(covered),
        key_points_missed=tuple(missed),
        extra=extra,
    )


def plain_outcome(transcript: str) -> str | None:
    """The sentence of the answer's second half that says what happened, with no result cue word:
    an outcome phrase ("after that", "went down") or a quantity in a sentence that is neither a step
    the candidate took nor the lesson. Only the second half, so the scene-setting ("since the launch",
    "a team of five") does not count as an outcome."""
    tail = _second_half_sentences(transcript)
    phrase = next((s for s in tail if OUTCOME.search(s)), None)
    if phrase is not None:
        return phrase
    return next((s for s in tail if QUANTITY.search(s) and not _step_or_lesson(s)), None)


def _second_half_sentences(transcript: str) -> list[str]:
    """The sentences that end past the answer's middle word, the one crossing it cut to its tail."""
    midpoint = len(transcript.split()) // 2
    tail: list[str] = []
    seen = 0
    for sentence in feedback.sentences(transcript):
        words = sentence.split()
        if seen + len(words) > midpoint:
            tail.append(" ".join(words[max(0, midpoint - seen) :]))
        seen += len(words)
    return tail


def _step_or_lesson(sentence: str) -> bool:
    return "action" in feedback.star_labels(sentence) or bool(LESSON.search(sentence))
