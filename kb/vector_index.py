"""Dense passage vectors in FAISS: exact search for small collections, IVF-SQ8 for large ones."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

EXACT_MAX = 20_000
"""Up to this many vectors an exact (flat) index is both fast and perfect; above it, IVF-SQ8."""
TARGET_RECALL = 0.99
CANDIDATES = 64
"""How many candidates the search engine takes from the index (``RankingParams.dense_candidates``)."""
"""IVF probes enough cells to find this share of the exact top 10 (checked when it is built)."""


def _faiss() -> Any:
    """Import FAISS lazily: it is heavy and only needed once an index is built."""
    import faiss

    return faiss


_threads_set = False


def _single_threaded() -> None:
    """Search with one OpenMP thread: for one query at a time, FAISS's thread pool only adds
    spin-waiting (a search over 1,600 vectors took 14 ms with two threads, 4 ms with one)."""
    global _threads_set  # noqa: PLW0603 - a process-wide library setting, applied once
    if not _threads_set:
        _faiss().omp_set_num_threads(1)
        _threads_set = True


def ivf_lists(count: int) -> int:
    """How many IVF cells to use for ``count`` vectors (about 4·√n, at least 39 vectors a cell)."""
    return max(16, min(int(4 * math.sqrt(count)), count // 39))


class VectorIndex:
    """Inner-product search over normalised vectors keyed by int64 ids; supports add and remove."""

    def __init__(self, dimension: int, *, kind: str = "flat", nprobe: int = 24) -> None:
        """An empty index of the given kind (``flat`` or ``ivf-sq8``; the latter needs ``train``)."""
        if dimension < 1:
            raise ValueError(f"dimension must be positive, got {dimension}")
        if kind not in {"flat", "ivf-sq8"}:
            raise ValueError(f"unknown index kind {kind!r}; use 'flat' or 'ivf-sq8'")
        self.dimension = dimension
        self.kind = kind
        self.nprobe = nprobe
        self._index: Any = None
        if kind == "flat":
            faiss = _faiss()
            self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    @classmethod
    def build(
        cls, ids: NDArray[np.int64], vectors: NDArray[np.float32], *, nprobe: int = 24
    ) -> VectorIndex:
        """Build the right kind of index for this many vectors and add them all."""
        kind = "flat" if len(ids) <= EXACT_MAX else "ivf-sq8"
        index = cls(vectors.shape[1] if vectors.ndim == 2 else 1, kind=kind, nprobe=nprobe)
        if kind == "ivf-sq8":
            index.train(vectors)
        index.add(ids, vectors)
        if kind == "ivf-sq8":
            index.tune_nprobe(ids, vectors)
        return index

    def tune_nprobe(
        self,
        ids: NDArray[np.int64],
        vectors: NDArray[np.float32],
        *,
        target: float = TARGET_RECALL,
        sample: int = 200,
        k: int = 10,
        candidates: int = CANDIDATES,
    ) -> float:
        """Probe the fewest IVF cells whose top ``candidates`` hold ``target`` of the exact top k.

        The search engine re-scores its candidates exactly from stored vectors, so what matters
        is that the true nearest passages are among the candidates, not their quantised order.

        Probe queries are built from the collection itself, so the setting fits how it actually
        clusters. Returns the recall reached on the probes.
        """
        faiss = _faiss()
        ivf = faiss.extract_index_ivf(self._index)
        rng = np.random.default_rng(0)
        pairs = rng.choice(len(vectors), (min(sample, len(vectors)), 2))
        # Midpoints of two random passages: questions that fall between topics are the hardest
        # for IVF (their neighbours spread over many cells), so tune for them.
        queries = vectors[pairs[:, 0]] + vectors[pairs[:, 1]]
        queries = np.ascontiguousarray(
            queries / np.linalg.norm(queries, axis=1, keepdims=True).clip(1e-12), dtype=np.float32
        )
        similarities = queries @ np.ascontiguousarray(vectors, dtype=np.float32).T
        exact = np.argpartition(-similarities, k, axis=1)[:, :k]
        truth = [set(ids[row].tolist()) for row in exact]
        recall = 0.0
        nprobe = 8.0
        while True:
            ivf.nprobe = min(round(nprobe), ivf.nlist)
            _, found = self.search(queries, candidates)
            hits = sum(len(t & set(f.tolist())) for t, f in zip(truth, found, strict=True))
            recall = hits / (k * len(truth))
            if recall >= target or ivf.nprobe >= ivf.nlist:
                break
            nprobe *= 1.5  # fine steps: every extra cell probed costs every query
        self.nprobe = int(ivf.nprobe)
        return recall

    def train(self, vectors: NDArray[np.float32]) -> None:
        """Learn the IVF cells and scalar quantiser from (a sample of) the vectors."""
        faiss = _faiss()
        nlist = ivf_lists(len(vectors))
        quantizer = faiss.IndexFlatIP(self.dimension)
        index = faiss.IndexIVFScalarQuantizer(
            quantizer,
            self.dimension,
            nlist,
            faiss.ScalarQuantizer.QT_8bit,
            faiss.METRIC_INNER_PRODUCT,
        )
        sample = vectors
        if len(vectors) > nlist * 256:
            rng = np.random.default_rng(0)
            sample = vectors[rng.choice(len(vectors), nlist * 256, replace=False)]
        faiss.omp_set_num_threads(os.cpu_count() or 1)  # training is batch work: use every core
        try:
            index.train(np.ascontiguousarray(sample, dtype=np.float32))
        finally:
            faiss.omp_set_num_threads(1)
        index.nprobe = self.nprobe
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
        self._index = index

    def __len__(self) -> int:
        """The number of vectors in the index."""
        return int(self._index.ntotal) if self._index is not None else 0

    def _check(self, vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        """Vectors as a contiguous float32 matrix of the right width, or a clear error."""
        matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[1] != self.dimension:
            raise ValueError(f"expected vectors of shape (n, {self.dimension}), got {matrix.shape}")
        return matrix

    def add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        """Add vectors under the given ids (ids must not be in the index yet)."""
        if self._index is None:
            raise RuntimeError("an IVF index must be trained before vectors are added")
        matrix = self._check(vectors)
        if len(ids) != len(matrix):
            raise ValueError(f"{len(ids)} ids for {len(matrix)} vectors")
        if len(ids):
            self._index.add_with_ids(matrix, np.ascontiguousarray(ids, dtype=np.int64))

    def remove(self, ids: NDArray[np.int64]) -> int:
        """Remove vectors by id; returns how many were removed."""
        if not len(ids) or self._index is None:
            return 0
        return int(self._index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64)))

    def search(
        self, query: NDArray[np.float32], k: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """The ``k`` nearest ids by inner product for each query row, best first (-1 pads)."""
        if k < 1:
            raise ValueError(f"k must be positive, got {k}")
        matrix = self._check(query)
        if not len(self):
            empty = np.full((len(matrix), k), -1, dtype=np.int64)
            return np.zeros((len(matrix), k), dtype=np.float32), empty
        _single_threaded()
        scores, ids = self._index.search(matrix, min(k, len(self)))
        return scores, ids

    def copy(self) -> VectorIndex:
        """An independent copy (so a snapshot can be saved while this one keeps changing)."""
        clone = VectorIndex(self.dimension, kind=self.kind, nprobe=self.nprobe)
        faiss = _faiss()
        clone._index = faiss.deserialize_index(faiss.serialize_index(self._index))
        if self.kind == "ivf-sq8":
            ivf = faiss.extract_index_ivf(clone._index)
            ivf.nprobe = self.nprobe
            ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
        return clone

    def save(self, path: Path) -> None:
        """Write the index to a file."""
        _faiss().write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        """Read an index written by :meth:`save` (an IVF index keeps its tuned ``nprobe``)."""
        faiss = _faiss()
        raw = faiss.read_index(str(path))
        ivf = faiss.try_extract_index_ivf(raw)
        nprobe = int(ivf.nprobe) if ivf is not None else 24
        index = cls(raw.d, kind="ivf-sq8" if ivf is not None else "flat", nprobe=nprobe)
        if ivf is not None:
            ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
        index._index = raw
        return index
