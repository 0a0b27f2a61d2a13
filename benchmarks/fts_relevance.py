"""Relevance of PostgreSQL full-text search next to Tier0's hybrid search, on StackFAQ.

The same corpora and held-out queries as ``benchmarks/quality.py`` (folds 3–4; nothing here is
tuned): each corpus is loaded into a PostgreSQL table (question as title, answer as body) and
queried three ways (see ``benchmarks/pg_fts.py``); Tier0's figures come from its product search
engine over the same documents. Also counted: how often a search returns nothing at all.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from benchmarks import pg_fts
from benchmarks.datasets import HELD_OUT_FOLDS, Corpus
from benchmarks.pg_fts import FtsDocument, Variant
from benchmarks.retrieval import (
    BenchmarkSet,
    build_engine,
    scores,
    shared_embedder,
    stackfaq_sets,
    warm,
)
from kb.search import Mode

K = 10


@dataclass(frozen=True, slots=True)
class Relevance:
    """A retriever's scores on one set: MRR@10, R@1, R@5 and the share of empty result lists."""

    mrr: float
    recall_1: float
    recall_5: float
    zero_results: float
    queries: int

    def as_dict(self) -> dict[str, float]:
        """Plain numbers for the JSON results."""
        return {
            "mrr@10": self.mrr,
            "recall@1": self.recall_1,
            "recall@5": self.recall_5,
            "zero_results": self.zero_results,
            "queries": self.queries,
        }


def relevance(ranks: Sequence[int | None], empty: Sequence[bool]) -> Relevance:
    """Scores from first-relevant ranks (None: not in the top 10) and which searches found nothing."""
    found = scores(ranks)
    return Relevance(
        mrr=found["mrr@10"],
        recall_1=found["recall@1"],
        recall_5=found["recall@5"],
        zero_results=sum(empty) / max(1, len(empty)),
        queries=len(ranks),
    )


def first_rank(keys: Sequence[str], corpus: Corpus, thread_id: str) -> int | None:
    """The 1-based rank of the first result answering the query's thread, if any."""
    for position, key in enumerate(keys[:K], start=1):
        if corpus.thread_of[key] == thread_id:
            return position
    return None


def held_out_sets(*, quick: bool) -> list[BenchmarkSet]:
    """The quality benchmark's sets restricted to the held-out folds (quick: thread level, 1 in 4)."""
    found = []
    for bench in stackfaq_sets(quick=quick):
        if quick and not bench.name.startswith("thread"):
            continue
        held = tuple(q for q in bench.queries if q.fold in HELD_OUT_FOLDS)
        found.append(BenchmarkSet(bench.name, bench.corpus, held))
    return found


def _fts_documents(corpus: Corpus) -> list[FtsDocument]:
    """The corpus as table rows (StackFAQ has no summaries)."""
    return [FtsDocument(key=d.key, title=d.title, body=d.body) for d in corpus.documents]


def pg_relevance(
    conn: psycopg.Connection[Any], schema: str, sets: Sequence[BenchmarkSet]
) -> dict[str, dict[str, Relevance]]:
    """Each PostgreSQL variant's scores on each set, one table per corpus in ``schema``."""
    tables: dict[str, str] = {}
    results: dict[str, dict[str, Relevance]] = {}
    for bench in sets:
        table = tables.get(bench.corpus.name)
        if table is None:
            table = tables[bench.corpus.name] = f"{schema}.stackfaq_{bench.corpus.name}"
            pg_fts.create_table(conn, table, _fts_documents(bench.corpus))
        results[bench.name] = {}
        for variant in Variant:
            keys = pg_fts.search_many(conn, table, [q.text for q in bench.queries], variant=variant)
            ranks = [
                first_rank(k, bench.corpus, q.thread_id)
                for k, q in zip(keys, bench.queries, strict=True)
            ]
            results[bench.name][variant.value] = relevance(ranks, [not k for k in keys])
    return results


def tier0_relevance(sets: Sequence[BenchmarkSet]) -> tuple[dict[str, Relevance], float]:
    """Tier0's hybrid search on each set (vectors cached in ``results/`` between runs), and seconds."""
    started = time.perf_counter()
    embedder = shared_embedder()
    engines = {}
    for bench in sets:
        if bench.corpus.name not in engines:
            engines[bench.corpus.name] = build_engine(bench.corpus, embedder)
    warm(embedder, sets)
    embedder.save()
    results = {}
    for bench in sets:
        engine = engines[bench.corpus.name]
        keys = [
            [h.key for h in engine.search(q.text, limit=K, mode=Mode.HYBRID).hits]
            for q in bench.queries
        ]
        ranks = [
            first_rank(k, bench.corpus, q.thread_id)
            for k, q in zip(keys, bench.queries, strict=True)
        ]
        results[bench.name] = relevance(ranks, [not k for k in keys])
    return results, time.perf_counter() - started


def demo_zero_results(
    conn: psycopg.Connection[Any], table: str, queries: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, float]]:
    """Per query kind (question, misspelled, prefix), the share each variant answers with nothing."""
    return {
        variant.value: {
            kind: sum(not keys for keys in pg_fts.search_many(conn, table, texts, variant=variant))
            / max(1, len(texts))
            for kind, texts in queries.items()
        }
        for variant in Variant
    }
