"""A question's embedding, computed once for the classifier and the retriever.

The live path types a question and then retrieves cards for it, and both need the same vector: without
a shared cache the question was embedded twice, and the embedding is most of a question's cost (a
MiniLM forward pass: a few ms on an idle machine, 30-100 ms on a busy 2-core one, against about 6 ms
for scoring 1,000 stories). Partial questions are re-sent as the interviewer speaks, so a handful of
recent texts is all the cache needs to hold.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from copilot.adapters.embedding import Embedder

RECENT_QUESTIONS = 16


class QuestionVectors:
    """An Embedder that remembers the vectors of the last few single texts (the questions); a batch
    (indexing) passes straight through. Thread-safe: the classify and retrieve stages may run on
    different threads."""

    def __init__(self, embedder: Embedder, size: int = RECENT_QUESTIONS) -> None:
        self._embedder = embedder
        self._size = size
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) != 1:
            return self._embedder.embed(texts)
        return self.vector(texts[0])[None, :]

    def vector(self, text: str) -> np.ndarray:
        with self._lock:
            found = self._recent.get(text)
            if found is not None:
                self._recent.move_to_end(text)
                return found
        # Embedded outside the lock: two threads asking for a new text at once both embed it, which
        # costs one extra pass but never blocks one question behind another's embedding.
        vector = self._embedder.embed([text])[0]
        vector.setflags(write=False)  # shared between callers: nobody may change it in place
        with self._lock:
            self._recent[text] = vector
            self._recent.move_to_end(text)
            while len(self._recent) > self._size:
                self._recent.popitem(last=False)
        return vector
