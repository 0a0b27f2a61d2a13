"""Hybrid search: dense (FAISS) and keyword (BM25) retrieval fused at the document level."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from kb.chunking import passages_for
from kb.confidence import ConfidenceModel
from kb.documents import Passage, PassageKind, SearchDocument
from kb.keyword_index import KeywordIndex, KeywordScores
from kb.results import Related, SearchFilters, SearchHit, SearchResult
from kb.snippets import make_snippet
from kb.spelling import SpellingCorrector, changed_words
from kb.text import tokens, words
from kb.vector_index import VectorIndex

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from kb.embeddings import Embedder

MAX_QUERY_CHARS = 500
_CONTENT = frozenset({PassageKind.BODY, PassageKind.ANSWER})


class Mode(StrEnum):
    """Which retrievers rank the results."""

    HYBRID = "hybrid"
    DENSE = "dense"
    KEYWORD = "keyword"


@dataclass(frozen=True, slots=True)
class RankingParams:
    """How dense and keyword evidence combine (tuned on training folds; see docs/search.md).

    ``fused = dense + keyword_weight · bm25 / max_bm25`` over each document's best passages, where
    ``max_bm25`` is the best keyword score among the candidates of the query. ``keyword_weight``
    is the best mean MRR@10 on StackFAQ's training folds (0–2) over the thread and QA-pair levels,
    with and without typos (``benchmarks/tune_fusion.py``); candidate counts from 8 to 128 rank alike.
    """

    keyword_weight: float = 0.09
    dense_candidates: int = 64
    keyword_candidates: int = 64


@dataclass(slots=True)
class EngineState:
    """Everything a persisted index holds."""

    documents: list[SearchDocument]
    passages: list[tuple[int, Passage]]
    vectors: NDArray[np.float32]
    vector_index: VectorIndex | None


@dataclass(frozen=True, slots=True)
class _Row:
    """One ranked document: its scores and where its passages sit in the ranking's arrays."""

    key: str
    fused: float
    dense: float
    keyword: float
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Ranking:
    """Ranked rows plus the per-passage scores needed to pick each shown passage."""

    rows: list[_Row]
    pids: NDArray[np.int64]
    per_passage: NDArray[np.float32]


class QueryError(ValueError):
    """The query cannot be searched (empty or too long)."""


