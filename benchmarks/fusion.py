"""An offline replica of ``SearchEngine._rank`` for fast fusion experiments, plus alternative formulas.

Every query's evidence (the dense similarity of every passage, the BM25 score of every passage) is
computed once with kb's own public parts (``passages_for``, ``KeywordIndex``, ``SpellingCorrector``,
``tokens``, the embedder); a fusion formula then ranks documents in a few NumPy operations, so a
grid of hundreds of settings costs seconds. ``tune_fusion`` checks that the replica of the product
formula ranks exactly like ``SearchEngine.search``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks.datasets import Corpus, Query
from benchmarks.retrieval import K, speller_for
from kb.chunking import passages_for
from kb.documents import PassageKind
from kb.embeddings import Embedder
from kb.keyword_index import KeywordIndex
from kb.spelling import SpellingCorrector, changed_words
from kb.text import tokens

if TYPE_CHECKING:
    from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class CorpusMatrix:
    """A corpus as the engine splits it: passages in build order, grouped by document."""

    corpus: Corpus
    starts: NDArray[np.int64]
    doc_of: NDArray[np.int64]
    is_title: NDArray[np.bool_]
    thread_ids: tuple[str, ...]
    vectors: NDArray[np.float32]
    keyword: KeywordIndex
    speller: SpellingCorrector

    @property
    def passage_count(self) -> int:
        """How many passages the corpus has."""
        return len(self.doc_of)

    def doc_max(self, per_passage: NDArray[np.floating]) -> NDArray[np.floating]:
        """The best passage value of every document."""
        return np.maximum.reduceat(per_passage, self.starts)


def corpus_matrix(corpus: Corpus, embedder: Embedder) -> CorpusMatrix:
    """Split, embed and keyword-index a corpus exactly as ``SearchEngine.build`` does."""
    passages = [(i, p) for i, doc in enumerate(corpus.documents) for p in passages_for(doc)]
    doc_of = np.asarray([i for i, _ in passages], dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, doc_of[1:] != doc_of[:-1]]).astype(np.int64)
    keyword = KeywordIndex()
    keyword.build({pid: tuple(tokens(p.text)) for pid, (_, p) in enumerate(passages)})
    return CorpusMatrix(
        corpus=corpus,
        starts=starts,
        doc_of=doc_of,
        is_title=np.asarray([p.kind == PassageKind.TITLE for _, p in passages]),
        thread_ids=tuple(corpus.thread_of[d.key] for d in corpus.documents),
        vectors=embedder.embed([p.text for _, p in passages], batch_size=64),
        keyword=keyword,
        speller=speller_for(corpus),
    )


@dataclass(slots=True)
class Evidence:
    """One query against one corpus: dense similarity per passage and query form, BM25 per passage.

    ``dense[:, 0]`` is the query as typed, ``dense[:, 1]`` its spelling correction (equal when
    nothing was corrected); ``bm25`` uses the product's tokens (corrected + typed when they
    differ), ``bm25_corrected`` the corrected query's tokens only.
    """

    query: Query
    typo: bool
    dense: NDArray[np.float32]
    bm25: NDArray[np.float32]
    bm25_corrected: NDArray[np.float32]
    memo: dict[object, NDArray[Any]] = field(default_factory=dict, repr=False)


def _bm25(keyword: KeywordIndex, query_tokens: list[str], size: int) -> NDArray[np.float32]:
    """The BM25 score of every passage (zero where nothing matches)."""
    scores = np.zeros(size, dtype=np.float32)
    for pid, score in keyword.scores(query_tokens).top(size):
        scores[pid] = score
    return scores


def gather(matrix: CorpusMatrix, queries: Sequence[Query], embedder: Embedder) -> list[Evidence]:
    """Compute every query's evidence once (the slow part: spelling, embedding, BM25)."""
    texts = [" ".join(q.text.split()) for q in queries]
    corrected = [matrix.speller.correct(t) for t in texts]
    vectors = embedder.embed(texts + corrected)
    typed, fixed = vectors[: len(texts)], vectors[len(texts) :]
    found = []
    for i, query in enumerate(queries):
        typo = changed_words(texts[i], corrected[i])
        both = tokens(corrected[i]) + (tokens(texts[i]) if typo else [])
        dense = matrix.vectors @ np.stack([typed[i], fixed[i] if typo else typed[i]]).T
        found.append(
            Evidence(
                query=query,
                typo=typo,
                dense=dense.astype(np.float32),
                bm25=_bm25(matrix.keyword, both, matrix.passage_count),
                bm25_corrected=_bm25(matrix.keyword, tokens(corrected[i]), matrix.passage_count),
            )
        )
    return found


