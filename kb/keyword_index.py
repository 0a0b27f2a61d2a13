"""BM25 keyword search (bm25s) that takes incremental changes without a full rebuild.

A main bm25s index holds most passages. Passages added since it was built live in a small delta
that is scored with the main index's collection statistics, so scores stay comparable; removed
passages are masked out. When the delta and the removals grow past a fraction of the main index,
they are merged by rebuilding from the cached tokens (no re-tokenising, no re-embedding).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

K1 = 1.2
B = 0.75
MERGE_FRACTION = 0.05
MERGE_MIN = 256


class KeywordIndex:
    """BM25 over passages identified by int ids; ``upsert``/``remove`` take effect immediately."""

    def __init__(self, *, k1: float = K1, b: float = B) -> None:
        """An empty index with the given BM25 parameters."""
        self.k1, self.b = k1, b
        self._tokens: dict[int, tuple[str, ...]] = {}
        self._main: Any = None
        self._main_ids: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._main_pos: dict[int, int] = {}
        self._alive: NDArray[np.float32] = np.zeros(0, dtype=np.float32)
        self._delta: dict[int, Counter[str]] = {}
        self._df: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._avgdl = 1.0
        self.merges = 0

    def __len__(self) -> int:
        """The number of live passages."""
        return len(self._tokens)

    def build(self, passages: Mapping[int, Sequence[str]]) -> None:
        """Index these passages from scratch (id → tokens)."""
        self._tokens = {pid: tuple(toks) for pid, toks in passages.items()}
        self._rebuild()

    def _rebuild(self) -> None:
        """Rebuild the main bm25s index from the cached tokens of every live passage."""
        import bm25s

        ids = np.fromiter(self._tokens.keys(), dtype=np.int64, count=len(self._tokens))
        self._main_ids = ids
        self._main_pos = {int(pid): pos for pos, pid in enumerate(ids)}
        self._alive = np.ones(len(ids), dtype=np.float32)
        self._delta = {}
        if not len(ids):
            self._main = None
            self._df = np.zeros(0, dtype=np.int64)
            return
        corpus = [list(self._tokens[int(pid)]) or [""] for pid in ids]
        retriever = bm25s.BM25(k1=self.k1, b=self.b, method="lucene")
        retriever.index(corpus, show_progress=False)
        self._main = retriever
        self._df = np.diff(np.asarray(retriever.scores["indptr"])).astype(np.int64)
        self._avgdl = max(1.0, float(np.mean([len(c) for c in corpus])))
        self.merges += 1

    def upsert(self, passages: Mapping[int, Sequence[str]]) -> None:
        """Add or replace passages; they are searchable as soon as this returns."""
        for pid, toks in passages.items():
            self._mask(pid)
            self._tokens[pid] = tuple(toks)
            self._delta[pid] = Counter(toks)
        self._maybe_merge()

    def remove(self, ids: Iterable[int]) -> None:
        """Remove passages by id (unknown ids are ignored)."""
        for pid in ids:
            self._mask(pid)
            self._tokens.pop(pid, None)
        self._maybe_merge()

    def _mask(self, pid: int) -> None:
        """Hide a passage's old version, wherever it lives."""
        self._delta.pop(pid, None)
        pos = self._main_pos.pop(pid, None)
        if pos is not None:
            self._alive[pos] = 0.0

    def _maybe_merge(self) -> None:
        """Merge the delta and removals into the main index once they are no longer small."""
        dead = len(self._main_ids) - len(self._main_pos)
        if len(self._delta) + dead > max(MERGE_MIN, MERGE_FRACTION * len(self._main_ids)):
            self._rebuild()

    def scores(self, query_tokens: Sequence[str]) -> KeywordScores:
        """BM25 scores of the live passages for a query's tokens."""
        query_tokens = list(dict.fromkeys(query_tokens))
        raw: NDArray[np.float32] | None = None
        if self._main is not None and query_tokens:
            token_ids = self._main.get_tokens_ids(query_tokens)
            if token_ids:
                raw = self._main.get_scores_from_ids(token_ids) * self._alive
        delta = self._delta_scores(query_tokens) if self._delta and query_tokens else {}
        return KeywordScores(raw, self._main_ids, self._main_pos, delta)

    def _idf(self, token: str) -> float:
        """Lucene IDF of a token, from the main index's statistics."""
        n = max(1, len(self._main_ids))
        token_id = self._main.vocab_dict.get(token) if self._main is not None else None
        df = int(self._df[token_id]) if token_id is not None and token_id < len(self._df) else 0
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _delta_scores(self, query_tokens: Sequence[str]) -> dict[int, float]:
        """Score delta passages with the same formula and statistics as bm25s's Lucene BM25."""
        idf = {t: self._idf(t) for t in set(query_tokens)}
        found: dict[int, float] = {}
        for pid, counts in self._delta.items():
            length = sum(counts.values())
            norm = self.k1 * (1 - self.b + self.b * length / self._avgdl)
            score = sum(idf[t] * counts[t] / (norm + counts[t]) for t in idf if counts[t])
            if score > 0:
                found[pid] = score
        return found

    @property
    def vocabulary(self) -> set[str]:
        """Every token in the index (main and delta)."""
        vocab = set(self._main.vocab_dict) if self._main is not None else set()
        for counts in self._delta.values():
            vocab.update(counts)
        return vocab


class KeywordScores:
    """The BM25 scores of one query: look up a passage, or take the best ``k``."""

    def __init__(
        self,
        raw: NDArray[np.float32] | None,
        main_ids: NDArray[np.int64],
        main_pos: Mapping[int, int],
        delta: dict[int, float],
    ) -> None:
        """Wrap the main index's score array and the delta's scores."""
        self._raw, self._ids, self._pos, self._delta = raw, main_ids, main_pos, delta

    def get(self, pid: int) -> float:
        """The score of one passage (0 when it does not match)."""
        if pid in self._delta:
            return self._delta[pid]
        pos = self._pos.get(pid)
        return float(self._raw[pos]) if self._raw is not None and pos is not None else 0.0

    def top(self, k: int) -> list[tuple[int, float]]:
        """The ``k`` best-scoring passages with a score above zero, best first."""
        found: list[tuple[int, float]] = []
        if self._raw is not None and len(self._raw):
            k_main = min(k, len(self._raw))
            best = np.argpartition(-self._raw, k_main - 1)[:k_main]
            found = [(int(self._ids[i]), float(self._raw[i])) for i in best if self._raw[i] > 0]
        found.extend(self._delta.items())
        found.sort(key=lambda item: -item[1])
        return found[:k]
