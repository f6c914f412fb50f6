"""Fakes shared by the tests, and the one helper that drives a stage.

The real adapters are tested on their own (the real-model tests, marked `slow`); elsewhere these
stand in for them so a test of reload, matching or healing logic takes milliseconds, not seconds.
Nothing here imports Qt, so the core's tests can use it too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

DIMENSIONS = 384  # the real MiniLM's width, so a fake's rows fit an index the real model could open


class HashEmbedder:
    """A deterministic stand-in for MiniLM: a hashed bag of words, one unit-length row per text.

    Texts that share words score higher than texts that do not (cosine = shared word weight), which
    is all that reload, matching and healing logic needs; it knows nothing of synonyms or meaning.
    """

    def __init__(self, dimensions: int = DIMENSIONS) -> None:
        self.dimensions = dimensions
        self.texts_embedded = 0  # for tests of caching

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts_embedded += len(texts)
        rows = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                rows[row, self._slot(word)] += 1.0
        rows[:, 0] += 1e-3  # an empty text still has a direction (the real model never returns zeros)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def _slot(self, word: str) -> int:
        return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little") % self.dimensions


class KeywordClassifier:
    """Question types from keywords in the text, instantly (the real classifier trains on the bank
    first: seconds, minutes on a loaded machine). The first rule whose keyword appears wins."""

    def __init__(
        self, rules: Sequence[tuple[str, str]] = (), default: str = "behavioral", unsure: Sequence[str] = ()
    ) -> None:
        self.rules = tuple(rules)
        self.default = default
        self.unsure = tuple(unsure)  # keywords whose type is given with a confidence of 0.4

    def classify(self, text: str) -> Any:
        from copilot.pipeline.classifier import Classification

        lowered = text.lower()
        word, question_type = next(((w, qtype) for w, qtype in self.rules if w in lowered), ("", self.default))
        return Classification(question_type, 0.4 if word in self.unsure else 0.9, {})


def use_fake_models(env: Any) -> None:
    """Make `open_core()` build a HashEmbedder and a KeywordClassifier instead of MiniLM and the
    trained classifier (`env`: a pytest MonkeyPatch); the index stays a real Chroma index. For tests
    of what the core does with its stories (reload, index upkeep), not of how well it ranks them.

    Faking the classifier also keeps its cache clean: that cache is keyed by the question bank
    alone, so a model trained on fake vectors would be read by the real-model tests.
    """
    env.setattr("copilot.composition.OnnxEmbedder", lambda *args, **kwargs: HashEmbedder())
    env.setattr("copilot.composition.QuestionClassifier", lambda *args, **kwargs: KeywordClassifier())


class VectorEmbedder:
    """Chosen vectors for chosen texts (normalised), for tests that need exact similarities."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = vectors

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows = np.array([self.vectors[t] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


class StaticKey:
    """A history key source that always gives the same key (no keychain, no key file)."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    def get_key(self) -> bytes:
        return self.key


class FakeMic:
    """A microphone source for the windows: on start it delivers `frames` blocks of `size` samples
    (all ones: loud) at once; on stop it ends, as a real source does. `microphone=lambda: FakeMic(3)`."""

    def __init__(self, frames: int = 4, size: int = 512) -> None:
        self.frames, self.size = frames, size

    def start(self, on_frame: Callable[[Any], None], on_end: Callable[[str], None]) -> None:
        self.on_end = on_end
        for _ in range(self.frames):
            on_frame(SimpleNamespace(samples=np.ones(self.size, dtype=np.float32)))

    def stop(self) -> None:
        self.on_end("stopped")


def run_stage(stage: Any, events: Iterable[object]) -> list[object]:
    """Feed `events` to `stage.process` one by one, as the runner does; everything it emitted, in order."""
    out: list[object] = []
    for event in events:
        out.extend(stage.process(event))
    return out
