"""The pipeline's stages. Each is a plain object: `process(event) -> iterable of events`.

They measure their own time (the `latency_ms` fields) and know nothing of threads or Qt; the
runner decides whether they run in a row (rehearsal) or on threads (live).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import numpy as np

from copilot.adapters.embedding import Embedder
from copilot.adapters.transcribe import TranscribeOptions, Transcriber
from copilot.events import Bullets, CardsReady, Question, QuestionTyped, Transcript, Utterance
from copilot.pipeline.classifier import QuestionClassifier
from copilot.pipeline.cues.composer import compose
from copilot.pipeline.cues.generate import BulletGenerator, RewriteRequest, merge_rewrite
from copilot.pipeline.retrieval import Retriever


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


class TranscribeStage:
    name = "transcribe"

    def __init__(self, transcriber: Transcriber, options: TranscribeOptions | None = None) -> None:
        self._transcriber = transcriber
        self._options = options

    def process(self, event: Utterance) -> Iterator[Transcript]:
        start = time.perf_counter()
        text = self._transcriber.transcribe(event.samples, self._options)
        yield Transcript(
            event.utterance_id, event.speaker, text, event.is_final, event.t_start_s, event.t_end_s, _ms_since(start)
        )


class ClassifyStage:
    name = "classify"

    def __init__(self, classifier: QuestionClassifier) -> None:
        self._classifier = classifier

    def process(self, event: Question) -> Iterator[QuestionTyped]:
        start = time.perf_counter()
        result = self._classifier.classify(event.text)
        yield QuestionTyped(event, result.question_type, result.confidence, _ms_since(start))


class RetrieveStage:
    name = "retrieve"

    def __init__(self, retriever: Retriever, embedder: Embedder) -> None:
        self._retriever = retriever
        self._embedder = embedder

    def process(self, event: QuestionTyped) -> Iterator[CardsReady]:
        start = time.perf_counter()
        vector: np.ndarray = self._embedder.embed([event.question.text])[0]
        cards = self._retriever.retrieve(event.question.text, event.question_type, vector)
        yield CardsReady(event, cards.frameworks, cards.stories, cards.topics, _ms_since(start))


class BulletStage:
    """Instant composer bullets first, then the generator's rewrite as it streams.

    `cancel()` may be called from another thread (a newer question arrived); the generator checks
    the flag between tokens, so the old rewrite stops within one token.
    """

    name = "bullets"

    def __init__(self, generator: BulletGenerator | None) -> None:
        self._generator = generator
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def has_generator(self) -> bool:
        return self._generator is not None

    def process(self, event: CardsReady) -> Iterator[Bullets]:
        draft = self.draft(event)
        yield draft
        if not draft.done:
            yield from self.rewrite(event, draft.bullets)

    def draft(self, event: CardsReady) -> Bullets:
        """The composer's grounded bullets, at once; `done` when no rewrite will follow."""
        start = time.perf_counter()
        frameworks = [h.item for h in event.frameworks]
        framework = frameworks[0] if frameworks else None
        drafted = tuple(compose(framework, event.stories, event.topics, event.typed.question.text))
        done = self._generator is None or not drafted
        return Bullets(event.question_id, drafted, "composer", done, _ms_since(start))

    def rewrite(self, event: CardsReady, drafted: tuple[str, ...]) -> Iterator[Bullets]:
        """Stream the generator's rewrite; stops quietly when cancel() is called."""
        assert self._generator is not None
        self._cancel = cancel = threading.Event()
        start = time.perf_counter()
        request = RewriteRequest(
            question=event.typed.question.text,
            question_type=event.typed.question_type,
            draft_bullets=drafted,
            sources_text=sources_text(event),
        )
        rewritten: list[str] = []
        for bullet in self._generator.rewrite(request, cancel):
            rewritten.append(bullet)
            # Each model bullet replaces the draft bullet it rewrites only when it passes every cue check
            # (generate.merge_rewrite): the screen never loses a cue, a number or its order.
            merged = merge_rewrite(drafted, rewritten, request.question)
            yield Bullets(event.question_id, merged, "llm", False, _ms_since(start), stage="generate")
        if not cancel.is_set():
            final = merge_rewrite(drafted, rewritten, request.question)
            source = "llm" if final != drafted else "composer"
            yield Bullets(event.question_id, final, source, True, _ms_since(start), stage="generate")


def sources_text(event: CardsReady) -> str:
    """Everything the bullets may draw facts from: the question, the framework, story and topics."""
    parts = [event.typed.question.text]
    parts += [h.item.text() for h in event.frameworks]
    parts += [h.item.text_for_index() for h in event.stories[:1]]
    parts += [h.item.text() for h in event.topics[:2]]
    return "\n\n".join(parts)
