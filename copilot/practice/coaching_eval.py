"""The coaching evaluation: does the right story come up, and are its cue bullets worth reading?

It runs the product's own path (question focus, classifier, retriever, composer and, when asked, the
language model's rewrite through the same BulletStage) over an evaluation library of stories and
question -> relevant-story judgments (tests/data/eval/, see its README), and measures:

- story recall@1, recall@3 and MRR (the story route of a behavioral question: the top 3 are shown);
- the cue checks of copilot.pipeline.cues.cue_checks on the bullets of each story answer;
- question-type accuracy on the judgments (all behavioral) and on a labelled questions file.

Stories are ranked on the behavioral route whatever the classifier says, so retrieval and typing are
measured apart; type accuracy says how often the route would have been missed.
"""

from __future__ import annotations

import csv
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from copilot.adapters.embedding import Embedder
from copilot.adapters.index import ChromaIndex
from copilot.errors import InputFileError
from copilot.events import CardsReady, Hit, Question, QuestionTyped
from copilot.pipeline import knowledge
from copilot.pipeline.classifier import QuestionClassifier
from copilot.pipeline.cues import cue_checks
from copilot.pipeline.cues.generate import BulletGenerator
from copilot.pipeline.documents import story_docs
from copilot.pipeline.retrieval import Retriever
from copilot.pipeline.stages import BulletStage, sources_text
from copilot.stories.library import load_library
from copilot.stories.model import Story

SHOWN_STORIES = 3
RANK_DEPTH = 10  # MRR counts a relevant story found within this many


@dataclass(frozen=True)
class Judgment:
    question: str
    relevant: tuple[str, ...]
    style: str
    question_type: str


@dataclass
class AnswerCheck:
    question: str
    story_id: str
    bullets: tuple[str, ...]
    cut: list[str]
    duplicates: list[tuple[str, str]]
    numbers_kept: bool | None
    invented: list[str]
    templates: list[str]


@dataclass
class HalfReport:
    half: str
    questions: int = 0
    hits_at_1: int = 0
    hits_at_3: int = 0
    reciprocal_ranks: list[float] = field(default_factory=list)
    by_style: dict[str, list[int]] = field(default_factory=dict)  # style -> [hits@3, count]
    typed_right: int = 0
    types_by_style: dict[str, list[int]] = field(default_factory=dict)  # style -> [typed right, count]
    answers: list[AnswerCheck] = field(default_factory=list)
    misses: list[tuple[str, list[str], tuple[str, ...]]] = field(default_factory=list)
    model_bullets: int = 0  # bullets of the language model that replaced a composer bullet
    retrieve_ms: list[float] = field(default_factory=list)
    bullets_ms: list[float] = field(default_factory=list)

    def figures(self) -> dict[str, float | int | str]:
        answers = self.answers
        with_numbers = [a for a in answers if a.numbers_kept is not None]
        n = max(self.questions, 1)
        return {
            "half": self.half,
            "questions": self.questions,
            "recall_at_1": round(self.hits_at_1 / n, 3),
            "recall_at_3": round(self.hits_at_3 / n, 3),
            "mrr": round(statistics.fmean(self.reciprocal_ranks or [0.0]), 3),
            "type_accuracy": round(self.typed_right / n, 3),
            "bullets": sum(len(a.bullets) for a in answers),
            "cut_bullets": sum(len(a.cut) for a in answers),
            "near_duplicate_pairs": sum(len(a.duplicates) for a in answers),
            "numbers_kept": sum(1 for a in with_numbers if a.numbers_kept),
            "answers_with_result_numbers": len(with_numbers),
            "invented_numbers": sum(len(a.invented) for a in answers),
            "template_bullets": sum(len(a.templates) for a in answers),
            "model_bullets": self.model_bullets,
            "retrieve_ms_p95": round(_p95(self.retrieve_ms), 1),
            "bullets_ms_p95": round(_p95(self.bullets_ms), 1),
            **{f"recall_at_3_{s}": round(h / c, 3) for s, (h, c) in sorted(self.by_style.items())},
            **{f"type_accuracy_{s}": round(h / c, 3) for s, (h, c) in sorted(self.types_by_style.items())},
        }


