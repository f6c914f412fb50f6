"""The grounding guard: LLM bullets may only carry numbers and names found in the sources."""

from __future__ import annotations

from decimal import Decimal

import pytest

from copilot.pipeline.cues.guard import Guard, clean_bullet, extract_numbers, is_grounded, ungrounded_tokens

STORY = """\
Situation: GPU serving cost for the Shopify search ranker was too high.
Task: I owned cutting it without hurting relevance.
Action: I built a two-stage ranker with a cheap first stage and distilled the BERT cross-encoder.
Result: p99 latency fell from 120 ms to 80 ms, serving cost dropped 64% and we saved $2,000 a month.
AUC stayed at 0.87 across twelve markets. We shipped 10x fewer GPU calls in 2024.
Used L2 regularisation and PyTorch.
"""


# --- numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bullet",
    [
        "Cut serving cost 64%",
        "Cut serving cost 64 %",  # spacing around % is normalised
        "Cut serving cost 64 percent",
        "Saved $2,000 monthly",
        "Saved $2000 monthly",  # thousands separator is normalised
        "Saved $2k monthly",  # k suffix
        "Saved two thousand dollars monthly",  # number words
        "AUC held at 0.87",
        "p99 from 120ms to 80ms",
        "Twelve markets kept quality",  # number word in bullet, number word in sources
        "Covered 12 markets",  # digits in bullet, word in sources
        "10x fewer GPU calls",
        "Shipped in 2024",
        "Saved 2000 per month",  # a bare number may echo "$2,000"
    ],
)
def test_numbers_from_the_sources_are_allowed(bullet: str) -> None:
    assert ungrounded_tokens(bullet, STORY) == []
    assert is_grounded(bullet, STORY)


@pytest.mark.parametrize(
    ("bullet", "invented"),
    [
        ("Cut serving cost 65%", "65%"),
        ("Cut serving cost by 50 %", "50 %"),
        ("Saved $3k monthly", "$3k"),
        ("Saved $2M a year", "$2M"),
        ("AUC rose to 0.91", "0.91"),
        ("AUC rose to .9", ".9"),
        ("Served one million users", "one million"),
        ("Team of fifteen engineers", "fifteen"),
        ("Handled a hundred requests", "hundred"),
        ("Latency down 3x", "3x"),
        ("Launched in 2023", "2023"),
        ("Twenty-five experiments run", "Twenty-five"),
        ("Cut cost 64 dollars", "64 dollars"),  # 64 was a percentage, not money
        ("Saved 2,000% on compute", "2,000%"),  # 2,000 was money, not a percentage
        ("Trained 7 models", "7"),
    ],
)
def test_invented_numbers_are_rejected(bullet: str, invented: str) -> None:
    assert invented in ungrounded_tokens(bullet, STORY)
    assert not is_grounded(bullet, STORY)


def test_pronoun_one_is_not_a_number() -> None:
    # "one" alone is nearly always the pronoun; rejecting it would drop good bullets.
    assert is_grounded("Pick one metric and defend it", STORY)


def test_identifiers_with_digits_must_appear_whole() -> None:
    assert is_grounded("Used L2 regularisation", STORY)
    assert is_grounded("Watched p99 latency", STORY)
    assert ungrounded_tokens("Watched p95 latency", STORY) == ["p95"]
    assert ungrounded_tokens("Used L1 regularisation", STORY) == ["L1"]


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("64%", "64", "%"),
        ("64 %", "64", "%"),
        ("$2,000", "2000", "$"),
        ("$2k", "2000", "$"),
        ("1.5bn", "1500000000", ""),
        ("3 million", "3000000", ""),
        ("10x", "10", "x"),
        ("ten times", "10", "x"),
        ("0.87", "0.87", ""),
        ("twenty-five", "25", ""),
        ("one hundred and five", "105", ""),
        ("a dozen", "12", ""),
    ],
)
def test_extract_numbers_normalises(text: str, value: str, kind: str) -> None:
    (number,) = extract_numbers(text)
    assert number.value == Decimal(value)
    assert number.kind == kind


def test_extract_numbers_keeps_separate_numbers_apart() -> None:
    values = [n.value for n in extract_numbers("two and three, 2019-2021")]
    assert values == [Decimal(2), Decimal(3), Decimal(2019), Decimal(2021)]


# --- names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bullet",
    [
        "Distilled the BERT cross-encoder",  # acronym present in sources
        "Distilled the bert cross-encoder",
        "Scaled search at Shopify",
        "Scaled search at SHOPIFY",  # names compare case-insensitively
        "Worked on Shopify's ranker",  # possessive
        "Trained it in PyTorch",
        "Built a two-stage ranker",
        "Reduced GPU calls",  # "GPU" from "GPU" in sources
        "Cut GPUs needed",  # plural of a source acronym
    ],
)
def test_names_from_the_sources_are_allowed(bullet: str) -> None:
    assert is_grounded(bullet, STORY)


