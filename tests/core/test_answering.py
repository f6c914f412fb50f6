"""The live answerer: early cards, no flicker, stale results never reach the sink, rewrite cancelled."""

from __future__ import annotations

import threading

import pytest
from fakes import HashEmbedder, KeywordClassifier

from copilot.events import Bullets, CardsReady, Hit, Question
from copilot.live.answering import Answerer
from copilot.pipeline.knowledge import frameworks, topics
from copilot.pipeline.retrieval import Cards
from copilot.pipeline.stages import BulletStage, ClassifyStage, RetrieveStage


class FakeRetriever:
    """Topic cards ranked by how often their keyword is in the question, like the real one but instant."""

    KEYWORDS = {"two-stage-recommendation": "recommend", "dropout": "dropout", "transformers-attention": "attention"}

    def retrieve(self, question: str, question_type: str, vector) -> Cards:
        framework = frameworks()[question_type]
        by_id = {t.id: t for t in topics()}
        ranked = sorted(self.KEYWORDS, key=lambda i: -question.lower().count(self.KEYWORDS[i]))
        return Cards(
            (Hit("framework", framework.id, framework.title, 1.0, framework),),
            (),
            tuple(Hit("topic", i, by_id[i].title, 0.5 - 0.1 * n, by_id[i]) for n, i in enumerate(ranked)),
        )