def _p95(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def load_judgments(path: Path) -> list[Judgment]:
    """The judgments file (TSV: question, relevant, style, type); errors name the file and line."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    except OSError as exc:
        raise InputFileError(path, f"could not be read ({exc.strerror or exc})") from exc
    judgments = []
    for line, row in enumerate(rows, start=2):
        question, relevant = (row.get("question") or "").strip(), (row.get("relevant") or "").strip()
        if not question or not relevant:
            raise InputFileError(path, f"line {line}: needs a question and at least one relevant story id")
        ids = tuple(i.strip() for i in relevant.split(",") if i.strip())
        judgments.append(
            Judgment(question, ids, (row.get("style") or "plain").strip(), (row.get("type") or "").strip())
        )
    return judgments


def focus(text: str) -> tuple[str, str]:
    """(preamble, question) of a turn, by the live path's splitter when it is there."""
    try:
        from copilot.pipeline.question_focus import split_question
    except ImportError:  # pragma: no cover - the splitter ships with the live path
        return "", text
    found = split_question(text)
    return found.preamble, found.question


class HalfEvaluator:
    """One half of the evaluation set, indexed once in `index_folder`."""

    def __init__(self, folder: Path, embedder: Embedder, classifier: QuestionClassifier, index_folder: Path) -> None:
        loaded = load_library(folder / "stories")
        if loaded.errors:
            raise InputFileError(folder, "; ".join(str(e) for e in loaded.errors))
        self.stories: list[Story] = list(loaded.stories)
        self.judgments = load_judgments(folder / "questions.tsv")
        self._check_ids()
        self.embedder = embedder
        self.classifier = classifier
        self.index = ChromaIndex(index_folder, embedder)
        self.index.sync("stories", story_docs(self.stories))
        self.retriever = Retriever(self.index, knowledge.frameworks(), knowledge.topics(), self.stories)
        self.half = folder.name

    def _check_ids(self) -> None:
        known = {s.id for s in self.stories}
        for j in self.judgments:
            unknown = [i for i in j.relevant if i not in known]
            if unknown:
                raise InputFileError(
                    f"{self.half_name}/questions.tsv", f"unknown story ids {unknown} for {j.question!r}"
                )

    @property
    def half_name(self) -> str:
        return getattr(self, "half", "?")

    def close(self) -> None:
        self.index.close()

    def run(self, generator: BulletGenerator | None = None, limit: int | None = None) -> HalfReport:
        """Every judgment (or the first `limit`: the model's rewrite costs seconds per question)."""
        report = HalfReport(self.half)
        for number, judgment in enumerate(self.judgments[:limit]):
            self._one(report, number, judgment, generator)
        return report

    def _one(self, report: HalfReport, number: int, j: Judgment, generator: BulletGenerator | None) -> None:
        preamble, text = focus(j.question)
        start = time.perf_counter()
        vector = self.embedder.embed([text])[0]
        ranked = self.retriever.rank_stories(text, vector, RANK_DEPTH)
        report.retrieve_ms.append((time.perf_counter() - start) * 1000)
        typed = self.classifier.classify_vector(text, vector)
        ids = [h.id for h in ranked]
        rank = next((r for r, i in enumerate(ids, start=1) if i in j.relevant), None)
        report.questions += 1
        report.hits_at_1 += rank == 1
        report.hits_at_3 += rank is not None and rank <= SHOWN_STORIES
        report.reciprocal_ranks.append(1.0 / rank if rank else 0.0)
        style = report.by_style.setdefault(j.style, [0, 0])
        style[0] += rank is not None and rank <= SHOWN_STORIES
        style[1] += 1
        typed_right = typed.question_type == (j.question_type or "behavioral")
        report.typed_right += typed_right
        typed_style = report.types_by_style.setdefault(j.style, [0, 0])
        typed_style[0] += typed_right
        typed_style[1] += 1
        if rank is None or rank > SHOWN_STORIES:
            report.misses.append((j.question, ids[:SHOWN_STORIES], j.relevant))
        question = Question(number, text, 0.0, preamble=preamble)
        report.answers.append(self._bullets(report, question, ranked[:SHOWN_STORIES], generator))

    def _bullets(
        self, report: HalfReport, question: Question, shown: Sequence[Hit], generator: BulletGenerator | None
    ) -> AnswerCheck:
        framework = knowledge.frameworks()["behavioral"]
        typed = QuestionTyped(question, "behavioral", 1.0, 0.0)
        event = CardsReady(
            typed, (Hit("framework", framework.id, framework.title, 1.0, framework),), tuple(shown), (), 0.0
        )
        start = time.perf_counter()
        produced = list(BulletStage(generator).process(event))
        draft, final = produced[0], produced[-1]
        report.bullets_ms.append((time.perf_counter() - start) * 1000)
        report.model_bullets += sum(1 for b in final.bullets if b not in draft.bullets)
        return check_answer(question.text, shown[0].item, final.bullets, sources_text(event))


def check_answer(question: str, story: Story, bullets: Sequence[str], sources: str) -> AnswerCheck:
    steps = set(knowledge.frameworks()["behavioral"].steps)
    return AnswerCheck(
        question=question,
        story_id=story.id,
        bullets=tuple(bullets),
        cut=[b for b in bullets if cue_checks.is_cut(b)],
        duplicates=cue_checks.near_duplicate_pairs(bullets),
        numbers_kept=cue_checks.result_numbers_kept(bullets, story.section("result")),
        invented=cue_checks.invented_numbers(bullets, sources),
        templates=[b for b in bullets if b in steps],
    )


def type_accuracy(classifier: QuestionClassifier, path: Path) -> tuple[int, int]:
    """(right, total) on a labelled questions TSV (columns text, label and optionally alt_label, a second
    acceptable type, as tests/core/test_classifier.py counts them)."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE) if r.get("text")]
    right = sum(
        classifier.classify(r["text"]).question_type in {r["label"].strip(), (r.get("alt_label") or "").strip()}
        for r in rows
    )
    return right, len(rows)