@pytest.mark.parametrize(
    ("bullet", "invented"),
    [
        ("Scaled search at Google", "Google"),
        ("Moved serving to Kubernetes", "Kubernetes"),
        ("Raised AUC and NDCG together", "NDCG"),  # ALL-CAPS acronyms count as names
        ("NDCG stayed flat", "NDCG"),  # even as the first word
        ("Ported it to TensorFlow", "TensorFlow"),
        ("Shipped the iPhone app", "iPhone"),
        ("Partnered with Amazon's team", "Amazon"),
        ("Result: Partnered with Amazon", "Amazon"),
    ],
)
def test_invented_names_are_rejected(bullet: str, invented: str) -> None:
    assert invented in ungrounded_tokens(bullet, STORY)


@pytest.mark.parametrize(
    "bullet",
    [
        "Explain the trade-off",  # first word capitalised
        "Google was never mentioned",  # a first word is indistinguishable from sentence case
        "I owned the decision",  # "I" is not a name
        "Since I'm the owner, I decided",  # contractions of I
        "Clarify Goals And Constraints First",  # Title Case of common words
        "Result: Cut serving cost",  # capital after a label colon
        "Lesson - Measure early",  # capital after a spaced dash
        "Ranker. Then Distilled it",  # capital after a full stop
        "Owned Cutting The Cost",  # Title Case of source words
        "Migrated Stage two",  # inflection of a source word ("stage")
        "Plan A then iterate",  # single capital letters
        "Run an A/B test, watch Type I errors",
    ],
)
def test_ordinary_capitals_are_not_names(bullet: str) -> None:
    assert is_grounded(bullet, STORY), ungrounded_tokens(bullet, STORY)


def test_glued_hyphen_does_not_start_a_sentence() -> None:
    assert ungrounded_tokens("Built a Kafka-Based pipeline", STORY) == ["Kafka", "Based"]


def test_tokens_are_reported_once_numbers_then_names() -> None:
    # The first "Google" opens the bullet (sentence case); the last one is a name.
    assert ungrounded_tokens("Google and Meta saw 5% and 5% at Google", STORY) == ["5%", "Meta", "Google"]


def test_empty_sources_allow_only_plain_words() -> None:
    assert is_grounded("Clarify the goal first", "")
    assert not is_grounded("Cut cost 10%", "")
    assert not is_grounded("Worked at Google", "")


def test_guard_object_matches_the_functions() -> None:
    guard = Guard(STORY)
    for bullet in ["Cut cost 64%", "Cut cost 65%", "Worked at Google", "Worked at Shopify"]:
        assert guard.ungrounded_tokens(bullet) == ungrounded_tokens(bullet, STORY)
        assert guard.is_grounded(bullet) == is_grounded(bullet, STORY)


# --- cleaning ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("- Clarify the goal", "Clarify the goal"),
        ("* Clarify the goal", "Clarify the goal"),
        ("• Clarify the goal", "Clarify the goal"),
        ("1. Clarify the goal", "Clarify the goal"),
        ("2) Clarify the goal", "Clarify the goal"),
        ("  -   Clarify the goal.  ", "Clarify the goal"),
        ('- "Clarify the goal."', "Clarify the goal"),
        ("“Clarify the goal”;", "Clarify the goal"),
        ("- **Clarify** the goal", "Clarify the goal"),
        ("- 1. Clarify the goal:", "Clarify the goal"),
        ("Cut cost 64%.", "Cut cost 64%"),  # the % is part of the fact, the stop is not
        ("Situation: GPU cost too high", "Situation: GPU cost too high"),
        ("Use L2 (ridge) regularisation", "Use L2 (ridge) regularisation"),
    ],
)
def test_clean_bullet_strips_markers_quotes_and_punctuation(raw: str, clean: str) -> None:
    assert clean_bullet(raw) == clean


@pytest.mark.parametrize("raw", ["", "   ", "-", "* ", "1.", '""', "- ...", "**"])
def test_clean_bullet_returns_none_when_nothing_is_left(raw: str) -> None:
    assert clean_bullet(raw) is None


def test_clean_bullet_cuts_to_twelve_words() -> None:
    raw = "- one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    assert clean_bullet(raw) == "one two three four five six seven eight nine ten eleven twelve"


def test_clean_bullet_does_not_end_a_cut_bullet_on_a_dangling_word() -> None:
    raw = "Explain the bias variance trade-off with a concrete example of the model and its data"
    cleaned = clean_bullet(raw)
    assert cleaned == "Explain the bias variance trade-off with a concrete example of the model"
    assert len(cleaned.split()) <= 12


def test_clean_bullet_keeps_short_bullets_whole() -> None:
    assert clean_bullet("I chose recall over precision") == "I chose recall over precision"
