"""Recall of the large-collection vector index (IVF-SQ8) against exact search, on real text.

About 47,000 distinct real customer utterances from CLINC150, BANKING77 and HWU64 (all splits;
nothing here is tuned, the index tunes its own ``nprobe`` on the indexed vectors) are embedded with
the product's embedder; 300 of them, held out of the index, are the queries. Above 20,000 passages
Tier0 uses IVF-SQ8, so this measures what customers' questions get from it.

    python -m benchmarks.recall
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from benchmarks.datasets import data_dir
from kb.embeddings import make_embedder
from kb.vector_index import VectorIndex

RESULTS = Path(__file__).resolve().parent / "results"
SETS = ("clinc150", "banking77", "hwu64")
QUERIES = 300


def texts() -> list[str]:
    """Every distinct utterance of the three intent data sets."""
    found: list[str] = []
    for name in SETS:
        for path in sorted((data_dir() / name).glob("*.jsonl")):
            with path.open(encoding="utf-8") as lines:
                found.extend(json.loads(line)["text"] for line in lines if line.strip())
    return list(dict.fromkeys(found))


def main(argv: list[str] | None = None) -> None:
    """Embed, index, and compare the index's top 10 with exact search."""
    corpus = texts()
    cache = RESULTS / f"recall-vectors-{len(corpus)}.npy"
    if cache.is_file():
        vectors = np.load(cache)
    else:
        vectors = make_embedder().embed(corpus, batch_size=128)
        RESULTS.mkdir(parents=True, exist_ok=True)
        np.save(cache, vectors)
    order = np.random.default_rng(1).permutation(len(vectors))
    queries, indexed = vectors[order[:QUERIES]], vectors[order[QUERIES:]]
    exact = np.argsort(-(queries @ indexed.T), axis=1)[:, :10]
    started = time.perf_counter()
    index = VectorIndex.build(np.arange(len(indexed), dtype=np.int64), indexed)
    build = time.perf_counter() - started
    started = time.perf_counter()
    _, found = index.search(queries, 10)
    per_query = (time.perf_counter() - started) * 1000 / len(queries)
    recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, found, strict=True)]))
    print("\n### Vector index recall on real customer questions\n")
    print(
        "| indexed | index | nprobe (tuned at build) | recall@10 vs exact | ms per query | build s |"
    )
    print("|---|---|---|---|---|---|")
    print(
        f"| {len(indexed):,} | {index.kind} | {index.nprobe} | {recall:.3f} | "
        f"{per_query:.2f} | {build:.1f} |"
    )
    (RESULTS / "recall.json").write_text(
        json.dumps({"indexed": len(indexed), "nprobe": index.nprobe, "recall_at_10": recall}),
        "utf-8",
    )


if __name__ == "__main__":
    main()
