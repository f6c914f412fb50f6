"""A model bullet replaces the composer's only when it passes every check (generate.merge_rewrite)."""

from __future__ import annotations

from copilot.pipeline.cues.generate import merge_rewrite

DRAFT = (
    "Story: Convinced my manager to run the credit model in shadow",
    "Decision: chose shadow mode over a small canary",
    "Why: approval decisions are hard to reverse",
    "Result: default rate 0.4 points lower after 6 months",
)
QUESTION = "Tell me about a time you disagreed with your manager"


def test_a_tighter_rewrite_replaces_its_own_bullet_and_keeps_the_label():
    merged = merge_rewrite(DRAFT, ["- Shadow mode over small canary"], QUESTION)
    assert merged[1] == "Decision: Shadow mode over small canary"
    assert merged[0] == DRAFT[0] and merged[2:] == DRAFT[2:]


def test_a_rewrite_that_loses_the_result_number_is_refused():
    assert merge_rewrite(DRAFT, ["Result: default rate lower after months"], QUESTION) == DRAFT


def test_a_cut_or_duplicate_rewrite_is_refused():
    assert merge_rewrite(DRAFT, ["Result: default rate 0.4 points lower after 6 months and"], QUESTION) == DRAFT
    # "Result: After" (the example) is cut; so is a copy of another bullet under a new label.
    assert merge_rewrite(DRAFT, ["Result: After"], QUESTION) == DRAFT
    assert merge_rewrite(DRAFT, ["Why: chose shadow mode over a small canary"], QUESTION) == DRAFT


def test_a_restatement_of_the_question_never_replaces_a_cue():
    draft = ("Constraints first: users, traffic, latency budget", "Feature store: offline and online parity")
    question = "Design a feature store for a team of fifty data scientists"
    merged = merge_rewrite(draft, ["Constraints: design a feature store for fifty data scientists"], question)
    assert merged == draft


def test_unrelated_model_lines_are_ignored_and_order_is_kept():
    merged = merge_rewrite(DRAFT, ["Remember to smile", "Result: default rate 0.4 points lower in 6 months"], QUESTION)
    assert merged[:3] == DRAFT[:3] and merged[3] == "Result: default rate 0.4 points lower in 6 months"
    assert len(merged) == len(DRAFT)


def test_a_rewrite_may_not_bring_facts_from_elsewhere_or_lose_the_point():
    # Every figure is grounded in the story, but "6 months" belongs to the result, not to the title.
    assert merge_rewrite(DRAFT, ["Story: Convinced my manager to run shadow for 6 months"], QUESTION) == DRAFT
    assert merge_rewrite(DRAFT, ["Story: Convinced manager"], QUESTION) == DRAFT  # lost the point
    assert merge_rewrite(DRAFT, ["Decision: Action: chose shadow mode over canary"], QUESTION) == DRAFT
    assert merge_rewrite(DRAFT, ["Decision: Your decision to choose shadow mode was a decision"], QUESTION) == DRAFT
