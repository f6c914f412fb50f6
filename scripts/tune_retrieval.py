#!/usr/bin/env python3
"""Grid search of the story-scoring weights (copilot/pipeline/story_scoring.py) on the TUNE half only.

The report half is never loaded here, so the figures it gives stay honest.
Usage: python scripts/tune_retrieval.py
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from copilot.adapters.embedding import OnnxEmbedder  # noqa: E402
from copilot.config import models  # noqa: E402
from copilot.pipeline.classifier import QuestionClassifier  # noqa: E402
from copilot.pipeline.story_scoring import Weights  # noqa: E402
from copilot.practice.coaching_eval import HalfEvaluator, focus  # noqa: E402

GRID = {
    "title": (0.0, 0.15, 0.3),
    "competency": (0.0, 0.2, 0.45, 0.6, 0.8, 1.0),
    "keyword": (0.0, 0.05, 0.1, 0.15, 0.2),
    "hub": (0.0, 0.5, 0.75, 1.0),
}


def main() -> int:
    embedder = OnnxEmbedder(models.embedding_model().path, models.embedding_tokenizer().path)
    with tempfile.TemporaryDirectory() as tmp:
        ev = HalfEvaluator(REPO / "tests/data/eval/tune", embedder, QuestionClassifier(embedder), Path(tmp))
        try:
            retriever = ev.retriever
            tables = retriever._story_tables
            queries = []
            for j in ev.judgments:
                _, text = focus(j.question)
                vector = embedder.embed([text])[0]
                queries.append((text, vector, retriever._matcher.question_weights(text, vector), j.relevant))
            results = []
            for values in itertools.product(*GRID.values()):
                weights = Weights(best=1.0, **dict(zip(GRID, values, strict=True)))
                t = dataclasses.replace(tables, weights=weights)
                r3 = rr = 0.0
                for text, vector, qw, relevant in queries:
                    order = [t.stories[i].id for i in t.scores(text, vector, qw).total.argsort()[::-1]]
                    rank = next((k for k, i in enumerate(order, 1) if i in relevant), 99)
                    r3 += rank <= 3
                    rr += 1 / rank
                results.append((r3 / len(queries), rr / len(queries), weights))
            for r3, mrr, w in sorted(results, key=lambda x: (-x[0] - x[1]))[:12]:
                print(f"recall@3 {r3:.3f} MRR {mrr:.3f} {w}")
        finally:
            ev.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
