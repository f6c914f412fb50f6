"""BM25 keyword ranking over a small in-memory corpus (the keyword half of hybrid retrieval).

Dense embeddings miss exact jargon ("PSI", "ZeRO", "two-tower"); BM25 catches it. Each term's postings
are numpy arrays with the term's whole BM25 weight per document worked out at build time (it depends on the
document and the term, never on the query), so a query costs one vector add per query term. The plain
Python loop over postings this replaced cost 26 ms a question at 1,000 stories (7,000 chunks) on a busy
2-core machine: common words such as "team" are in thousands of chunks.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
# Words so common in interview questions that matching them says nothing about the topic.
STOPWORDS = frozenset(
    "a an and are as at be but by can could did do does for from had has have how i if in into is it its me "
    "my of on or our so that the their them then there these they this to was we were what when where which "
    "who why will with would you your tell about time describe explain walk through".split()
)


def tokenize(text: str) -> list[str]:
    """Lower-case terms, hyphenated compounds also split ("data-quality" -> data, quality), lightly stemmed."""
    terms: list[str] = []
    for token in _TOKEN.findall(text.lower()):
        parts = token.split("-") if "-" in token else []
        terms.extend(_stem(t) for t in (token, *parts) if t not in STOPWORDS)
    return terms


def _stem(term: str) -> str:
    """Strip the commonest English endings so "debugged", "debugging" and "debug" meet. Crude on purpose:
    the same function treats the query and the documents, so consistency matters more than linguistics."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(term) > len(suffix) + 3 and term.endswith(suffix):
            stem = term[: -len(suffix)]
            # "debugg" -> "debug", "stopp" -> "stop"
            return stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else stem
    return term


class BM25:
    # k1 and b are the standard Okapi defaults; tuning them mattered little on our short chunks.
    def __init__(self, documents: Sequence[str], k1: float = 1.5, b: float = 0.75) -> None:
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        lengths: list[int] = []
        for index, doc in enumerate(documents):
            counts = Counter(tokenize(doc))
            lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                postings[term].append((index, tf))
        self._count = len(lengths)
        average = (sum(lengths) / self._count) if self._count else 0.0
        relative = np.asarray(lengths, dtype=np.float32) / average if average else np.zeros(0, dtype=np.float32)
        # term -> (document indices, BM25 weight of the term in each of them)
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, found in postings.items():
            docs = np.fromiter((d for d, _ in found), dtype=np.int64, count=len(found))
            counts_in_doc = np.fromiter((t for _, t in found), dtype=np.float32, count=len(found))
            idf = math.log(1 + (self._count - len(found) + 0.5) / (len(found) + 0.5))
            norm = counts_in_doc + k1 * (1 - b + b * relative[docs])
            weight = idf * counts_in_doc * (k1 + 1) / norm
            self._postings[term] = (docs, weight.astype(np.float32))

    def __len__(self) -> int:
        return self._count

    def dense_scores(self, query: str) -> np.ndarray:
        """The score of every document (zero where no query term occurs), as one array."""
        out = np.zeros(self._count, dtype=np.float32)
        for term in set(tokenize(query)):
            found = self._postings.get(term)
            if found is not None:
                out[found[0]] += found[1]  # a term lists each document once, so no index repeats
        return out

    def scores(self, query: str) -> dict[int, float]:
        """Score of each document that shares at least one query term (others score zero)."""
        dense = self.dense_scores(query)
        return {int(i): float(dense[i]) for i in np.flatnonzero(dense)}

    def top(self, query: str, k: int) -> list[int]:
        dense = self.dense_scores(query)
        matched = np.flatnonzero(dense)
        ranked = matched[np.argsort(-dense[matched], kind="stable")]
        return [int(i) for i in ranked[:k]]


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = 60) -> dict[str, float]:
    """Fuse ranked lists by 1/(k + rank): robust to the two scores living on different scales."""
    fused: dict[str, float] = defaultdict(float)
    for ranking in rankings:
        for rank, key in enumerate(ranking):
            fused[key] += 1.0 / (k + rank + 1)
    return dict(fused)
