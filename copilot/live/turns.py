"""When has the interviewer finished asking? Pause plus text, never the candidate's speech.

The segmenter already waited for a pause before it finalised the utterance; here we weigh whether the
text reads as a question. A question-like utterance ends the turn at once. A preamble ("I'd like to
hear about your last project.") waits up to `merge_window_s` for more: if the interviewer goes on,
the parts are merged into one question. Candidate speech ends a pending turn (they started to
answer) but never triggers prompts itself. Time comes from the audio timeline (`Tick` events), so the
detector is deterministic and testable without sleeping.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from copilot.events import CANDIDATE, INTERVIEWER, Question, Transcript

_QUESTION_START = re.compile(
    r"^(so,?\s+|and\s+|okay,?\s+|ok,?\s+|now,?\s+|great,?\s+|alright,?\s+)*"
    r"(what|why|how|when|where|which|who|whom|whose|can|could|would|will|do|does|did|is|are|have|has|should|"
    r"tell|describe|explain|walk|design|write|implement|give|talk|imagine|suppose|say|compare|share)\b",
    re.I,
)
# Words a speaker trails off with mid-thought: a pause after them is not the end of a question.
_TRAILING = re.compile(r"\b(and|or|but|so|the|a|an|of|to|with|for|like|um|uh|because|that)\W*$", re.I)


def reads_as_question(text: str) -> bool:
    stripped = text.strip()
    if not stripped or _TRAILING.search(stripped):
        return False
    if stripped.endswith("?"):
        return True
    last_sentence = re.split(r"(?<=[.!?])\s+", stripped)[-1]
    return bool(_QUESTION_START.match(last_sentence)) and len(last_sentence.split()) >= 3


@dataclass(frozen=True)
class Tick:
    """The audio clock advanced to `t_s` (seconds in the interviewer's timeline)."""

    t_s: float


@dataclass(frozen=True)
class AnswerNow:
    """The user asked for prompts now ("answer now" shortcut)."""


@dataclass
class _Pending:
    parts: list[str] = field(default_factory=list)
    t_end_s: float = 0.0
    partial: str = ""

    def text(self) -> str:
        return " ".join([*self.parts, self.partial]).strip()


class TurnDetector:
    name = "turns"

    def __init__(self, merge_window_s: float = 2.0, ids: Iterator[int] | None = None) -> None:
        self._merge_window_s = merge_window_s
        self._ids = ids or itertools.count(1)
        self._pending = _Pending()
        self._question_id = next(self._ids)
        self._last_final: Question | None = None
        self.candidate_transcripts: list[Transcript] = []  # kept for feedback, never prompts

    def process(self, event: object) -> Iterator[Question]:
        if isinstance(event, Transcript) and event.speaker == INTERVIEWER:
            yield from self._interviewer(event)
        elif isinstance(event, Transcript) and event.speaker == CANDIDATE:
            if event.is_final:
                self.candidate_transcripts.append(event)
            yield from self._flush()  # the candidate started answering: whatever was asked is the question
        elif isinstance(event, Tick):
            if self._pending.parts and event.t_s - self._pending.t_end_s >= self._merge_window_s:
                yield from self._flush()
        elif isinstance(event, AnswerNow):
            yield from self._flush()

    def _interviewer(self, event: Transcript) -> Iterator[Question]:
        if not event.text.strip():
            return
        if self._last_final is not None and event.t_start_s - self._last_final.t_end_s < self._merge_window_s:
            # The interviewer resumed right after a question: a multi-part question. Reopen it so the
            # merged text becomes a new question (a newer id cancels work for the old one).
            self._pending = _Pending([self._last_final.text], self._last_final.t_end_s)
            self._last_final = None
        if not event.is_final:
            self._pending.partial = event.text
            yield Question(self._question_id, self._pending.text(), event.t_end_s, is_final=False)
            return
        self._pending.partial = ""
        self._pending.parts.append(event.text.strip())
        self._pending.t_end_s = event.t_end_s
        if reads_as_question(event.text):
            yield from self._flush()
        else:
            yield Question(self._question_id, self._pending.text(), event.t_end_s, is_final=False)

    def _flush(self) -> Iterator[Question]:
        text = self._pending.text()
        if not text:
            return
        question = Question(self._question_id, text, self._pending.t_end_s, is_final=True)
        self._last_final = question
        self._pending = _Pending()
        self._question_id = next(self._ids)
        yield question
