"""From a question to cards and bullets, for the live path: early, deduplicated, cancellable.

Partial questions (the interviewer is still speaking) are classified and retrieved as they grow, so
the cards are on screen when the question ends. A revised question (same id, text from a second
decode) changes the cards and restarts the rewrite only if its type or leading cards differ. Cards are re-sent only when what the user sees
changes, so the screen does not flicker. The language-model rewrite runs only for final questions,
on its own thread, and a newer question cancels it; nothing for an older question reaches `emit`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from copilot.events import Bullets, CardsReady, Question, StageError
from copilot.live.fresh import fresh_only
from copilot.pipeline.runner import FunctionStage, StageThread, run_chain
from copilot.pipeline.stages import BulletStage, ClassifyStage, RetrieveStage

Emit = Callable[[object], None]
# Rewrites waiting for the model. A newer question cancels the running one and makes the queued
# ones stale (skipped at once), so a handful of slots never fill at the pace questions are asked.
REWRITE_INBOX_JOBS = 8
# A partial changes the type on screen only when the classifier gives the new type more weight than
# all the others together; lower, the words heard so far do not settle it.
SWITCH_TYPE_CONFIDENCE = 0.5
# A leading card stays on screen while the new retrieval still ranks it this high.
KEPT_RANK = 2


def near_tie(shown: CardsReady, new: CardsReady) -> bool:
    """The same type, and each card the user reads first (the leading framework, story and topic) is
    still ranked in the top KEPT_RANK. A reshuffle further down (second and third story swapping as
    the question grows) or of the two best (the long-turn bench's drift question swapped its top two
    topics 17 ms before the interviewer stopped) does not replace the cards on screen: that would be
    flicker that takes the user's eyes off the one card they are using, for one no better."""
    if new.typed.question_type != shown.typed.question_type:
        return False
    pairs = ((shown.frameworks, new.frameworks), (shown.stories, new.stories), (shown.topics, new.topics))
    # A card of a kind that was not there (the user's own story, found at last) is news.
    return all(old[0].id in {h.id for h in now[:KEPT_RANK]} if old else not now for old, now in pairs)


def _steps_back(shown: CardsReady, new: CardsReady, question: Question) -> bool:
    """A partial that reads as no question type at all ("...but the A/B test shows no lift"), or as
    another type the classifier is unsure of, while a type is on screen: a half-heard clause, not a
    change of topic. Only the final may do that. (A misheard clause of a coding question, "sorry, it
    limit a lot and utmost 100 requests", read as system design at 0.42; the next partial went back
    to coding, and the cards changed twice, the second time after the interviewer had stopped.)"""
    if question.is_final or new.typed.question_type == shown.typed.question_type:
        return False
    return new.typed.question_type == "other" or new.typed.confidence < SWITCH_TYPE_CONFIDENCE


@dataclass(frozen=True)
class _Rewrite:
    cards: CardsReady
    draft: Bullets

    @property
    def question_id(self) -> int:
        return self.cards.question_id


@dataclass(frozen=True)
class _Shown:
    question_id: int
    text: str
    cards: CardsReady
    draft: Bullets


class Answerer:
    """`on_question` is called from one thread (the turn detector's); results go to `emit`, behind
    the stale rule (copilot/live/fresh.py), so nothing for an older question reaches it."""

    def __init__(
        self,
        classify: ClassifyStage,
        retrieve: RetrieveStage,
        bullets: BulletStage,
        emit: Emit,
        hold_rewrites: bool = False,
    ) -> None:
        self._classify, self._retrieve, self._bullets = classify, retrieve, bullets
        self._emit = fresh_only(emit)
        self._shown: _Shown | None = None
        # Held: the rewrite of a final question waits for `release_rewrite` (the live session calls it
        # once the interviewer has stayed quiet for the merge window), so a second part is not
        # decoded on a CPU the language model is using for a question about to be reopened.
        self._hold_rewrites = hold_rewrites
        self._held: _Rewrite | None = None
        self.latest_question_id = -1
        rewrite = FunctionStage("generate", self._rewrite)
        self._llm = StageThread(rewrite, self._emit, REWRITE_INBOX_JOBS).start()

    def on_question(self, question: Question) -> None:
        if question.question_id < self.latest_question_id:
            return  # a late partial for a question already superseded: not worth the work
        if question.question_id > self.latest_question_id:
            self._bullets.cancel()  # stop the old rewrite within one token
            self.latest_question_id = question.question_id
            self._emit.see(question.question_id)  # the old rewrite's last bullets are stale now
        shown = self._shown
        changed = False
        if shown is None or shown.question_id != question.question_id or shown.text != question.text:
            before = shown
            shown = self._update_cards(question, shown)
            if shown is None:
                return
            changed = before is None or shown.cards is not before.cards
        if question.revised and not changed:
            return  # a second decode that changes no card: the rewrite under way stays
        if question.revised:
            self._bullets.cancel()  # the cards changed under the rewrite: start it again on them
        if question.is_final and self._bullets.has_generator:
            cards = replace(shown.cards, typed=replace(shown.cards.typed, question=question))
            job = _Rewrite(cards, shown.draft)
            if self._hold_rewrites and (not question.revised or self._held is not None):
                self._held = job  # a revision of a held question replaces it there
            else:
                self._llm.put(job)

    @property
    def held_rewrite_end_s(self) -> float | None:
        """Where (audio time) the question whose rewrite is held ended; None when none is held."""
        held = self._held
        return held.cards.typed.question.t_end_s if held is not None else None

    def release_rewrite(self) -> None:
        """Start the held rewrite, unless a newer question has come since (it would be stale)."""
        job, self._held = self._held, None
        if job is not None and job.question_id >= self.latest_question_id:
            self._llm.put(job)

    def _update_cards(self, question: Question, previous: _Shown | None) -> _Shown | None:
        cards = self._cards_for(question)
        if cards is None:
            return None
        if (
            previous is not None
            and previous.question_id == question.question_id
            and (near_tie(previous.cards, cards) or _steps_back(previous.cards, cards, question))
        ):
            # Keep what is on screen (and the time it appeared), just note the new text.
            self._shown = replace(previous, text=question.text)
            return self._shown
        draft = self._bullets.draft(cards)
        self._emit(cards)
        self._emit(draft)
        self._shown = _Shown(question.question_id, question.text, cards, draft)
        return self._shown

    def _cards_for(self, question: Question) -> CardsReady | None:
        try:
            produced = run_chain([self._classify, self._retrieve], question)
        except Exception as exc:  # one failed question must not end the session
            produced = [StageError("answer", str(exc), question.question_id)]
        for error in (e for e in produced if isinstance(e, StageError)):
            self._emit(error)
        return next((e for e in produced if isinstance(e, CardsReady)), None)

    def _rewrite(self, job: _Rewrite) -> Iterator[Bullets | StageError]:
        """The rewrite stage, on its own thread; a job for a superseded question is skipped."""
        if job.question_id < self.latest_question_id:
            return
        try:
            yield from self._bullets.rewrite(job.cards, job.draft.bullets)
        except Exception as exc:  # a broken model or server: the grounded draft stays on screen
            yield StageError("generate", str(exc), job.question_id)

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until every queued rewrite has finished (or been skipped as stale)."""
        return self._llm.wait_idle(timeout_s)

    def close(self) -> None:
        self._bullets.cancel()
        self._llm.stop(timeout_s=5)