class SearchEngine:
    """An in-memory hybrid index of documents; thread-safe; add, replace and remove at any time."""

    def __init__(
        self,
        embedder: Embedder,
        *,
        params: RankingParams | None = None,
        confidence: ConfidenceModel | None = None,
        batch_size: int = 64,
    ) -> None:
        """An empty engine that embeds with ``embedder``."""
        self.embedder = embedder
        self.params = params or RankingParams()
        self.confidence_model = confidence or ConfidenceModel()
        self.batch_size = batch_size
        self._lock = threading.RLock()
        self._docs: dict[str, SearchDocument] = {}
        self._doc_passages: dict[str, list[int]] = {}
        self._passages: dict[int, Passage] = {}
        self._vectors: NDArray[np.float32] = np.zeros((0, 0), dtype=np.float32)
        self._next_id = 0
        self._vector_index: VectorIndex | None = None
        self._keyword = KeywordIndex()
        self._speller = SpellingCorrector()

    # -- building and updating -------------------------------------------------------------

    def __len__(self) -> int:
        """The number of documents indexed."""
        return len(self._docs)

    @property
    def passage_count(self) -> int:
        """The number of passages indexed."""
        return len(self._passages)

    @property
    def index_kind(self) -> str:
        """The FAISS index type in use (``flat`` or ``ivf-sq8``)."""
        return self._vector_index.kind if self._vector_index else "flat"

    def documents(self) -> list[SearchDocument]:
        """Every indexed document."""
        with self._lock:
            return list(self._docs.values())

    def get(self, key: str) -> SearchDocument | None:
        """The indexed document with this key, if any."""
        return self._docs.get(key)

    def build(self, documents: Iterable[SearchDocument], *, progress: bool = False) -> None:
        """Replace the whole index with these documents."""
        docs = {d.key: d for d in documents}
        split = [(key, p) for key, doc in docs.items() for p in passages_for(doc)]
        texts = [p.text for _, p in split]
        vectors = self._embed(texts, progress=progress)
        with self._lock:
            self._docs = docs
            self._doc_passages = {key: [] for key in docs}
            self._passages = {}
            for pid, (key, passage) in enumerate(split):
                self._passages[pid] = _with_tokens(passage)
                self._doc_passages[key].append(pid)
            self._next_id = len(split)
            self._vectors = vectors
            ids = np.arange(len(split), dtype=np.int64)
            self._vector_index = VectorIndex.build(ids, vectors) if split else None
            self._keyword.build({pid: p.tokens for pid, p in self._passages.items()})
            self._speller = SpellingCorrector()
            self._speller.add(w for p in self._passages.values() for w in words(p.text))

    def upsert(self, documents: Sequence[SearchDocument]) -> None:
        """Add or replace documents; searchable as soon as this returns.

        Only new or changed passage text is embedded: a passage whose text the document already
        had keeps its vector (a confirmed phrasing re-embeds one short passage, not the article).
        """
        if not documents:
            return
        split = [(d.key, p) for d in documents for p in passages_for(d)]
        vectors = self._passage_vectors(split)
        with self._lock:
            self._remove_locked([d.key for d in documents])
            ids = np.arange(self._next_id, self._next_id + len(split), dtype=np.int64)
            self._next_id += len(split)
            self._store_vectors(ids, vectors)
            added: dict[int, tuple[str, ...]] = {}
            for doc in documents:
                self._docs[doc.key] = doc
                self._doc_passages[doc.key] = []
            for pid, (key, passage) in zip(ids.tolist(), split, strict=True):
                stored = _with_tokens(passage)
                self._passages[pid] = stored
                self._doc_passages[key].append(pid)
                added[pid] = stored.tokens
            if self._vector_index is None:
                self._vector_index = VectorIndex(vectors.shape[1])
            self._vector_index.add(ids, vectors)
            self._keyword.upsert(added)
            self._speller.add(w for _, p in split for w in words(p.text))

    def remove(self, keys: Iterable[str]) -> None:
        """Remove documents by key (unknown keys are ignored)."""
        with self._lock:
            self._remove_locked(list(keys))

    def _remove_locked(self, keys: list[str]) -> None:
        """Drop documents and their passages from every structure (caller holds the lock)."""
        ids = [pid for key in keys for pid in self._doc_passages.pop(key, [])]
        for key in keys:
            self._docs.pop(key, None)
        for pid in ids:
            self._passages.pop(pid, None)
        if ids and self._vector_index is not None:
            self._vector_index.remove(np.asarray(ids, dtype=np.int64))
        self._keyword.remove(ids)

    def _store_vectors(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        """Keep each passage's vector by id (rows grow geometrically)."""
        needed = int(ids.max()) + 1
        if self._vectors.shape[0] < needed or self._vectors.shape[1] != vectors.shape[1]:
            grown = np.zeros(
                (max(needed, 2 * self._vectors.shape[0]), vectors.shape[1]), np.float32
            )
            if self._vectors.shape[1] == vectors.shape[1]:
                grown[: self._vectors.shape[0]] = self._vectors
            self._vectors = grown
        self._vectors[ids] = vectors

    def _passage_vectors(self, split: Sequence[tuple[str, Passage]]) -> NDArray[np.float32]:
        """Vectors for ``(doc key, passage)`` pairs, reusing those the documents' unchanged
        passages already have in the index and embedding the rest."""
        with self._lock:
            known = {
                self._passages[pid].text: self._vectors[pid].copy()
                for key in dict.fromkeys(key for key, _ in split)
                for pid in self._doc_passages.get(key, [])
            }
        missing = list(dict.fromkeys(p.text for _, p in split if p.text not in known))
        known.update(zip(missing, self._embed(missing), strict=True))
        if not split:
            return self._embed([])
        return np.stack([known[p.text] for _, p in split]).astype(np.float32, copy=False)

    def _embed(self, texts: Sequence[str], *, progress: bool = False) -> NDArray[np.float32]:
        """Embed passage texts in batches."""
        if not texts:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        return self.embedder.embed(texts, batch_size=self.batch_size, progress=progress)

    def export_state(self) -> EngineState:
        """A consistent copy of what is needed to persist the index."""
        with self._lock:
            pids = sorted(self._passages)
            return EngineState(
                documents=list(self._docs.values()),
                passages=[(pid, self._passages[pid]) for pid in pids],
                vectors=self._vectors[pids] if pids else np.zeros((0, 0), np.float32),
                vector_index=self._vector_index.copy() if self._vector_index else None,
            )

    def restore(self, state: EngineState) -> None:
        """Load a persisted state (passage ids are renumbered by position, as when saved)."""
        with self._lock:
            self._docs = {d.key: d for d in state.documents}
            self._doc_passages = {key: [] for key in self._docs}
            self._passages = {}
            for pid, passage in state.passages:
                self._passages[pid] = passage
                self._doc_passages[passage.doc_key].append(pid)
            self._next_id = max((pid for pid, _ in state.passages), default=-1) + 1
            self._vectors = np.zeros((0, 0), np.float32)
            if state.passages:
                ids = np.asarray([pid for pid, _ in state.passages], dtype=np.int64)
                self._store_vectors(ids, state.vectors)
            self._vector_index = state.vector_index
            self._keyword.build({pid: p.tokens for pid, p in self._passages.items()})
            self._speller = SpellingCorrector()
            self._speller.add(w for p in self._passages.values() for w in words(p.text))

    # -- searching -------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        filters: SearchFilters | None = None,
        mode: Mode = Mode.HYBRID,
    ) -> SearchResult:
        """Rank documents for a query; the confidence speaks of the top hit among those the filters allow."""
        text = " ".join(query.split())
        if not text:
            raise QueryError("The search query is empty.")
        if len(text) > MAX_QUERY_CHARS:
            raise QueryError(f"The search query is too long ({len(text)} > {MAX_QUERY_CHARS}).")
        if limit < 1 or offset < 0:
            raise ValueError(f"limit must be ≥ 1 and offset ≥ 0, got {limit} and {offset}")
        filters = filters or SearchFilters()
        with self._lock:
            corrected = self._speller.correct(text)
        typo = changed_words(text, corrected)
        queries = [text, corrected] if typo else [text]
        query_vectors = (
            self.embedder.embed(queries) if mode != Mode.KEYWORD else np.zeros((0, 0), np.float32)
        )
        query_tokens = tokens(corrected) + (tokens(text) if typo else [])
        with self._lock:
            keyword = self._keyword.scores(query_tokens) if mode != Mode.DENSE else None
            ranking = self._rank(query_vectors, keyword, mode, filters)
            ranked = ranking.rows
            hits = [
                self._hit(row, self._shown(ranking, row), query_tokens)
                for row in ranked[offset : offset + limit]
            ]
        confidence = 0.0  # keyword-only mode has no calibrated confidence: it never answers
        if ranked and mode != Mode.KEYWORD:
            runner_up = ranked[1].fused if len(ranked) > 1 else 0.0
            confidence = self.confidence_model.confidence(
                ranked[0].dense, ranked[0].fused - runner_up
            )
        return SearchResult(
            query=text,
            hits=hits,
            confidence=confidence,
            corrected_query=corrected if typo else None,
            total=len(ranked),
        )

    def related(
        self, key: str, *, limit: int = 5, filters: SearchFilters | None = None
    ) -> list[Related]:
        """Documents nearest in meaning to the document ``key`` (never itself), best first.

        The document is represented by the normalised mean of its passage vectors; another
        document scores the best inner product of any of its passages with it. Candidates come
        from the vector index and are re-scored exactly from the stored vectors. Unknown keys
        give an empty list.
        """
        if limit < 1:
            raise ValueError(f"limit must be ≥ 1, got {limit}")
        filters = filters or SearchFilters()
        with self._lock:
            own = self._doc_passages.get(key)
            if not own or self._vector_index is None:
                return []
            centre = self._vectors[own].mean(axis=0)
            norm = float(np.linalg.norm(centre))
            if norm == 0.0:
                return []
            query = (centre / norm).astype(np.float32)[None, :]
            total = len(self._vector_index)
            wanted = min(total, max(self.params.dense_candidates, 8 * limit))
            while True:
                _, found = self._vector_index.search(query, wanted)
                keys: dict[str, None] = {}  # candidate documents, in order of first passage
                for pid in found[0].tolist():
                    passage = self._passages.get(pid)
                    if passage is None or passage.doc_key == key or passage.doc_key in keys:
                        continue
                    if _allowed(self._docs[passage.doc_key], filters):
                        keys[passage.doc_key] = None
                if len(keys) >= limit or wanted >= total:
                    break
                wanted = min(total, wanted * 4)
            scored = [
                (float((self._vectors[self._doc_passages[k]] @ query[0]).max()), k) for k in keys
            ]
            scored.sort(key=lambda item: (-item[0], item[1]))
            docs = [(self._docs[k], score) for score, k in scored[:limit]]
        return [Related(d.key, d.ref, d.title, d.source, d.category, s) for d, s in docs]

    def _rank(
        self,
        query_vectors: NDArray[np.float32],
        keyword: KeywordScores | None,
        mode: Mode,
        filters: SearchFilters,
    ) -> _Ranking:
        """Score every candidate document the filters allow, best first."""
        candidates: set[str] = set()
        if len(query_vectors) and self._vector_index is not None and len(self._vector_index):
            _, found = self._vector_index.search(query_vectors, self.params.dense_candidates)
            candidates.update(
                self._passages[pid].doc_key
                for pid in found.ravel().tolist()
                if pid in self._passages
            )
        if keyword is not None:
            candidates.update(
                self._passages[pid].doc_key
                for pid, _ in keyword.top(self.params.keyword_candidates)
                if pid in self._passages
            )
        keys = sorted(k for k in candidates if _allowed(self._docs[k], filters))
        if not keys:
            return _Ranking([], np.zeros(0, np.int64), np.zeros(0, np.float32))
        groups = [self._doc_passages[k] for k in keys]
        sizes = np.fromiter(map(len, groups), dtype=np.int64, count=len(groups))
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        pids = np.fromiter((p for g in groups for p in g), dtype=np.int64, count=int(sizes.sum()))
        if len(query_vectors):
            dense = (self._vectors[pids] @ query_vectors.T).max(axis=1)
        else:
            dense = np.zeros(len(pids), np.float32)
        if keyword is not None:
            kw = np.fromiter((keyword.get(int(p)) for p in pids), np.float32, count=len(pids))
        else:
            kw = np.zeros(len(pids), np.float32)
        best_kw = float(kw.max())
        norm_kw = kw / best_kw if best_kw > 0 else kw
        weight = self.params.keyword_weight
        if mode == Mode.DENSE:
            per_passage = dense
        elif mode == Mode.KEYWORD:
            per_passage = norm_kw
        else:
            per_passage = dense + weight * norm_kw
        dense_doc = np.maximum.reduceat(dense, starts)
        kw_doc = np.maximum.reduceat(kw, starts)
        if mode == Mode.HYBRID:
            fused = dense_doc + weight * (kw_doc / best_kw if best_kw > 0 else kw_doc)
        else:
            fused = np.maximum.reduceat(per_passage, starts)
        order = sorted(range(len(keys)), key=lambda i: (-float(fused[i]), keys[i]))
        rows = [
            _Row(
                keys[i],
                float(fused[i]),
                float(dense_doc[i]),
                float(kw_doc[i]),
                int(starts[i]),
                int(starts[i] + sizes[i]),
            )
            for i in order
        ]
        return _Ranking(rows, pids, per_passage.astype(np.float32))

    def _shown(self, ranking: _Ranking, row: _Row) -> int:
        """The passage to show as the snippet: the best one with content, not a title or phrasing."""
        pids = ranking.pids[row.start : row.end]
        order = np.argsort(-ranking.per_passage[row.start : row.end], kind="stable")
        for index in map(int, order):
            if self._passages[int(pids[index])].kind in _CONTENT:
                return int(pids[index])
        return int(pids[int(order[0])])

    def _hit(self, row: _Row, pid: int, query_tokens: list[str]) -> SearchHit:
        """Build the public hit for a ranked document."""
        key = row.key
        doc = self._docs[key]
        passage = self._passages[pid]
        snippet, spans = make_snippet(passage.display, set(query_tokens))
        return SearchHit(
            key=key,
            ref=doc.ref,
            title=doc.title,
            source=doc.source,
            category=doc.category,
            status=doc.status,
            score=row.fused,
            dense_score=row.dense,
            keyword_score=row.keyword,
            snippet=snippet,
            highlights=spans,
            passage_kind=passage.kind,
            heading=passage.heading,
        )


def _with_tokens(passage: Passage) -> Passage:
    """The passage with its keyword tokens computed."""
    return Passage(
        passage.doc_key,
        passage.kind,
        passage.text,
        passage.display,
        passage.heading,
        tuple(tokens(passage.text)),
    )


def _allowed(doc: SearchDocument, filters: SearchFilters) -> bool:
    """Whether the filters let this document through."""
    if not doc.public and not filters.include_private:
        return False
    if doc.status not in filters.statuses:
        return False
    if filters.categories is not None and doc.category not in filters.categories:
        return False
    return filters.sources is None or doc.source in filters.sources
