"""Shared retrieval-benchmark plumbing: a caching embedder, StackFAQ engines, rank metrics, machine."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks.datasets import (
    HELD_OUT_FOLDS,
    TRAIN_FOLDS,
    Corpus,
    Query,
    load_stackfaq,
    pair_corpus,
    thread_corpus,
    with_typos,
)
from kb.chunking import passages_for
from kb.embeddings import Embedder, SentenceTransformerEmbedder
from kb.search import Mode, SearchEngine
from kb.spelling import SpellingCorrector
from kb.text import words

if TYPE_CHECKING:
    from numpy.typing import NDArray

RESULTS_DIR = Path(__file__).resolve().parent / "results"
K = 10
SPLITS = {"held_out": HELD_OUT_FOLDS, "all": frozenset(range(5)), "train": TRAIN_FOLDS}
SET_NAMES = ("thread", "thread+typos", "pair", "pair+typos")


class CachedEmbedder:
    """Wraps an embedder so each distinct text is embedded once (and kept on disk between runs)."""

    def __init__(self, inner: Embedder, *, cache_file: Path | None = None) -> None:
        """Remember the inner embedder; load the vectors an earlier run saved, if any."""
        self.inner = inner
        self.cache_file = cache_file
        self._vectors: dict[str, NDArray[np.float32]] = {}
        self.computed = 0
        self._saved = 0
        if cache_file is not None and cache_file.is_file():
            with np.load(cache_file, allow_pickle=False) as saved:
                if str(saved["model"]) == inner.name:
                    texts = saved["texts"].tolist()
                    self._vectors = dict(zip(texts, saved["vectors"], strict=True))

    @property
    def name(self) -> str:
        """The inner model's name."""
        return self.inner.name

    @property
    def dimension(self) -> int:
        """The inner model's dimension."""
        return self.inner.dimension

    def embed(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False
    ) -> NDArray[np.float32]:
        """Vectors for the texts; only texts never seen before reach the model."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            fresh = self.inner.embed(missing, batch_size=batch_size, progress=progress)
            self._vectors.update(zip(missing, fresh, strict=True))
            self.computed += len(missing)
        if not texts:
            return np.zeros((0, self.dimension), np.float32)
        return np.stack([self._vectors[t] for t in texts]).astype(np.float32, copy=False)

    def save(self) -> None:
        """Write every vector to the cache file (in the git-ignored results folder) if any is new."""
        if self.cache_file is None or self.computed == self._saved:
            return
        self._saved = self.computed
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        texts = list(self._vectors)
        np.savez(
            self.cache_file,
            model=np.asarray(self.inner.name),
            texts=np.asarray(texts),
            vectors=np.stack([self._vectors[t] for t in texts]),
        )


@lru_cache(maxsize=1)
def shared_embedder() -> CachedEmbedder:
    """The product's default model behind a process-wide cache (disk copy in ``results/``)."""
    inner = SentenceTransformerEmbedder()
    cache = None if os.environ.get("TIER0_BENCH_NO_CACHE") else RESULTS_DIR / "vectors.npz"
    return CachedEmbedder(inner, cache_file=cache)


@dataclass(frozen=True, slots=True)
class BenchmarkSet:
    """A corpus and the queries run against it."""

    name: str
    corpus: Corpus
    queries: tuple[Query, ...]


def stackfaq_sets(*, quick: bool = False) -> list[BenchmarkSet]:
    """The four StackFAQ sets: thread / QA-pair level × clean / typo queries (quick: every 4th)."""
    data = load_stackfaq()
    clean = data.queries[::4] if quick else data.queries
    typos = with_typos(clean)
    found = []
    for corpus in (thread_corpus(data), pair_corpus(data)):
        found.append(BenchmarkSet(corpus.name, corpus, clean))
        found.append(BenchmarkSet(f"{corpus.name}+typos", corpus, typos))
    return found


def speller_for(corpus: Corpus) -> SpellingCorrector:
    """A spelling corrector that knows the words the engine learns from this corpus."""
    speller = SpellingCorrector()
    speller.add(w for d in corpus.documents for p in passages_for(d) for w in words(p.text))
    return speller


def warm(embedder: Embedder, sets: Sequence[BenchmarkSet]) -> None:
    """Embed every query and its spelling correction in batches, before the searches ask one by one."""
    texts: list[str] = []
    spellers: dict[str, SpellingCorrector] = {}
    for bench in sets:
        speller = spellers.setdefault(bench.corpus.name, speller_for(bench.corpus))
        for q in bench.queries:
            text = " ".join(q.text.split())
            texts += [text, speller.correct(text)]
    embedder.embed(list(dict.fromkeys(texts)))


def build_engine(corpus: Corpus, embedder: Embedder) -> SearchEngine:
    """A product search engine over the corpus, with the product's default ranking."""
    engine = SearchEngine(embedder)
    engine.build(corpus.documents)
    return engine


def first_ranks(
    engine: SearchEngine, bench: BenchmarkSet, mode: Mode, *, k: int = K
) -> list[int | None]:
    """For each query, the 1-based rank of the first document of its thread in the top k."""
    found: list[int | None] = []
    for q in bench.queries:
        hits = engine.search(q.text, limit=k, mode=mode).hits
        threads = [bench.corpus.thread_of[h.key] for h in hits]
        found.append(threads.index(q.thread_id) + 1 if q.thread_id in threads else None)
    return found


def scores(ranks: Sequence[int | None]) -> dict[str, float]:
    """MRR@10, Recall@1 and Recall@5 (share of queries with a right document in the top 1 / 5)."""
    n = max(1, len(ranks))
    return {
        "mrr@10": sum(1 / r for r in ranks if r) / n,
        "recall@1": sum(1 for r in ranks if r == 1) / n,
        "recall@5": sum(1 for r in ranks if r and r <= 5) / n,
        "queries": len(ranks),
    }


def by_folds(
    queries: Sequence[Query], ranks: Sequence[int | None], folds: frozenset[int]
) -> list[int | None]:
    """The ranks of the queries in the given folds."""
    return [r for q, r in zip(queries, ranks, strict=True) if q.fold in folds]


def machine() -> dict[str, Any]:
    """Where the figures were measured: cores, CPU model, RAM, software versions."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        ram_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        ram_kb = 0
    import faiss
    import sentence_transformers
    import torch

    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu or platform.processor(),
        "ram_gb": round(ram_kb / 1024**2, 1),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "sentence_transformers": sentence_transformers.__version__,
        "faiss": faiss.__version__,
        "model": shared_embedder().name,
    }


def write_json(name: str, payload: dict[str, Any]) -> Path:
    """Save a benchmark's results as ``benchmarks/results/<name>.json``."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_json(name: str) -> dict[str, Any] | None:
    """A benchmark's saved results, if it has run."""
    path = RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