# -- the design space ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fusion:
    """One point of the fusion design space.

    ``kind`` names the formula (see :data:`FORMULAS`); ``weight`` is the keyword weight (the RRF
    constant for ``rrf``); ``extra`` is the formula's second knob; ``bm25_tokens`` is ``both``
    (the product: corrected + typed tokens) or ``corrected``.
    """

    kind: str = "product"
    weight: float = 0.1
    dense_k: int = 64
    keyword_k: int = 64
    extra: float = 0.0
    bm25_tokens: str = "both"

    def label(self) -> str:
        """A short name for tables."""
        more = f", x={self.extra:g}" if self.extra else ""
        toks = "" if self.bm25_tokens == "both" else ", corrected-only BM25"
        return f"{self.kind}(w={self.weight:g}{more}, k={self.dense_k}/{self.keyword_k}{toks})"


def _top(scores: NDArray[np.float32], k: int, *, positive: bool = False) -> NDArray[np.int64]:
    """Indices of the ``k`` best passages (only those scoring above zero when ``positive``)."""
    k = min(k, len(scores))
    if k < 1:
        return np.zeros(0, dtype=np.int64)
    best = np.argpartition(-scores, k - 1)[:k]
    return best[scores[best] > 0] if positive else best


def candidates(
    m: CorpusMatrix, ev: Evidence, bm25: NDArray[np.float32], dense_k: int, keyword_k: int
) -> NDArray[np.bool_]:
    """The documents the engine scores: owners of the top dense and the top BM25 passages."""
    key = (dense_k, keyword_k, bm25 is ev.bm25)
    if key not in ev.memo:
        mask = np.zeros(len(m.starts), dtype=bool)
        for r in range(2 if ev.typo else 1):
            mask[m.doc_of[_top(ev.dense[:, r], dense_k)]] = True
        mask[m.doc_of[_top(bm25, keyword_k, positive=True)]] = True
        ev.memo[key] = mask
    return ev.memo[key]


def _relative(kw: NDArray[np.floating], cand: NDArray[np.bool_]) -> NDArray[np.float64]:
    """BM25 divided by the best BM25 among the candidates (the product's normalisation)."""
    best = float(kw[cand].max(initial=0.0))
    return (kw / best if best > 0 else kw).astype(np.float64)


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a fusion formula sees for one query: the evidence and the candidate documents."""

    m: CorpusMatrix
    ev: Evidence
    cand: NDArray[np.bool_]
    bm25: NDArray[np.float32]

    @property
    def dense(self) -> NDArray[np.float64]:
        """Per document, the best dense similarity over passages and query forms (as the engine)."""
        return dense_scores(self.m, self.ev)

    @property
    def kw(self) -> NDArray[np.float64]:
        """Per document, the best passage BM25."""
        key = ("kw", self.bm25 is self.ev.bm25)
        if key not in self.ev.memo:
            self.ev.memo[key] = self.m.doc_max(self.bm25).astype(np.float64)
        return self.ev.memo[key]


def dense_scores(m: CorpusMatrix, ev: Evidence) -> NDArray[np.float64]:
    """Per document, the best dense similarity over passages and query forms (as the engine)."""
    if "dense" not in ev.memo:
        ev.memo["dense"] = m.doc_max(ev.dense.max(axis=1)).astype(np.float64)
    return ev.memo["dense"]


def score_product(x: Inputs, f: Fusion) -> NDArray[np.float64]:
    """The product: max dense + w · max BM25 / best BM25 among the candidates."""
    return x.dense + f.weight * _relative(x.kw, x.cand)


def score_zscore(x: Inputs, f: Fusion) -> NDArray[np.float64]:
    """Dense + w · z-score of the document's BM25 among the candidates."""
    kw = x.kw
    spread = kw[x.cand].std()
    z = (kw - kw[x.cand].mean()) / spread if spread > 0 else np.zeros_like(kw)
    return x.dense + f.weight * z


