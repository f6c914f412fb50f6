"""Answer feedback: delivery metrics on hand-made word timings, content checks on written answers,
and (slow) real espeak answers through tiny.en and the MiniLM embedder."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import EXAMPLE_STORIES, speak

from copilot.practice.feedback import (
    LONG_PAUSE_S,
    Content,
    Delivery,
    TimedWord,
    content_feedback,
    delivery_metrics,
    draft_story,
    find_fillers,
    star_labels,
    star_split,
    suggestions,
)
from copilot.stories.library import load_library
from copilot.stories.parse import parse_story
from copilot.stories.write import render_story


def timed(text: str, step_s: float = 0.4, gaps: dict[int, float] | None = None) -> list[TimedWord]:
    """One word every `step_s` seconds; `gaps` adds extra silence before the word at that index."""
    out, t = [], 0.0
    for i, word in enumerate(text.split()):
        t += (gaps or {}).get(i, 0.0)
        out.append(TimedWord(word, t, t + step_s * 0.75))
        t += step_s
    return out


# --- delivery ---------------------------------------------------------------------------------------


def test_pace_is_words_over_the_given_duration():
    words = timed(" ".join(["word"] * 30))
    d = delivery_metrics(words, 12.0)
    assert d.words == 30 and d.words_per_minute == 150.0 and d.duration_s == 12.0


def test_long_pauses_are_found_with_start_and_length():
    words = timed("one two three four five six", step_s=0.5, gaps={2: 2.0, 5: 1.0})
    d = delivery_metrics(words, 10.0)
    # word 1 ends at 0.5 + 0.375 = 0.875; word 2 starts at 1.0 + 2.0 = 3.0: a 2.125 s pause.
    assert d.long_pauses == [(0.88, 2.12)]
    assert d.longest_pause_s == 2.12
    assert all(length > LONG_PAUSE_S for _start, length in d.long_pauses)


def test_the_longest_pause_is_measured_even_when_none_is_long():
    # Issue 9: "longest pause" read 0.0 s for every answer with no pause over LONG_PAUSE_S.
    words = timed("one two three four", step_s=0.5, gaps={2: 0.6})
    d = delivery_metrics(words, 5.0)
    assert d.long_pauses == [] and d.longest_pause_s == pytest.approx(0.725, abs=0.01)  # 0.125 s + 0.6 s before "three"
    assert delivery_metrics(timed("alone"), 1.0).longest_pause_s == 0.0


def test_pace_advice_uses_the_one_pace_band():
    from copilot.wording import PACE_BAND_WPM

    low, high = PACE_BAND_WPM
    content = Content("situational", {})  # a type with no content advice: only the pace can speak
    fast = delivery_metrics(timed(" ".join(["word"] * 40)), 40 / (high + 8) * 60)
    slow = delivery_metrics(timed(" ".join(["word"] * 40)), 40 / (low - 8) * 60)
    calm = delivery_metrics(timed(" ".join(["word"] * 40)), 40 / ((low + high) / 2) * 60)
    assert suggestions(fast, content)[0].startswith("Slow down") and "aim for 130-160" in suggestions(fast, content)[0]
    assert suggestions(slow, content)[0].startswith("Pick up the pace")
    assert suggestions(calm, content) == []


def test_fillers_are_counted_and_rated_per_minute():
    text = "So, um, I built it. You know, it was like really fast. Uh I mean it basically worked. What kind of model? Kind of big."
    d = delivery_metrics(timed(text), 30.0)
    assert d.fillers == {"so": 1, "um": 1, "you know": 1, "like": 1, "uh": 1, "i mean": 1, "basically": 1, "kind of": 1}
    assert d.filler_count == 8 and d.filler_rate_per_min == 16.0


def test_like_and_so_as_real_words_are_not_fillers():
    text = "I like Python. It looks like rain and we stayed so long that it was dark."
    assert find_fillers(timed(text)) == []


# --- content ----------------------------------------------------------------------------------------

FAILURE_ANSWER = (
    "At my last company we were building a fraud model for a new bank client. "
    "My goal was to ship it before their audit. "
    "I chose to skip the shadow test because I trusted the offline numbers. "
    "The client's audit failed, the project was cancelled a month later and we lost the contract. "
    "I learned to ask for a shadow period even under a deadline."
)


def test_an_outcome_told_as_a_failure_is_a_result():
    # Issue 9: a failure story that stated its outcome scored "result not heard".
    checks = content_feedback("behavioral", FAILURE_ANSWER, [], None).checks
    assert checks["result_heard"] and checks["star_in_order"]
    for outcome in (
        "We lost the client two months later.",
        "The model never shipped.",
        "We missed the deadline by a month.",
        "The feature was shut down after the pilot.",
        "It cost us three weeks of work.",
        "The pilot did not work out.",
    ):
        assert "result" in star_labels(outcome), outcome
    for scene in ("We had a failing test suite.", "I wanted to stop the launch.", "There was a lost packet problem."):
        assert "result" not in star_labels(scene), scene


def test_every_example_storys_result_is_heard_when_told_in_order():
    for story in load_library(EXAMPLE_STORIES).stories:
        told = " ".join(story.section(part) for part in ("situation", "task", "action", "result"))
        assert content_feedback("behavioral", told, [], None).checks["result_heard"], story.id


STAR_ANSWER = (
    "At my last job the team was shipping a search ranker that kept timing out. "
    "My goal was to get p95 latency under 100 milliseconds. "
    "I profiled the service and I decided to cache the embeddings because they rarely changed. "
    "As a result, latency dropped from 240 to 80 milliseconds."
)


def test_star_parts_and_order_are_heard_in_a_written_answer():
    checks = content_feedback("behavioral", STAR_ANSWER, [], None).checks
    assert checks["situation_heard"] and checks["task_heard"] and checks["action_heard"] and checks["result_heard"]
    assert checks["star_in_order"] and checks["number_stated"] and checks["result_has_number"]
    split = star_split(STAR_ANSWER)
    assert split["task"].startswith("My goal was")
    assert split["result"].startswith("As a result")


def test_an_answer_without_result_or_numbers_is_flagged():
    answer = "We had a flaky pipeline. We talked about it a lot and we fixed it together, and I helped."
    checks = content_feedback("behavioral", answer, [], None).checks
    assert not checks["result_heard"] and not checks["number_stated"]
    assert (checks["i_count"], checks["we_count"]) == (1, 3)
    tips = suggestions(_calm(), Content("behavioral", checks))
    assert tips[0] == 'Say what you did with "I": you said "we" 3 times and "I" 1.'
    assert "End with the result: what changed because of what you did." in tips


def test_system_design_constraints_first_or_not():
    first = "How many users do we expect and what latency is acceptable? Then I would store events in Kafka, add a feature store and a ranking service, trade-off freshness for cost, and monitor drift with alerts."
    late = "I would put events in Kafka, then a feature store, then a ranking model behind an API with a cache, two replicas and a batch job every night, and at the end I would ask how many users there are."
    assert content_feedback("system_design", first, [], None).checks == {
        "constraints_first": True,
        "constraints_mentioned": True,
        "trade_offs": True,
        "monitoring": True,
    }
    late_checks = content_feedback("system_design", late, [], None).checks
    assert not late_checks["constraints_first"] and late_checks["constraints_mentioned"]
    assert "Ask about scale and latency before drawing boxes." in suggestions(
        _calm(), Content("system_design", late_checks)
    )


def test_other_types_have_their_own_checks():
    assert content_feedback(
        "technical",
        "L2 is a penalty on squared weights. For example ridge. However it does not make weights sparse.",
        [],
        None,
    ).checks == {
        "definition": True,
        "example": True,
        "limitation": True,
    }
    coding = content_feedback(
        "coding", "I use a hash map, linear time. Empty input returns zero. I would test it.", [], None
    )
    assert coding.checks == {"complexity": True, "edge_cases": True, "tests": True}
    closing = content_feedback(
        "closing", "How does the team measure success? What is on the roadmap? Thanks.", [], None
    )
    assert closing.checks == {"questions_asked": 2}
    motivation = "Currently I am an ML engineer. Before that I studied physics. Next I want to own a product, which is why this role fits."
    assert all(content_feedback("motivation", motivation, [], None).checks.values())


def test_suggestions_are_at_most_four_and_include_pace():
    fast = Delivery(60.0, 200, 200.0, 10, 10.0, {"um": 6, "like": 4}, [(12.0, 2.5)], 2.5)
    tips = suggestions(fast, content_feedback("behavioral", "We did it. We shipped.", [], None))
    assert len(tips) == 4
    assert "Slow down: 200 words per minute; aim for 130-160." in tips


def test_draft_story_parses_back_with_the_star_split():
    story = draft_story("Tell me about a time you cut latency.", STAR_ANSWER)
    parsed = parse_story(render_story(story), "draft.md")
    assert parsed.section("action").startswith("I profiled")
    assert parsed.section("result").startswith("As a result")
    assert parsed.title.startswith("At my last job")


def _calm() -> Delivery:
    return Delivery(60.0, 150, 150.0, 0, 0.0, {}, [], 0.0)


# --- real recorded answers --------------------------------------------------------------------------

RETELLING = (
    "At my last job, every message in our in-app assistant went through a BERT intent classifier on GPUs, "
    "and serving cost had reached 38,000 dollars a month, with p95 latency of 140 milliseconds. "
    "My goal was to cut that cost without losing more than one point of accuracy. "
    "I profiled the service and found the GPUs were only 25 percent utilised, because every request was padded to 512 tokens. "
    "I switched to dynamic padding with a small batching window, which halved latency. "
    "Then I distilled the model into a six layer student trained on the teacher's soft labels over 2 million unlabelled messages. "
    "I exported it to ONNX with int8 quantization and moved it to CPU nodes. "
    "As a result, monthly serving cost fell from 38,000 dollars to 9,000 dollars, "
    "p95 latency dropped from 140 to 38 milliseconds, and accuracy fell by only 0.6 points."
)
GARDENING = (
    "I really enjoy gardening on weekends. Last spring I planted tomatoes, basil and some peppers in raised beds "
    "behind my house. I learned how to compost kitchen scraps and how much water each plant needs. "
    "It is relaxing, and sharing the vegetables with my neighbours is the best part."
)


@pytest.fixture(scope="module")
def real_core(embedder):
    from copilot.config import models
    from copilot.pipeline.classifier import QuestionClassifier
    from copilot.practice.feedback import WordTranscriber

    library = SimpleNamespace(stories=list(load_library(EXAMPLE_STORIES).stories))
    core = SimpleNamespace(embedder=embedder, library=library, classifier=QuestionClassifier(embedder))
    return core, WordTranscriber(models.whisper_model("tiny.en").path)


@pytest.mark.slow
def test_a_spoken_retelling_matches_its_story(real_core, tmp_path):
    from copilot.audio.decode import load_audio
    from copilot.practice.feedback import answer_feedback

    core, transcriber = real_core
    samples = load_audio(speak(RETELLING, tmp_path / "retelling.wav"))
    result = answer_feedback(core, "Tell me about a time you reduced costs.", samples, transcriber)
    assert result.question_type == "behavioral"
    assert result.matched_story.id == "distilled-intent-classifier"
    assert result.matched_story.score > 0.6
    assert result.draft_story is None
    checks = result.checks
    assert checks["situation_heard"] and checks["action_heard"] and checks["result_heard"]
    assert checks["star_in_order"] and checks["number_stated"] and checks["result_has_number"]
    assert result.suggestions == ()  # a complete, calm retelling leaves nothing to fix
    assert 100 < result.delivery.words_per_minute < 220


@pytest.mark.slow
def test_an_unrelated_spoken_answer_matches_nothing_and_gets_a_draft(real_core, tmp_path):
    from copilot.audio.decode import load_audio
    from copilot.practice.feedback import answer_feedback

    core, transcriber = real_core
    samples = load_audio(speak(GARDENING, tmp_path / "gardening.wav"))
    question = "Tell me about a time you learned something new outside work."
    result = answer_feedback(core, question, samples, transcriber, question_type="behavioral")
    assert result.matched_story is None
    assert "gardening" in result.transcript.lower()
    draft = parse_story(result.draft_story, "draft.md")
    assert "tomatoes" in draft.section("action") + draft.section("situation")
    assert 100 < result.delivery.words_per_minute < 220


@pytest.mark.slow
def test_a_real_pause_between_sentences_is_measured(real_core, tmp_path):
    import numpy as np

    from copilot.audio.decode import load_audio
    from copilot.practice.feedback import spoken_span_s

    _core, transcriber = real_core
    first = load_audio(speak("I built the first version in two weeks.", tmp_path / "a.wav"))
    second = load_audio(speak("Then I measured the latency.", tmp_path / "b.wav"))
    silence = np.zeros(int(2.5 * 16_000), dtype=np.float32)
    words = transcriber.words(np.concatenate([first, silence, second]))
    d = delivery_metrics(words, spoken_span_s(words))
    assert len(d.long_pauses) == 1
    assert 2.0 < d.longest_pause_s < 3.5  # 2.5 s inserted plus espeak's own trailing silence