class BlockingGenerator:
    """Yields one bullet, then waits until released or cancelled."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.cancelled = threading.Event()

    def rewrite(self, request, cancel):
        self.started.set()
        yield "First rewritten cue"
        while not self.release.wait(0.01):
            if cancel.is_set():
                self.cancelled.set()
                return
        yield "Second rewritten cue"


class Sink:
    def __init__(self) -> None:
        self.events: list[object] = []
        self.done = threading.Event()

    def __call__(self, event: object) -> None:
        self.events.append(event)
        if isinstance(event, Bullets) and event.done:
            self.done.set()

    def of(self, kind):
        return [e for e in self.events if isinstance(e, kind)]


def make(generator=None, hold_rewrites=False):
    sink = Sink()
    rules = [("design", "system_design"), ("no lift", "other"), ("requests", "system_design")]
    answerer = Answerer(
        ClassifyStage(KeywordClassifier(rules, default="technical", unsure=["requests"])),
        RetrieveStage(FakeRetriever(), HashEmbedder()),
        BulletStage(generator),
        sink,
        hold_rewrites=hold_rewrites,
    )
    return answerer, sink


def test_partial_questions_give_cards_before_the_end():
    answerer, sink = make()
    answerer.on_question(Question(1, "How does dropout", 1.0, is_final=False))
    assert len(sink.of(CardsReady)) == 1 and sink.of(Bullets)[0].source == "composer"
    answerer.close()


def test_unchanged_cards_are_not_resent():
    answerer, sink = make()
    answerer.on_question(Question(1, "How does dropout", 1.0, is_final=False))
    answerer.on_question(Question(1, "How does dropout work", 1.5, is_final=False))
    answerer.on_question(Question(1, "How does dropout work in practice?", 2.0, is_final=True))
    assert len(sink.of(CardsReady)) == 1
    answerer.close()


@pytest.mark.parametrize(
    "then",
    [
        Question(1, "How would you design a recommender", 2.0, is_final=False),  # a sure partial
        Question(1, "How does dropout limit requests?", 2.0, is_final=True),  # an unsure final still does
    ],
)
def test_changed_cards_replace_the_old_ones(then):
    answerer, sink = make()
    answerer.on_question(Question(1, "How does dropout", 1.0, is_final=False))
    answerer.on_question(then)
    assert [c.typed.question_type for c in sink.of(CardsReady)] == ["technical", "system_design"]
    answerer.close()


def test_a_leading_card_that_drops_to_second_stays_on_screen_and_one_that_drops_further_is_replaced():
    answerer, sink = make()
    answerer.on_question(Question(1, "How does dropout", 1.0, is_final=False))
    answerer.on_question(Question(1, "How does dropout help a recommender recommend", 1.5, is_final=False))
    assert [c.topics[0].id for c in sink.of(CardsReady)] == ["dropout"]  # now second: a near tie
    answerer.on_question(Question(1, "Does dropout help attention recommend attention in attention?", 2.0))
    assert [c.topics[0].id for c in sink.of(CardsReady)] == ["dropout", "transformers-attention"]
    answerer.close()


def test_stale_partial_for_an_old_question_is_dropped():
    answerer, sink = make()
    answerer.on_question(Question(2, "How would you design a recommender?", 2.0))
    answerer.on_question(Question(1, "How does dropout", 1.0, is_final=False))  # late, older id
    assert {c.question_id for c in sink.of(CardsReady)} == {2}
    answerer.close()


def test_newer_question_cancels_the_rewrite_and_old_bullets_never_arrive():
    generator = BlockingGenerator()
    answerer, sink = make(generator)
    answerer.on_question(Question(1, "How does dropout work?", 1.0))
    assert generator.started.wait(5)
    answerer.on_question(Question(2, "How would you design a recommender?", 5.0))
    assert generator.cancelled.wait(5)
    generator.release.set()
    assert sink.done.wait(5)
    old_llm = [b for b in sink.of(Bullets) if b.question_id == 1 and b.source == "llm" and b.done]
    assert old_llm == []
    final = [b for b in sink.of(Bullets) if b.done][-1]
    # The new question's rewrite ran to the end (its lines rewrite no draft cue, so the draft stays:
    # generate.merge_rewrite).
    assert final.question_id == 2 and any(b.question_id == 2 and b.source == "llm" for b in sink.of(Bullets))
    # The draft was kept, so the last list is the composer's, but its time is the model's.
    assert final.source == "composer" and final.stage == "generate"
    assert all(b.stage == "compose" for b in sink.of(Bullets) if b.source == "composer" and not b.done)
    answerer.close()


def test_a_partial_that_reads_as_no_type_keeps_the_cards_on_screen_but_a_final_replaces_them():
    answerer, sink = make()
    answerer.on_question(Question(1, "How does dropout", 1.0, is_final=False))
    answerer.on_question(Question(1, "How does dropout, the test shows no lift", 1.5, is_final=False))
    assert [c.typed.question_type for c in sink.of(CardsReady)] == ["technical"]
    answerer.on_question(Question(1, "How does dropout, the test shows no lift.", 2.0, is_final=True))
    assert [c.typed.question_type for c in sink.of(CardsReady)] == ["technical", "other"]
    answerer.close()


def test_a_partial_read_as_another_type_without_confidence_keeps_the_cards_on_screen():
    answerer, sink = make()
    answerer.on_question(Question(1, "How does dropout", 1.0, is_final=False))
    answerer.on_question(Question(1, "How does dropout limit requests", 1.5, is_final=False))  # 0.4
    answerer.on_question(Question(1, "How does dropout limit requests per", 1.8, is_final=False))
    assert [c.typed.question_type for c in sink.of(CardsReady)] == ["technical"]
    answerer.on_question(Question(1, "How would you design it", 1.9, is_final=False))  # sure: 0.9
    assert [c.typed.question_type for c in sink.of(CardsReady)] == ["technical", "system_design"]
    answerer.close()


def test_a_held_rewrite_starts_only_when_released():
    generator = BlockingGenerator()
    answerer, sink = make(generator, hold_rewrites=True)
    answerer.on_question(Question(1, "How does dropout work?", 4.2))
    assert sink.of(Bullets)[0].source == "composer"  # the grounded draft is shown at once
    assert answerer.held_rewrite_end_s == 4.2
    assert not generator.started.wait(0.3)
    answerer.release_rewrite()
    assert generator.started.wait(5) and answerer.held_rewrite_end_s is None
    generator.release.set()
    answerer.close()


def test_a_held_rewrite_overtaken_by_a_newer_question_is_never_run():
    generator = BlockingGenerator()
    answerer, sink = make(generator, hold_rewrites=True)
    answerer.on_question(Question(1, "How does dropout work?", 4.2))
    answerer.on_question(Question(2, "How does dropout work? And when does it hurt?", 7.0))  # the reopened turn
    assert answerer.held_rewrite_end_s == 7.0  # the second part's question took its place
    answerer.release_rewrite()
    assert generator.started.wait(5)
    generator.release.set()
    assert sink.done.wait(5)
    assert {b.question_id for b in sink.of(Bullets) if b.source == "llm"} == {2}
    answerer.close()