def score_saturate(x: Inputs, f: Fusion) -> NDArray[np.float64]:
    """Dense + w · s / (s + extra): BM25 squashed on an absolute scale, not relative to the best."""
    kw = x.kw
    return x.dense + f.weight * kw / (kw + f.extra)


def score_rrf(x: Inputs, f: Fusion) -> NDArray[np.float64]:
    """Reciprocal-rank fusion of the dense and BM25 document rankings (constant ``weight``)."""
    found = np.zeros(len(x.cand))
    for values in (x.dense, x.kw):
        order = np.argsort(-np.where(x.cand, values, -np.inf), kind="stable")
        ranks = np.empty(len(order))
        ranks[order] = np.arange(1, len(order) + 1)
        found += 1.0 / (f.weight + ranks)
    return found


def score_gate(x: Inputs, f: Fusion) -> NDArray[np.float64]:
    """Dense alone when its top-2 gap is at least ``extra``; the product formula otherwise."""
    dense = x.dense
    top2 = np.sort(dense[x.cand])[-2:]
    if len(top2) == 2 and top2[1] - top2[0] >= f.extra:
        return dense
    return dense + f.weight * _relative(x.kw, x.cand)


def score_passage(x: Inputs, f: Fusion) -> NDArray[np.float64]:
    """Fuse per passage (dense + w · BM25 / best), then take each document's best passage."""
    best = float(x.kw[x.cand].max(initial=0.0))
    norm = x.bm25 / best if best > 0 else x.bm25
    fused = x.ev.dense.max(axis=1).astype(np.float64) + f.weight * norm
    return np.asarray(x.m.doc_max(fused), dtype=np.float64)


def score_kinds(x: Inputs, f: Fusion) -> NDArray[np.float64]:
    """The product formula with body passages' BM25 weighted ``extra`` relative to the title's."""
    weighted = x.bm25 * np.where(x.m.is_title, 1.0, f.extra)
    return x.dense + f.weight * _relative(x.m.doc_max(weighted), x.cand)


def score_second(x: Inputs, f: Fusion) -> NDArray[np.float64]:
    """The product formula plus ``extra`` · the document's second-best dense passage."""
    dense = x.ev.dense.max(axis=1)
    starts = x.m.starts
    ends = np.r_[starts[1:], len(dense)]
    best_at = starts + np.asarray(
        [int(np.argmax(dense[a:b])) for a, b in zip(starts, ends, strict=True)]
    )
    rest = dense.copy()
    rest[best_at] = -np.inf
    second = np.where(ends - starts == 1, x.m.doc_max(dense), x.m.doc_max(rest))
    return score_product(x, f) + f.extra * second.astype(np.float64)


Scorer = Callable[[Inputs, Fusion], "NDArray[np.float64]"]

FORMULAS: dict[str, Scorer] = {
    "product": score_product,
    "zscore": score_zscore,
    "saturate": score_saturate,
    "rrf": score_rrf,
    "gate": score_gate,
    "passage": score_passage,
    "kinds": score_kinds,
    "second": score_second,
}


def rank_of_thread(
    m: CorpusMatrix, ev: Evidence, fusion: Fusion, *, dense_only: bool = False
) -> int | None:
    """The 1-based rank of the first document of the query's thread in the top ``K``, if any."""
    bm25 = ev.bm25 if fusion.bm25_tokens == "both" else ev.bm25_corrected
    if dense_only:
        cand = candidates(m, ev, bm25, fusion.dense_k, 0)
        scores = dense_scores(m, ev)
    else:
        cand = candidates(m, ev, bm25, fusion.dense_k, fusion.keyword_k)
        scores = FORMULAS[fusion.kind](Inputs(m, ev, cand, bm25), fusion)
    pool = np.flatnonzero(cand)
    # Highest score first, ties by document key (documents are in key order), like the engine.
    top = pool[np.lexsort((pool, -scores[pool]))][:K]
    for rank, doc in enumerate(top.tolist(), start=1):
        if m.thread_ids[doc] == ev.query.thread_id:
            return rank
    return None
