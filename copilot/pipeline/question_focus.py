"""The question inside an interviewer's turn: what to answer, apart from the context before it.

Interviewers rarely ask a bare question. They set the scene for half a minute ("Okay, let us switch
gears to the design portion... We run a marketplace for second-hand furniture...") and then ask,
sometimes in two parts. Classifying or retrieving on the whole turn lets the small talk and the
agenda outweigh the question, so `split_question` cuts a turn in two:

- `question`: the last run of asking sentences (a "?" at the end, or an interrogative or imperative
  start: "How would you...", "Walk me through...", "Tell me about..."), with whatever follows them,
  and the scenario they are about: from a scenario opener ("Imagine...", "Say you own...") or, when
  they point back ("this drop", "these images"), back to the last sentence about the interview
  itself ("let us switch gears", "we have forty minutes"), at most MAX_SCENARIO_SENTENCES; a very
  short question ("What was the hardest part?") takes the sentence before it;
- `preamble`: everything before that.

A two-part question ("How would you investigate this drop? And what would you change so it does not
happen again?") keeps both parts: consecutive asking sentences stay together. Text with no asking
sentence at all (a partial still in its preamble) is all question, so something is always answered.

Word heuristics on whisper's punctuated text, like the rest of the turn logic (copilot/live/turns.py):
no model, microseconds per call, deterministic.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

# Discourse openers that do not change what a sentence is ("So, okay, how would you...").
_OPENERS = r"^(?:(?:so|and|also|okay|ok|now|great|alright|right|then|well|finally|lastly|second|secondly),?\s+)*"
ASKING_START = re.compile(
    _OPENERS + r"(?:what|why|how|when|where|which|who|whom|whose|can|could|would|will|do|does|did|is|are|have|has|"
    r"should|tell|describe|explain|walk|design|write|implement|give|talk|imagine|suppose|say|compare|share|"
    # "Write a function..." as whisper often hears it; "Right, a ..." (a comma) stays an opener.
    r"right(?=\s+(?:a|an|me|some|down|code)\b)|"
    r"assume|let's say|let us say|i'd like you to|i would like you to|i want you to|i'd love to hear|"
    r"i'm curious|i am curious|in what|to what|for what)\b",
    re.I,
)
# "What we look for is...", "How you got there matters": a wh-word then a subject is a statement.
_STATEMENT = re.compile(_OPENERS + r"(?:what|how|why|where|when|who)\s+(?:we|i|you|they|he|she|people)\b", re.I)
# Sentences about the interview itself, never part of a scenario.
_META = re.compile(
    r"\b(?:switch gears|move on|moving on|next (?:part|section|question|portion|topic)|this hour|"
    r"(?:the )?(?:design|coding|behavioral|technical) (?:portion|part|section|round)|give you a sense|"
    r"minutes (?:on|for|left)|questions for (?:us|me)|at the end|thanks|thank you|that was (?:great|helpful)|"
    r"nice to meet|let me (?:tell|explain) (?:you )?how|how (?:this|the) (?:interview|session) |"
    r"tell you a (?:little|bit) about|about (?:the|our) team|right (?:or wrong )?answer|push back|take (?:a few )?notes|"
    r"last candidate|long day|stop me|feel free|take a moment|clarifying questions|whiteboard|shared editor|"
    r"any language|talk through your)",
    re.I,
)
# Words by which a question points back to a scenario told before it. Not "it" or "they": those
# mostly point inside the question itself ("Explain dropout and why it helps").
_POINTS_BACK = re.compile(
    r"\b(?:this|these|those|such|the same|the above|the system|the model|the drop|the problem|the situation|"
    r"the scenario|the service|the platform|that (?:system|model|drop|problem|situation|service|platform))\b",
    re.I,
)
# "it" or "they" early in a question, before it names anything of its own, is the scenario's.
_EARLY_PRONOUN = re.compile(r"\b(?:it|its|they|them|their)\b", re.I)
_EARLY_WORDS = 6
# A sentence that opens a scenario: whatever the question then asks is about it.
SCENARIO_OPENER = re.compile(_OPENERS + r"(?:imagine|suppose|say|assume|let's say|let us say|picture)\b", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# A wh-word and an inverted verb: "what is the", "how would you".
_WH_QUESTION = (
    r"(?:how|what|why|which|when|where) (?:would|do|did|is|are|was|were|can|could|should|will) "
    r"(?:you|we|the|a|an|your|this|that|it|there)\b"
)
# A wh-word and an inverted verb ask even after a clause ("And once you know how would you...").
_INNER_QUESTION = re.compile(r"(?<=[\w,;]\s)" + _WH_QUESTION, re.I)
# Where a question starts even without a full stop before it: live text decoded span by span often
# has none ("...take a moment before you answer what is the difference between..."). Phrases that
# start a question almost whenever they occur, so the cut is safe mid-sentence.
_QUESTION_PHRASE = re.compile(
    r"(?<=[\w,;]\s)(?:(?:so|and|now|okay|ok),?\s+)?(?:"
    + _WH_QUESTION
    + r"|"
    r"tell me about|walk me through|write a (?:function|program|class)|explain (?:how|why|what)|"
    r"describe a time|give me an example|do you have any questions|design an? |how do you|why do you|"
    r"can you (?:tell|walk|explain|describe|design|write))",
    re.I,
)
# A shorter question leans on the sentence before it ("I'd like to hear about your last project.
# What was the hardest part?").
MIN_SELF_CONTAINED_WORDS = 7
MAX_SCENARIO_SENTENCES = 6
MIN_RUN_ON_WORDS = 8  # words before a question phrase for it to start a sentence of its own  # a scenario longer than this is context, not part of the question


@dataclass(frozen=True)
class QuestionFocus:
    """A turn cut in two; `preamble + " " + question` is the turn (whitespace normalised)."""

    preamble: str
    question: str


def sentences(text: str) -> list[str]:
    """Sentences by their final punctuation (whisper punctuates), each also cut where a question
    phrase starts inside it (live text often lacks the full stop before one)."""
    out = []
    for sentence in _SENTENCE_END.split(" ".join(text.split())):
        starts = [0]
        for match in _QUESTION_PHRASE.finditer(sentence):
            # Only a run-on: "and once you know how would you decide..." is one question.
            if len(sentence[starts[-1] : match.start()].split()) >= MIN_RUN_ON_WORDS:
                starts.append(match.start())
        starts.append(len(sentence))
        out += [sentence[a:b].strip() for a, b in itertools.pairwise(starts) if sentence[a:b].strip()]
    return out


def is_asking(sentence: str) -> bool:
    """Does this sentence ask something (a question mark, or an interrogative or imperative start)?"""
    stripped = sentence.strip()
    if stripped.endswith("?"):
        return True
    if ASKING_START.match(stripped):
        return len(stripped.split()) >= 3 and not _STATEMENT.match(stripped)
    # A question after a short clause, which `sentences` leaves in one piece: "And once you know
    # how would you decide when to retrain it." (whisper put no "?" and no comma).
    return _INNER_QUESTION.search(stripped) is not None


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
    scenario = _scenario_start(parts, start)
    opener = next((i for i in range(scenario, start) if SCENARIO_OPENER.match(parts[i])), None)
    if opener is not None:
        start = opener  # "Imagine a video platform... How would you design its home page?"
    elif _POINTS_BACK.search(asked) or _EARLY_PRONOUN.search(" ".join(parts[start].split()[:_EARLY_WORDS])):
        start = scenario
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
