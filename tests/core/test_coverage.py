"""Job description coverage: competency rules on their own, and (slow) the real MiniLM embedder on a
machine-learning engineer job description and a pastry chef's."""

from __future__ import annotations

import argparse
import json
import shutil

import pytest
from conftest import EXAMPLE_STORIES

from copilot.cli.coverage import register
from copilot.pipeline.knowledge import topics
from copilot.practice.coverage import competencies_in, jd_coverage
from copilot.stories.library import load_library

MLE_JD = """Senior Machine Learning Engineer, Recommendations

About the role
You will own the ranking models behind our home feed end to end, from training data to production serving.

What you will do
- Build and operate our feature store so that training and online serving use the same feature definitions.
- Scale model training across many GPUs with distributed data parallel training.
- Set up monitoring for deployed models: data drift, prediction drift and alerting when quality drops.
- Partner closely with product managers and data scientists in a cross-functional team.
- Mentor junior engineers and raise the bar through thoughtful code reviews.
- Reduce inference cost and latency of our serving stack.
- Communicate results clearly to non-technical stakeholders.

What we look for
- Deep understanding of machine learning fundamentals and hands-on experience with PyTorch.
- Comfort working with ambiguity in a fast-paced environment.
- A track record of making data-driven decisions and weighing trade-offs.
"""

PASTRY_JD = """Pastry Chef, Boulangerie on Main Street

We are a small neighbourhood bakery looking for a pastry chef to join our early-morning kitchen.

Responsibilities
- Prepare croissants, brioche, tarts and seasonal desserts every morning from 4 am.
- Laminate dough by hand and keep the proofing schedule.
- Decorate celebration cakes to order.
- Keep the kitchen clean and follow food hygiene rules.

About you
- Two years in a professional pastry kitchen.
- A love of butter, flour and early starts.
"""


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["coverage", *argv])
    return int(args.func(args))


def test_competency_rules_find_what_the_ad_asks_for_and_quote_it():
    found = competencies_in(MLE_JD)
    assert {"ownership", "collaboration", "mentoring", "communication", "ambiguity", "cost-reduction"} <= set(found)
    assert found["communication"] == "Communicate"  # the whole word, not the rule's prefix
    assert "conflict-resolution" not in found and "delivery-under-pressure" not in found


def test_a_pastry_chef_ad_asks_for_no_competency_in_the_vocabulary():
    assert competencies_in(PASTRY_JD) == {}


@pytest.mark.slow
def test_an_mle_ad_finds_its_topics_and_the_stories_and_lists_the_gaps(embedder, tmp_path):
    # A library without the mentoring story, so the ad's "mentor junior engineers" is a gap.
    stories = [s for s in load_library(EXAMPLE_STORIES).stories if "mentoring" not in s.competencies]
    cov = jd_coverage(MLE_JD, stories, topics(), embedder)
    found_topics = {t.id for t in cov.topics}
    assert {
        "feature-store-point-in-time",
        "drift-monitoring",
        "distributed-training",
        "serving-at-scale",
    } <= found_topics
    # Neighbours of the right topics, and ML topics the ad never mentions, stay out.
    assert not found_topics & {"data-leakage", "mixed-precision", "bias-variance", "rag", "k-means", "cap-theorem"}
    assert len(found_topics) <= 8
    by_id = {c.id: c for c in cov.competencies}
    assert "killed-visual-dedup" in by_id["prioritization"].stories
    assert "distilled-intent-classifier" in by_id["cost-reduction"].stories
    assert [c.id for c in cov.missing] == ["mentoring"]
    skew = next(t for t in cov.topics if t.id == "training-serving-skew")
    assert "train-serve-skew-ranker" in skew.stories


@pytest.mark.slow
def test_a_pastry_chef_ad_finds_almost_nothing(embedder):
    cov = jd_coverage(PASTRY_JD, load_library(EXAMPLE_STORIES).stories, topics(), embedder)
    assert len(cov.competencies) + len(cov.topics) <= 1


@pytest.mark.slow
def test_the_command_prints_covered_and_missing_as_json(tmp_path, capsys):
    stories = tmp_path / "stories"
    shutil.copytree(EXAMPLE_STORIES, stories)
    (stories / "mentored-junior-eval-harness.md").unlink()
    jd = tmp_path / "jd.txt"
    jd.write_text(MLE_JD, encoding="utf-8")
    assert run(str(jd), "--stories", str(stories), "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["missing"] == ["mentoring"]
    assert "feature-store-point-in-time" in {t["id"] for t in result["topics"]}
    assert run(str(jd), "--stories", str(stories)) == 0
    out = capsys.readouterr().out
    assert "[MISSING] mentoring" in out and "feature-store-point-in-time" in out


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("missing.txt", None, "no such file"),
        ("jd.pdf", b"%PDF-1.7\n\x00\x01\x02binary", "binary"),
        ("latin1.txt", "Caf\xe9 ing\xe9nieur".encode("latin-1"), "UTF-8"),
        ("empty.txt", b"  \n", "empty"),
    ],
)
def test_a_bad_jd_file_is_one_line_naming_it(tmp_path, capsys, name, content, problem):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert run(str(path)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and problem in err and "Traceback" not in err


def test_a_folder_given_as_the_jd_is_one_line(tmp_path, capsys):
    assert run(str(tmp_path), "--json") == 1
    out, err = capsys.readouterr()
    assert str(tmp_path) in json.loads(out)["error"] and err.count("\n") == 1
