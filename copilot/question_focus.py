"""The question inside an interviewer's turn: what to answer, apart from the context before it.

Interviewers rarely ask a bare question. They set the scene for half a minute ("Okay, let us switch
gears to the design portion... We run a marketplace for second-hand furniture...") and then ask,
sometimes in two parts. Classifying or retrieving on the whole turn lets the small talk and the
agenda outweigh the question, so `split_question` cuts a turn in two:

- `question`: the last run of asking sentences (a "?" at the end, or an interrogative or imperative
  start: "How would you...", "Walk me through...", "Tell me about..."), with whatever follows them,
  and, when they point back ("this drop", "such a system", "it"), the scenario sentences they refer
  to, back to the last sentence about the interview itself ("let us switch gears", "we have forty
  minutes");
- `preamble`: everything before that.

A two-part question ("How would you investigate this drop? And what would you change so it does not
happen again?") keeps both parts: consecutive asking sentences stay together. Text with no asking
sentence at all (a partial still in its preamble) is all question, so something is always answered.

Word heuristics on whisper's punctuated text, like the rest of the turn logic (copilot/live/turns.py):
no model, microseconds per call, deterministic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Discourse openers that do not change what a sentence is ("So, okay, how would you...").
_OPENERS = r"^(?:(?:so|and|also|okay|ok|now|great|alright|right|then|well|finally|lastly|second|secondly),?\s+)*"
ASKING_START = re.compile(
    _OPENERS + r"(?:what|why|how|when|where|which|who|whom|whose|can|could|would|will|do|does|did|is|are|have|has|"
    r"should|tell|describe|explain|walk|design|write|implement|give|talk|imagine|suppose|say|compare|share|"
    r"assume|let's say|let us say|i'd like you to|i would like you to|i want you to|i'd love to hear|"
    r"i'm curious|i am curious|in what|to what|for what)\b",
    re.I,
)
# Sentences about the interview itself, never part of a scenario.
_META = re.compile(
    r"\b(?:switch gears|move on|moving on|next (?:part|section|question|portion|topic)|this hour|"
    r"(?:the )?(?:design|coding|behavioral|technical) (?:portion|part|section|round)|give you a sense|"
    r"minutes (?:on|for|left)|questions for (?:us|me)|at the end|thanks|thank you|that was (?:great|helpful)|"
    r"nice to meet|let me (?:tell|explain) (?:you )?how|how (?:this|the) (?:interview|session) )",
    re.I,
)
# Words by which a question points back to a scenario told before it.
_POINTS_BACK = re.compile(
    r"\b(?:this|that|these|those|such|it|its|they|them|their|there|the same|the above|the system|the model|"
    r"the drop|the problem|the situation|the scenario|the service|the platform)\b",
    re.I,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# A shorter question leans on the sentence before it ("I'd like to hear about your last project.
# What was the hardest part?").
MIN_SELF_CONTAINED_WORDS = 7
MAX_SCENARIO_SENTENCES = 6  # a scenario longer than this is context, not part of the question


@dataclass(frozen=True)
class QuestionFocus:
    """A turn cut in two; `preamble + " " + question` is the turn (whitespace normalised)."""

    preamble: str
    question: str


def sentences(text: str) -> list[str]:
    """Sentences by their final punctuation (whisper punctuates); unpunctuated text is one sentence."""
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if s]


def is_asking(sentence: str) -> bool:
    """Does this sentence ask something (a question mark, or an interrogative or imperative start)?"""
    stripped = sentence.strip()
    return stripped.endswith("?") or (bool(ASKING_START.match(stripped)) and len(stripped.split()) >= 3)


def split_question(text: str) -> QuestionFocus:
    """Split an interviewer's turn into its preamble and the question to answer (see the module doc).

    >>> split_question("We run a furniture marketplace. Sales dropped. How would you debug this drop?")
    QuestionFocus(preamble='', question='We run a furniture marketplace. Sales dropped. How would you debug this drop?')
    >>> split_question("Thanks, that was helpful. Let's move on. What is dropout?")
    QuestionFocus(preamble="Thanks, that was helpful. Let's move on.", question='What is dropout?')
    """
    parts = sentences(text)
    asking = [i for i, s in enumerate(parts) if is_asking(s)]
    if not asking:
        return QuestionFocus("", " ".join(parts))
    start = asking[-1]
    while start > 0 and is_asking(parts[start - 1]):
        start -= 1  # a two-part question: the parts asked one after the other stay together
    asked = " ".join(parts[start:])
    if _POINTS_BACK.search(asked):
        start = _scenario_start(parts, start)
    elif len(asked.split()) < MIN_SELF_CONTAINED_WORDS and start > 0 and not _META.search(parts[start - 1]):
        start -= 1  # "What was the hardest part?" is about the sentence before it
    return QuestionFocus(" ".join(parts[:start]), " ".join(parts[start:]))


def _scenario_start(parts: list[str], question_start: int) -> int:
    """First sentence of the scenario before the question: back to the last sentence about the
    interview itself, at most MAX_SCENARIO_SENTENCES."""
    start = question_start
    while start > 0 and question_start - start < MAX_SCENARIO_SENTENCES and not _META.search(parts[start - 1]):
        start -= 1
    return start
