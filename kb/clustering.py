"""Grouping vectors by cosine similarity: greedy assignment to group centres, then merging.

numpy only; small enough for a report's few hundred or thousand questions (O(n × groups)).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def cluster(vectors: NDArray[np.float32], *, threshold: float) -> list[list[int]]:
    """Group row indices greedily: each row joins the most similar group centre if ≥ threshold.

    Rows are taken in order (pass the most frequent first so they found the groups); a group's
    centre is the normalised mean of its rows. A final pass merges groups whose centres are
    themselves at least ``threshold`` alike, so the result depends less on the order.
    """
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array, got shape {vectors.shape}")
    if not -1.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be a cosine similarity in [-1, 1], got {threshold}")
    groups: list[list[int]] = []
    sums: list[NDArray[np.float64]] = []
    for i, row in enumerate(normalised(vectors)):
        best, best_score = -1, threshold
        for g, total in enumerate(sums):
            score = float(row @ unit(total))
            if score >= best_score:
                best, best_score = g, score
        if best < 0:
            groups.append([i])
            sums.append(row.astype(np.float64))
        else:
            groups[best].append(i)
            sums[best] = sums[best] + row
    return _merge(groups, sums, threshold)


def _merge(
    groups: list[list[int]], sums: list[NDArray[np.float64]], threshold: float
) -> list[list[int]]:
    """Join groups whose centres are at least ``threshold`` alike (largest first)."""
    merged = True
    while merged and len(groups) > 1:
        merged = False
        centres = np.stack([unit(s) for s in sums])
        scores = centres @ centres.T
        np.fill_diagonal(scores, -2.0)
        found = np.unravel_index(int(np.argmax(scores)), scores.shape)
        first, second = sorted((int(found[0]), int(found[1])))
        if scores[first, second] >= threshold:
            a, b = first, second
            groups[a] += groups.pop(b)
            sums[a] = sums[a] + sums.pop(b)
            merged = True
    return groups


def normalised(vectors: NDArray[np.float32]) -> NDArray[np.float64]:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: NDArray[np.float64] = np.divide(
        vectors, norms, out=np.zeros(vectors.shape), where=norms > 0
    )
    return unit


def unit(vector: NDArray[np.float64]) -> NDArray[np.float64]:
    """A vector scaled to unit length."""
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
