"""Coaching checks for a STAR story: what an interviewer listens for, as short, fixable findings.

The checks follow the behavioral framework in DESIGN.md: all four STAR parts, "I" rather than "we",
a decision with its reason, numbers in the result, and a length that fits about two minutes spoken.
They are word heuristics on purpose: fast, explainable, and the same on every machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from copilot.stories.model import STAR_SECTIONS, Story, heading_for
from copilot.wording import SPOKEN_WPM, has_number

Severity = Literal["error", "warning", "info"]

MIN_SECTION_WORDS = 12  # below this a part is a heading with a phrase, not something to tell
WORDS_PER_MINUTE = round(SPOKEN_WPM)  # a calm interview pace, inside the pace band the feedback advises
MIN_STORY_WORDS = 150  # under a minute: too thin to show judgement
MAX_STORY_WORDS = 400  # over ~2 min 40 s: the interviewer starts to interrupt
LENGTH_ADVICE = "aim for 1 to 2½ minutes"  # the band above, at WORDS_PER_MINUTE: said the same way for both ends

_PROMPTS = {
    "situation": "the context: team, product, what was at stake",
    "task": "what you owned and what success meant",
    "action": "your own steps, the decision you made and why",
    "result": "what changed, with numbers",
}

_DECISION = re.compile(
    r"\b(?:chose|choose|chosen|decided|decide|decision|proposed|propose|picked|pick|prioriti[sz]ed|"
    r"prioriti[sz]e|pushed for|push for|opted|traded|trade-?offs?|went with|settled on|selected|"
    r"recommended|argued for|bet on|ruled out|rejected|switched to|committed to)\b",
    re.IGNORECASE,
)
_REASON = re.compile(
    r"\b(?:because|so that|since|in order to|the reason|which meant|that meant|this meant|to avoid|"
    r"given that|due to|so (?:we|i) could|which would|otherwise|why)\b",
    re.IGNORECASE,
)
_I_WORDS = frozenset({"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"})
_WE_WORDS = frozenset({"we", "us", "our", "ours", "ourselves", "we're", "we've", "we'd", "we'll"})
_PRONOUN = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_ABBREVIATIONS = re.compile(r"\b(?:i\.e\.|e\.g\.)", re.IGNORECASE)  # their "i" and "e" are not pronouns


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    section: str | None  # the section key it is about, or None for the whole story
    message: str


def coach(story: Story) -> list[Finding]:
    findings = _check_sections(story)
    action, result = story.section("action"), story.section("result")
    if action:
        findings += _check_pronouns(action) + _check_decision(action)
    if result and not has_number(result):
        message = "Result has no number: quantify what changed (%, time saved, $, users, 'halved')."
        findings.append(Finding("result-no-number", "warning", "result", message))
    length = _check_length(story)
    if length is not None:
        findings.append(length)
    if all(story.section(key) for key in STAR_SECTIONS) and not word_count(story.section("lessons")):
        # Only once the four parts are there: before that, the missing basics are the news.
        message = "No Lessons: interviewers often ask what you learned; add a line on what you would keep or change."
        findings.append(Finding("no-lessons", "warning", "lessons", message))
    if not story.competencies:
        message = "No competencies tagged: add e.g. 'competencies: [ownership]' so it comes up for the right questions."
        findings.append(Finding("no-competencies", "warning", None, message))
    return findings


def word_count(text: str) -> int:
    return sum(1 for token in text.split() if any(ch.isalnum() for ch in token))


def spoken_seconds(words: int) -> int:
    return round(words * 60 / WORDS_PER_MINUTE)


def _check_sections(story: Story) -> list[Finding]:
    findings: list[Finding] = []
    for key in STAR_SECTIONS:
        heading, prompt = heading_for(key), _PROMPTS[key]
        words = word_count(story.section(key))
        if key not in story.sections:
            message = f"No {heading} section: add '## {heading}' with {prompt}."
            findings.append(Finding("missing-section", "error", key, message))
        elif words == 0:
            findings.append(Finding("empty-section", "error", key, f"{heading} is empty: write {prompt}."))
        elif words < MIN_SECTION_WORDS:
            message = f"{heading} is thin ({words} words; aim for {MIN_SECTION_WORDS}+): add {prompt}."
            findings.append(Finding("thin-section", "warning", key, message))
    return findings


def pronoun_counts(text: str) -> tuple[int, int]:
    """(first person singular, first person plural) pronouns in the text."""
    i_count = we_count = 0
    for token in _PRONOUN.findall(_ABBREVIATIONS.sub(" ", text)):
        if token == "US":  # the country, not the pronoun
            continue
        word = token.lower().replace("’", "'")
        i_count += word in _I_WORDS
        we_count += word in _WE_WORDS
    return i_count, we_count


def _check_pronouns(action: str) -> list[Finding]:
    i_count, we_count = pronoun_counts(action)
    if we_count > i_count:
        message = (
            f"Action says 'we' {_times(we_count)} and 'I' {_times(i_count)}: "
            "say what you did yourself ('I decided...', 'I built...')."
        )
        return [Finding("we-not-i", "warning", "action", message)]
    if i_count == 0:
        return [Finding("no-i", "warning", "action", "Action never says 'I': make clear which steps were yours.")]
    return []


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _check_decision(action: str) -> list[Finding]:
    findings: list[Finding] = []
    if not _DECISION.search(action):
        message = "Action names no decision: say what you chose and over what ('I chose X over Y')."
        findings.append(Finding("no-decision", "warning", "action", message))
    if not _REASON.search(action):
        message = "Action gives no reason: add why ('because...', 'so that...', 'to avoid...')."
        findings.append(Finding("no-reason", "warning", "action", message))
    return findings


def _check_length(story: Story) -> Finding | None:
    words = sum(word_count(story.section(key)) for key in STAR_SECTIONS)
    if words == 0:
        return None  # a blank story already has an error per section; a length finding would be noise
    said = f"About {spoken_seconds(words)} seconds spoken ({words} words)"
    if words < MIN_STORY_WORDS:
        return Finding("too-short", "warning", None, f"{said}: {LENGTH_ADVICE}; add detail to Action and Result.")
    if words > MAX_STORY_WORDS:
        return Finding("too-long", "warning", None, f"{said}: {LENGTH_ADVICE}; trim, starting with the Situation.")
    return Finding("length", "info", None, f"{said}: a good length.")


def score(findings: Iterable[Finding]) -> int:
    """0-100: each error costs 25 points and each warning 10, so a story with no problems scores 100."""
    cost = {"error": 25, "warning": 10, "info": 0}
    return max(0, 100 - sum(cost[f.severity] for f in findings))


def summary(findings: Iterable[Finding]) -> str:
    findings = list(findings)
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    if not errors and not warnings:
        return "ready to tell"
    parts = [_plural(errors, "error"), _plural(warnings, "warning")]
    return ", ".join(p for p in parts if p)


def _plural(n: int, noun: str) -> str:
    return "" if n == 0 else f"{n} {noun}" + ("" if n == 1 else "s")
