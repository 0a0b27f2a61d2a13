"""Fast stand-ins for the heavy parts of ``kb`` (the sentence-transformers model)."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from kb.text import words

WORD_WEIGHT = 1.0
TRIGRAM_WEIGHT = 0.5


class HashingEmbedder:
    """A deterministic :class:`kb.embeddings.Embedder`: feature hashing of words and trigrams.

    Texts that share words (or parts of words) get nearer vectors, which is enough for ranking
    tests; ``calls`` and ``texts`` count what was embedded so tests can check caching and batching.
    """

    def __init__(self, dimension: int = 256, *, name: str = "hashing-test") -> None:
        """An embedder of the given width; nothing is loaded."""
        if dimension < 1:
            raise ValueError(f"dimension must be positive, got {dimension}")
        self._dimension = dimension
        self._name = name
        self._lock = threading.Lock()
        self.calls = 0
        self.texts: list[str] = []

    @property
    def name(self) -> str:
        """The identifier recorded in index manifests."""
        return self._name

    @property
    def dimension(self) -> int:
        """The length of every vector."""
        return self._dimension

    @property
    def texts_embedded(self) -> int:
        """How many texts were embedded since creation (or the last :meth:`reset_counts`)."""
        return len(self.texts)

    def reset_counts(self) -> None:
        """Forget the calls counted so far."""
        with self._lock:
            self.calls = 0
            self.texts = []

    def embed(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False
    ) -> NDArray[np.float32]:
        """Embed texts into L2-normalised float32 rows (an empty text gives a zero row)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        with self._lock:
            self.calls += 1
            self.texts.extend(texts)
        matrix = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature, weight in _features(text):
                digest = zlib.crc32(feature.encode("utf-8"))
                sign = 1.0 if digest & 1 else -1.0
                matrix[row, (digest >> 1) % self._dimension] += sign * weight
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        np.divide(matrix, norms, out=matrix, where=norms > 0)
        return matrix


def _features(text: str) -> list[tuple[str, float]]:
    """Hashed features of a text: each lower-cased word and each character trigram of it."""
    found: list[tuple[str, float]] = []
    for word in words(text):
        found.append((f"w:{word}", WORD_WEIGHT))
        padded = f"<{word}>"
        found.extend((f"t:{padded[i : i + 3]}", TRIGRAM_WEIGHT) for i in range(len(padded) - 2))
    return found
