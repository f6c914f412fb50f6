"""BM25 keyword ranking over a small in-memory corpus (the keyword half of hybrid retrieval).

Dense embeddings miss exact jargon ("PSI", "ZeRO", "two-tower"); BM25 catches it. The corpus is at most a
few thousand chunks, so a sparse term-to-postings map in plain Python scores a query in about a millisecond.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

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
        self._k1, self._b = k1, b
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._lengths = []
        for index, doc in enumerate(documents):
            counts = Counter(tokenize(doc))
            self._lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                self._postings[term].append((index, tf))
        self._count = len(self._lengths)
        self._avg_length = (sum(self._lengths) / self._count) if self._count else 0.0

    def scores(self, query: str) -> dict[int, float]:
        """Score of each document that shares at least one query term (others score zero)."""
        out: dict[int, float] = defaultdict(float)
        for term in set(tokenize(query)):
            postings = self._postings.get(term)
            if not postings:
                continue
            idf = math.log(1 + (self._count - len(postings) + 0.5) / (len(postings) + 0.5))
            for index, tf in postings:
                norm = tf + self._k1 * (1 - self._b + self._b * self._lengths[index] / self._avg_length)
                out[index] += idf * tf * (self._k1 + 1) / norm
        return dict(out)

    def top(self, query: str, k: int) -> list[int]:
        ranked = sorted(self.scores(query).items(), key=lambda item: -item[1])
        return [index for index, _ in ranked[:k]]


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = 60) -> dict[str, float]:
    """Fuse ranked lists by 1/(k + rank): robust to the two scores living on different scales."""
    fused: dict[str, float] = defaultdict(float)
    for ranking in rankings:
        for rank, key in enumerate(ranking):
            fused[key] += 1.0 / (k + rank + 1)
    return dict(fused)
