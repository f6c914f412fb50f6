"""Sentence embeddings with all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime: no PyTorch, no downloads.

The model outputs per-token states; a sentence vector is their mean under the attention mask,
L2-normalised, so a dot product is the cosine similarity (DESIGN.md, "Defaults that work offline").
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from copilot.errors import ModelMissingError

DIMENSIONS = 384
# MiniLM was trained on 128-token inputs; longer text is cut (stories are embedded by section).
MAX_TOKENS = 256
# Small batches: onnxruntime's arena keeps the largest batch's buffers for the process's life. 70
# story documents, measured (noisy, shared 2 cores): 32 a batch peaked at 1455 MB RSS in 26 s, 8 at
# 507 MB in 22 s, same vectors.
BATCH_SIZE = 8


class Embedder(Protocol):
    """What the classifier and the index need: texts in, unit-length rows out."""

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class OnnxEmbedder:
    """Thread-safe: onnxruntime sessions may be run from several threads at once."""

    def __init__(self, model_path: Path, tokenizer_path: Path, threads: int = 2) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3  # the int8 graph triggers harmless optimiser warnings
        # Idle worker threads sleep instead of spinning: on a busy 2-core machine a spinning thread takes
        # the core the other one needs. Measured under load average 10-15: one question p50 80 -> 35 ms,
        # 16 story chunks 2.9 -> 2.3 s of CPU.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
            self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        except Exception as exc:  # onnxruntime raises its own classes for a truncated file
            raise ModelMissingError(f"{model_path}: embedding model could not be loaded ({exc}); reinstall it") from exc
        # The packaged tokenizer pads every input to 128 tokens; we pad per batch instead (faster).
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        parts = [self._embed_batch(texts[i : i + BATCH_SIZE]) for i in range(0, len(texts), BATCH_SIZE)]
        return np.vstack(parts)

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def _embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        return _mean_pool_normalised(hidden, mask)


def _mean_pool_normalised(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[:, :, None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
