"""What the live window shows, as plain Python: no Qt, so the rules are tested without a display.

The bridge hands every core event to `LiveViewModel.apply` on the GUI thread. The model keeps the
state (transcript lanes, the current question, its cards and bullets, latencies, errors) and tells
its observers which part changed; widgets only render it. The key rule: cards and bullets belong to
one question id, and anything for an older question than the current one is dropped (the core's one
stale rule, copilot/live/fresh.is_stale), so a slow answer for a superseded question can never
overwrite the new one.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from copilot.audio.levels import LevelMeter
from copilot.events import (
    CANDIDATE,
    INTERVIEWER,
    Bullets,
    CardsReady,
    Hit,
    Question,
    SourceEnded,
    StageError,
    Transcript,
)
from copilot.live.fresh import is_stale

# What changed, passed to observers so each widget re-renders only its own part.
LANES, QUESTION, CARDS, BULLETS, LATENCY, STATUS, ERRORS = (
    "lanes",
    "question",
    "cards",
    "bullets",
    "latency",
    "status",
    "errors",
)
MAX_LINES_PER_LANE = 200  # a long interview must not grow the lanes without bound
MAX_ERRORS = 20

Observer = Callable[[str], None]


@dataclass(frozen=True)
class Line:
    utterance_id: int
    text: str
    is_final: bool


@dataclass
class Lane:
    """One speaker's transcript: finals in order, the utterance being spoken as a partial line."""

    speaker: str
    _lines: OrderedDict[int, Line] = field(default_factory=OrderedDict)

    def update(self, transcript: Transcript) -> None:
        previous = self._lines.get(transcript.utterance_id)
        if previous is not None and previous.is_final and not transcript.is_final:
            return  # a late partial must not undo the final text
        self._lines[transcript.utterance_id] = Line(transcript.utterance_id, transcript.text, transcript.is_final)
        while len(self._lines) > MAX_LINES_PER_LANE:
            self._lines.popitem(last=False)

    @property
    def lines(self) -> list[Line]:
        return list(self._lines.values())

    def clear(self) -> None:
        self._lines.clear()


@dataclass(frozen=True)
class CurrentQuestion:
    question_id: int
    text: str
    is_final: bool
    question_type: str = ""
    confidence: float | None = None
    preamble: str = ""  # what the interviewer said before the question (shown greyed above it)


@dataclass(frozen=True)
class Cards:
    frameworks: tuple[Hit, ...] = ()
    stories: tuple[Hit, ...] = ()
    topics: tuple[Hit, ...] = ()


@dataclass(frozen=True)
class BulletList:
    bullets: tuple[str, ...] = ()
    source: str = ""  # "composer" (instant, grounded) or "llm" (the rewrite)
    done: bool = False


