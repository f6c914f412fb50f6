#!/usr/bin/env python3
"""Coaching quality on the project's own evaluation set (tests/data/eval/, see its README).

Prints one JSON line per half with story recall@1/@3, MRR, the cue-bullet checks and type accuracy,
then the type accuracy on the shared labelled questions. Tune on `tune`; the README reports `report`.
Usage: python scripts/eval_coaching.py [--half tune|report|both] [--llm] [--limit N] [--misses] [--bullets]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from copilot.adapters.embedding import OnnxEmbedder  # noqa: E402
from copilot.config import models  # noqa: E402
from copilot.errors import UserError  # noqa: E402
from copilot.pipeline.classifier import QuestionClassifier  # noqa: E402
from copilot.practice.coaching_eval import HalfEvaluator, type_accuracy  # noqa: E402

EVAL = REPO / "tests" / "data" / "eval"
LABELLED = REPO / "tests" / "data" / "questions" / "questions_train.tsv"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=("tune", "report", "both"), default="both")
    parser.add_argument("--llm", action="store_true", help="composer + the packaged llama.cpp model's rewrite")
    parser.add_argument("--limit", type=int, help="only the first N questions of each half")
    parser.add_argument("--misses", action="store_true", help="list questions whose story was not in the top 3")
    parser.add_argument("--bullets", action="store_true", help="print every answer's bullets and failed checks")
    args = parser.parse_args()
    try:
        return run(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def run(args: argparse.Namespace) -> int:
    embedder = OnnxEmbedder(models.embedding_model().path, models.embedding_tokenizer().path)
    classifier = QuestionClassifier(embedder)
    generator = None
    if args.llm:
        from copilot.composition import build_generator_for

        generator = build_generator_for("llama_cpp")
    halves = ("tune", "report") if args.half == "both" else (args.half,)
    with tempfile.TemporaryDirectory(prefix="copilot-eval-") as tmp:
        for half in halves:
            evaluator = HalfEvaluator(EVAL / half, embedder, classifier, Path(tmp) / half)
            try:
                report = evaluator.run(generator, args.limit)
            finally:
                evaluator.close()
            print(json.dumps({"bullets_by": "composer+llm" if generator else "composer", **report.figures()}))
            if args.misses:
                for question, shown, relevant in report.misses:
                    print(f"  miss: {question!r} shown {shown} wanted {list(relevant)}")
            if args.bullets:
                for a in report.answers:
                    flags = {"cut": a.cut, "dup": a.duplicates, "numbers_kept": a.numbers_kept, "invented": a.invented}
                    print(f"  {a.story_id}: {list(a.bullets)} {flags}")
    if LABELLED.exists():
        right, total = type_accuracy(classifier, LABELLED)
        print(json.dumps({"type_accuracy_labelled": round(right / max(total, 1), 3), "questions": total}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
