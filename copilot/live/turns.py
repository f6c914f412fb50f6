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
from dataclasses import dataclass, field, replace

from copilot.events import CANDIDATE, INTERVIEWER, AnswerNow, Question, Tick, Transcript
from copilot.pipeline.question_focus import SCENARIO_OPENER, is_asking, sentences, split_question

# Words a speaker trails off with mid-thought: a pause after them is not the end of a question.
_TRAILING = re.compile(r"\b(and|or|but|so|the|a|an|of|to|with|for|um|uh|because)\W*$", re.I)
# These end sentences too ("Tell me more about that.", "What would that look like."): they trail
# off only when whisper put no full stop after them.
_TRAILING_UNPUNCTUATED = re.compile(r"\b(that|like)\s*$", re.I)
QUESTION_TAIL_WORDS = 10  # the most words of a last sentence that may finish the asking one before it


def reads_as_question(text: str) -> bool:
    stripped = text.strip()
    if stripped.endswith("?"):
        # Whisper's question mark is its reading of the whole sentence: "...would you consider after
        # that?" waited the merge window (1.4 s) on the trailing-word rule below.
        return True
    if not stripped or _TRAILING.search(stripped) or _TRAILING_UNPUNCTUATED.search(stripped):
        return False
    parts = sentences(stripped)
    return is_asking(parts[-1]) or (len(parts) > 1 and _ends_asking(parts[-2], parts[-1]))


def _ends_asking(asking: str, tail: str) -> bool:
    """A short last sentence after an asking one is the question's end, cut off by whisper's full
    stop: "Write a function that implements a rate limiter with at most 100 requests. Per user in
    any window of one minute." (that waited the whole merge window). Not after a scenario opener:
    "Say you own a fraud model. It was trained a year ago." goes on to the question."""
    return is_asking(asking) and not SCENARIO_OPENER.match(asking) and len(tail.split()) <= QUESTION_TAIL_WORDS


@dataclass
class _Pending:
    """The turn being heard: final texts of its utterances, and the partial text of an open one."""

    parts: list[str] = field(default_factory=list)
    utterance_ids: list[int] = field(default_factory=list)
    t_end_s: float = 0.0
    partial: str = ""
    partial_t_end_s: float = 0.0
    open_utterance: int | None = None  # an utterance still being spoken (a partial came, no final yet)

    def text(self) -> str:
        return " ".join([*self.parts, self.partial]).strip()


@dataclass(frozen=True)
class _Flushed:
    """A question already sent, kept so an interviewer who goes on reopens it from its final texts."""

    question: Question
    parts: tuple[str, ...]
    utterance_ids: tuple[int, ...]
    open_utterance: int | None  # flushed mid-utterance ("answer now"): its words may still come

    def reopened_by(self, event: Transcript, merge_window_s: float) -> bool:
        return event.utterance_id == self.open_utterance or event.t_start_s - self.question.t_end_s < merge_window_s


class TurnDetector:
    name = "turns"

    def __init__(self, merge_window_s: float = 2.0, ids: Iterator[int] | None = None) -> None:
        self._merge_window_s = merge_window_s
        self._ids = ids or itertools.count(1)
        self._pending = _Pending()
        self._question_id = next(self._ids)
        self._last_final: _Flushed | None = None

    def process(self, event: object) -> Iterator[Question]:
        if isinstance(event, Transcript) and event.speaker == INTERVIEWER:
            yield from self._interviewer(event)
        elif isinstance(event, Transcript) and event.speaker == CANDIDATE:
            yield from self._flush()  # the candidate started answering: whatever was asked is the question
        elif isinstance(event, Tick):
            # Not while the interviewer is mid-utterance: they have not stopped, however long ago
            # the last part ended (a turn cut in several utterances was flushed here with the
            # partial text inside, and each later partial was appended to it again).
            pending = self._pending
            if pending.parts and pending.open_utterance is None and event.t_s - pending.t_end_s >= self._merge_window_s:
                yield from self._flush()
        elif isinstance(event, AnswerNow):
            yield from self._flush()

    def revise(self, question_id: int, text: str) -> Question | None:
        """A better decode of the last question's audio; None when that question was reopened or
        followed by another (its text is no longer the one on screen)."""
        flushed = self._last_final
        if flushed is None or flushed.question.question_id != question_id or self._pending.text():
            return None
        question = replace(_focused(text, flushed.question), revised=True)
        self._last_final = replace(flushed, question=question, parts=(text,))
        return question

    def _interviewer(self, event: Transcript) -> Iterator[Question]:
        if not event.text.strip():
            return
        flushed = self._last_final
        if flushed is not None and flushed.reopened_by(event, self._merge_window_s):
            # The interviewer resumed right after a question: a multi-part question. Reopen it from
            # its final texts (never a partial it may have been flushed with) so the merged text
            # becomes a new question (a newer id cancels work for the old one).
            self._pending = _Pending(list(flushed.parts), list(flushed.utterance_ids), flushed.question.t_end_s)
            self._last_final = None
        pending = self._pending
        if not event.is_final:
            pending.partial, pending.partial_t_end_s = event.text, event.t_end_s
            pending.open_utterance = event.utterance_id
            yield self._question(event.t_end_s, is_final=False)
            return
        pending.partial = ""
        pending.open_utterance = None
        pending.parts.append(event.text.strip())
        pending.utterance_ids.append(event.utterance_id)
        pending.t_end_s = event.t_end_s
        if reads_as_question(event.text):
            yield from self._flush()
        else:
            yield self._question(event.t_end_s, is_final=False)

    def _question(self, t_end_s: float, is_final: bool) -> Question:
        text = self._pending.text()
        base = Question(self._question_id, text, t_end_s, is_final, utterance_ids=tuple(self._pending.utterance_ids))
        return _focused(text, base)

    def _flush(self) -> Iterator[Question]:
        pending = self._pending
        if not pending.text():
            return
        t_end_s = pending.partial_t_end_s if pending.partial else pending.t_end_s
        question = self._question(t_end_s, is_final=True)
        flushed = _Flushed(question, tuple(pending.parts), tuple(pending.utterance_ids), pending.open_utterance)
        self._last_final = flushed
        self._pending = _Pending()
        self._question_id = next(self._ids)
        yield question


def _focused(text: str, question: Question) -> Question:
    """The question with its text split into the preamble and the question proper."""
    focus = split_question(text)
    return replace(question, text=focus.question, preamble=focus.preamble)