class LiveViewModel:
    def __init__(self) -> None:
        self.lanes = {INTERVIEWER: Lane(INTERVIEWER), CANDIDATE: Lane(CANDIDATE)}
        self.question: CurrentQuestion | None = None
        self.cards = Cards()
        self.bullets = BulletList()
        self._draft: tuple[str, ...] = ()  # the composer's bullets for the current question
        self.latency_ms: dict[str, float] = {}
        self.status = "starting"
        self.errors: list[str] = []
        self.expanded_stories: set[str] = set()  # story cards the user opened to the full STAR text
        self.meters: dict[str, LevelMeter] = {INTERVIEWER: LevelMeter(), CANDIDATE: LevelMeter()}
        self._observers: list[Observer] = []

    # --- observers ------------------------------------------------------------------------------

    def subscribe(self, observer: Observer) -> None:
        self._observers.append(observer)

    def _changed(self, what: str) -> None:
        for observer in list(self._observers):
            observer(what)

    # --- input: core events and app state -------------------------------------------------------

    def apply(self, event: object) -> None:
        """Fold one core event into the state; unknown events are ignored (the core may grow)."""
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(self, event)

    def set_status(self, text: str) -> None:
        self.status = text
        self._changed(STATUS)

    def add_error(self, text: str) -> None:
        self.errors = [*self.errors, text][-MAX_ERRORS:]
        self._changed(ERRORS)

    def dismiss_errors(self) -> None:
        self.errors = []
        self._changed(ERRORS)

    def toggle_story(self, story_id: str) -> None:
        self.expanded_stories ^= {story_id}
        self._changed(CARDS)

    def snapshot(self) -> tuple:
        """What is on screen, to put back if a session that was to replace it fails to start."""
        lanes = {speaker: copy.deepcopy(lane) for speaker, lane in self.lanes.items()}
        return lanes, self.question, self.cards, self.bullets, self._draft, dict(self.latency_ms)

    def restore(self, snapshot: tuple) -> None:
        self.lanes, self.question, self.cards, self.bullets, self._draft, self.latency_ms = snapshot
        for part in (LANES, QUESTION, CARDS, BULLETS, LATENCY):
            self._changed(part)

    def reset(self) -> None:
        """A new session starts with empty lanes and no question."""
        for lane in self.lanes.values():
            lane.clear()
        self.question, self.cards, self.bullets, self._draft = None, Cards(), BulletList(), ()
        self.latency_ms = {}
        for meter in self.meters.values():
            meter.reset()
        for what in (LANES, QUESTION, CARDS, BULLETS, LATENCY):
            self._changed(what)

    @property
    def current_question_id(self) -> int:
        return self.question.question_id if self.question else -1

    # --- one handler per event type -------------------------------------------------------------

    def _on_transcript(self, event: Transcript) -> None:
        lane = self.lanes.get(event.speaker)
        if lane is None:
            return
        lane.update(event)
        self._changed(LANES)
        # A final that reuses the decode made at the pause costs ~0 ms; showing that would hide the
        # real decode time, so only transcripts that were actually decoded update the figure.
        if event.latency_ms >= 1.0:
            self._latency("transcribe", event.latency_ms)

    def _on_question(self, event: Question) -> None:
        if is_stale(event, self.current_question_id):
            return  # a late partial of a superseded question
        self._switch_to(event.question_id)
        keep = self.question if self.question and self.question.question_id == event.question_id else None
        self.question = CurrentQuestion(
            event.question_id,
            event.text,
            event.is_final,
            keep.question_type if keep else "",
            keep.confidence if keep else None,
            event.preamble,
        )
        self._changed(QUESTION)

    def _on_cards(self, event: CardsReady) -> None:
        if is_stale(event, self.current_question_id):
            return  # stale: cards for a question the interviewer has moved on from
        self._switch_to(event.question_id)
        question = event.typed.question
        self.question = CurrentQuestion(
            event.question_id,
            question.text,
            question.is_final,
            event.typed.question_type,
            event.typed.confidence,
            question.preamble,
        )
        self.cards = Cards(event.frameworks, event.stories, event.topics)
        self._changed(QUESTION)
        self._changed(CARDS)
        self._latency("classify", event.typed.latency_ms)
        self._latency("retrieve", event.latency_ms)

    def _on_bullets(self, event: Bullets) -> None:
        if is_stale(event, self.current_question_id):
            return  # stale, as for cards
        self._switch_to(event.question_id)
        bullets = event.bullets
        drafting = event.source == "composer" and event.stage == "compose"  # not a rewrite that kept it
        if drafting:
            self._draft = event.bullets
        elif not event.done:
            # The rewrite streams one bullet at a time: the drafts it has not reached yet stay on screen,
            # so the five cues never collapse to the one or two rewritten so far.
            bullets = (*event.bullets, *self._draft[len(event.bullets) :])
        self.bullets = BulletList(bullets, event.source, event.done)
        self._changed(BULLETS)
        if drafting:
            self._latency("compose", event.latency_ms)
        elif event.done:
            self._latency("generate", event.latency_ms)

    def _on_error(self, event: StageError) -> None:
        self.add_error(f"{event.stage}: {event.message}")

    def _on_source_ended(self, event: SourceEnded) -> None:
        who = "interviewer" if event.source == INTERVIEWER else "you"
        self.set_status(f"{who}: {event.reason}")

    def _switch_to(self, question_id: int) -> None:
        """A newer question clears the previous one's cards and bullets (they answer something else)."""
        if question_id > self.current_question_id:
            self.question = CurrentQuestion(question_id, "", False)
            # Notify only what really changed: rebuilding the cards is the costliest render there is.
            if self.cards != Cards():
                self.cards = Cards()
                self._changed(CARDS)
            self._draft = ()
            if self.bullets != BulletList():
                self.bullets = BulletList()
                self._changed(BULLETS)

    def _latency(self, stage: str, value_ms: float) -> None:
        self.latency_ms = {**self.latency_ms, stage: value_ms}
        self._changed(LATENCY)

    _handlers: dict[type, Callable[[LiveViewModel, object], None]] = {
        Transcript: _on_transcript,  # type: ignore[dict-item]
        Question: _on_question,  # type: ignore[dict-item]
        CardsReady: _on_cards,  # type: ignore[dict-item]
        Bullets: _on_bullets,  # type: ignore[dict-item]
        StageError: _on_error,  # type: ignore[dict-item]
        SourceEnded: _on_source_ended,  # type: ignore[dict-item]
    }


def latency_text(latency_ms: dict[str, float]) -> str:
    """ "transcribe 512 ms · classify 8 ms · ..." in pipeline order, for the status strip."""
    order = ("transcribe", "classify", "retrieve", "compose", "generate")
    parts = [f"{stage} {_ms(latency_ms[stage])}" for stage in order if stage in latency_ms]
    return " · ".join(parts) if parts else "no latency figures yet"


def _ms(value: float) -> str:
    return "<1 ms" if value < 1 else f"{value:.0f} ms"
