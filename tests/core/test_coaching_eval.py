"""The coaching evaluation (tests/data/eval): its data stays honest and the report half's figures hold.

The floors are the figures reached on the report half (never tuned on) with a small margin for
numeric noise across machines; the issue's targets are recall@3 >= 0.90 and MRR >= 0.75.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from conftest import EXAMPLE_STORIES, QUESTIONS_TSV

from copilot.errors import InputFileError
from copilot.pipeline.classifier import QuestionClassifier
from copilot.pipeline.knowledge import KNOWLEDGE_DIR
from copilot.practice.coaching_eval import HalfEvaluator, load_judgments
from copilot.stories.library import load_library

EVAL = Path(__file__).resolve().parents[1] / "data" / "eval"


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _texts(path: Path, column: str) -> set[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        return {_norm(r[column]) for r in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)}


def test_halves_are_disjoint_and_new():
    tune, report = (load_library(EVAL / h / "stories").stories for h in ("tune", "report"))
    shipped = {s.id for s in load_library(EXAMPLE_STORIES).stories}
    assert len(tune) >= 10 and len(report) >= 10
    assert not {s.id for s in tune} & {s.id for s in report} and not ({s.id for s in tune + report} & shipped)
    questions = {h: {_norm(j.question) for j in load_judgments(EVAL / h / "questions.tsv")} for h in ("tune", "report")}
    assert len(questions["tune"]) + len(questions["report"]) >= 150
    assert not questions["tune"] & questions["report"]
    known = _texts(KNOWLEDGE_DIR / "question_bank.tsv", "text") | _texts(QUESTIONS_TSV, "text")
    assert not (questions["tune"] | questions["report"]) & known


def test_bad_judgments_file_names_the_file_and_line(tmp_path):
    path = tmp_path / "questions.tsv"
    path.write_text("question\trelevant\tstyle\ttype\nTell me about a time\t\tplain\tbehavioral\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"questions.tsv.*line 2"):
        load_judgments(path)


@pytest.fixture(scope="module")
def report_half(embedder, tmp_path_factory):
    evaluator = HalfEvaluator(
        EVAL / "report", embedder, QuestionClassifier(embedder), tmp_path_factory.mktemp("eval-index")
    )
    yield evaluator.run()
    evaluator.close()


@pytest.mark.slow
def test_report_half_story_retrieval(report_half):
    figures = report_half.figures()
    assert figures["recall_at_3"] >= 0.90, report_half.misses
    assert figures["mrr"] >= 0.78
    assert figures["recall_at_1"] >= 0.62


@pytest.mark.slow
def test_report_half_question_types(report_half):
    """Every judgment is behavioral: a wrong type sends the question down the wrong route. "How do you
    deal with..." (indirect) questions were typed situational 9 times in 13 before the bank had any."""
    figures = report_half.figures()
    assert figures["type_accuracy"] >= 0.88
    assert figures["type_accuracy_indirect"] >= 0.55


@pytest.mark.slow
def test_report_half_bullets_pass_every_check(report_half):
    figures = report_half.figures()
    assert figures["cut_bullets"] == 0
    assert figures["near_duplicate_pairs"] == 0
    assert figures["invented_numbers"] == 0
    assert figures["template_bullets"] == 0
    assert figures["numbers_kept"] >= 0.9 * figures["answers_with_result_numbers"]
