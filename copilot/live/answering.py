"""From a question to cards and bullets, for the live path: early, deduplicated, cancellable.

Partial questions (the interviewer is still speaking) are classified and retrieved as they grow, so
the cards are on screen when the question ends. A revised question (same id, text from a second
decode) changes the cards and restarts the rewrite only if its type or leading cards differ. Cards are re-sent only when what the user sees
changes, so the screen does not flicker. The language-model rewrite runs only for final questions,
on its own thread, and a newer question cancels it; nothing for an older question reaches `emit`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from copilot.events import Bullets, CardsReady, Question, StageError
from copilot.pipeline.stages import BulletStage, ClassifyStage, RetrieveStage

Emit = Callable[[object], None]


def card_signature(cards: CardsReady) -> tuple:
    """What the user reads first: the type and the leading framework, story and topic.

    A reshuffle further down (second and third story swapping as the question grows) does not
    replace the cards on screen: that would be flicker that takes the user's eyes off the one card
    they are using.
    """
    return (
        cards.typed.question_type,
        tuple(h.id for h in cards.frameworks[:1]),
        tuple(h.id for h in cards.stories[:1]),
        tuple(h.id for h in cards.topics[:1]),
    )


def _steps_back(shown: CardsReady, new: CardsReady, question: Question) -> bool:
    """A partial that reads as no question type at all ("...but the A/B test shows no lift") while a
    real type is on screen: a half-heard clause, not a change of topic. Only the final may do that."""
    return not question.is_final and new.typed.question_type == "other" != shown.typed.question_type


@dataclass(frozen=True)
class _Shown:
    question_id: int
    text: str
    signature: tuple
    cards: CardsReady
    draft: Bullets


class Answerer:
    """`on_question` is called from one thread (the turn detector's); results go to `emit`."""

    def __init__(self, classify: ClassifyStage, retrieve: RetrieveStage, bullets: BulletStage, emit: Emit) -> None:
        self._classify, self._retrieve, self._bullets = classify, retrieve, bullets
        self._emit = emit
        self._shown: _Shown | None = None
        self.latest_question_id = -1
        self._llm_inbox: queue.Queue[tuple[CardsReady, Bullets] | None] = queue.Queue()
        self._llm_thread = threading.Thread(target=self._llm_loop, name="llm-rewrite", daemon=True)
        self._llm_thread.start()

    def on_question(self, question: Question) -> None:
        if question.question_id < self.latest_question_id:
            return  # a late partial for a question already superseded
        if question.question_id > self.latest_question_id:
            self._bullets.cancel()  # stop the old rewrite within one token
            self.latest_question_id = question.question_id
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
            self._llm_inbox.put((cards, shown.draft))

    def _update_cards(self, question: Question, previous: _Shown | None) -> _Shown | None:
        cards = self._cards_for(question)
        if cards is None:
            return None
        signature = card_signature(cards)
        if (
            previous is not None
            and previous.question_id == question.question_id
            and (previous.signature == signature or _steps_back(previous.cards, cards, question))
        ):
            # Keep what is on screen (and the time it appeared), just note the new text.
            self._shown = replace(previous, text=question.text)
            return self._shown
        draft = self._bullets.draft(cards)
        self._emit(cards)
        self._emit(draft)
        self._shown = _Shown(question.question_id, question.text, signature, cards, draft)
        return self._shown

    def _cards_for(self, question: Question) -> CardsReady | None:
        try:
            typed = next(iter(self._classify.process(question)))
            return next(iter(self._retrieve.process(typed)))
        except Exception as exc:  # one failed question must not end the session
            self._emit(StageError("answer", str(exc), question.question_id))
            return None

    def _llm_loop(self) -> None:
        while (job := self._llm_inbox.get()) is not None:
            cards, draft = job
            try:
                if cards.question_id < self.latest_question_id:
                    continue
                for bullets in self._bullets.rewrite(cards, draft.bullets):
                    if bullets.question_id == self.latest_question_id:
                        self._emit(bullets)
            except Exception as exc:  # a broken model or server: the grounded draft stays on screen
                self._emit(StageError("generate", str(exc), cards.question_id))
            finally:
                self._llm_inbox.task_done()

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until every queued rewrite has finished (or been skipped as stale)."""
        inbox = self._llm_inbox
        with inbox.all_tasks_done:
            return inbox.all_tasks_done.wait_for(lambda: inbox.unfinished_tasks == 0, timeout_s)

    def close(self) -> None:
        self._bullets.cancel()
        self._llm_inbox.put(None)
        self._llm_thread.join(timeout=5)
