"""Retrieval quality on StackFAQ: BM25 only, dense only and the product default (hybrid).

Four sets, each run through ``SearchEngine.search``:

* ``thread`` — 125 articles, one per StackExchange thread: the question as the title, the
  top-ranked answer (``answer_rank`` 0) as the body — how a help-centre article looks.
* ``pair`` — 719 articles, one per QA pair (question as title, answer as body); a hit is any
  article of the query's thread.
* ``+typos`` — the same 1,249 queries with seeded keyboard typos (``benchmarks/datasets.py``).

Metrics are at article level: MRR@10, Recall@1 and Recall@5 (share of queries with an article
of the right thread in the top 1 / top 5). The headline is the held-out folds 3–4 (the fusion
was tuned on folds 0–2); all five folds are the secondary column.

    python -m benchmarks.quality [--quick]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

from benchmarks.retrieval import (
    SPLITS,
    build_engine,
    by_folds,
    first_ranks,
    machine,
    read_json,
    scores,
    shared_embedder,
    stackfaq_sets,
    warm,
    write_json,
)
from kb.search import Mode, RankingParams

LABELS = {"keyword": "BM25 only", "dense": "dense only", "hybrid": "hybrid (product default)"}


def tuned_params() -> RankingParams | None:
    """The product-formula setting ``tune_fusion`` chose, when it differs from the default."""
    saved = read_json("tune_fusion")
    if not saved or saved["chosen"]["formula"] != "product":
        return None
    chosen = saved["chosen"]
    params = RankingParams(
        keyword_weight=chosen["keyword_weight"],
        dense_candidates=chosen["dense_candidates"],
        keyword_candidates=chosen["keyword_candidates"],
    )
    return None if params == RankingParams() else params


def versus(ranks: Sequence[int | None], baseline: Sequence[int | None]) -> dict[str, int]:
    """How many queries rank the right article higher / lower than the baseline does."""
    pairs = [(r or 11, b or 11) for r, b in zip(ranks, baseline, strict=True)]
    return {"better": sum(r < b for r, b in pairs), "worse": sum(r > b for r, b in pairs)}


def _row(label: str, result: dict[str, Any]) -> str:
    """One Markdown row: held-out MRR, R@1, R@5, then all folds' MRR, R@1, R@5, then vs dense."""
    held, every = result["held_out"], result["all"]
    cells = [f"{held[m]:.3f}" for m in ("mrr@10", "recall@1", "recall@5")]
    cells += [f"{every[m]:.3f}" for m in ("mrr@10", "recall@1", "recall@5")]
    vs = result.get("vs_dense_held_out")
    cells.append(f"+{vs['better']} / −{vs['worse']}" if vs else "")
    return f"| {label} | " + " | ".join(cells) + " |"


def run(*, quick: bool = False) -> str:
    """Run every set in every mode; return the Markdown report (JSON goes to results/)."""
    started = time.perf_counter()
    embedder = shared_embedder()
    sets = stackfaq_sets(quick=quick)
    engines = {}
    for bench in sets:
        if bench.corpus.name not in engines:
            engines[bench.corpus.name] = build_engine(bench.corpus, embedder)
    warm(embedder, sets)
    embedder.save()
    built = time.perf_counter() - started
    embedded = embedder.computed

    tuned = tuned_params()
    runs: list[tuple[str, Mode, RankingParams]] = [
        (mode.value, mode, RankingParams()) for mode in (Mode.KEYWORD, Mode.DENSE, Mode.HYBRID)
    ]
    if tuned is not None:
        runs.append(("hybrid_tuned", Mode.HYBRID, tuned))
    labels = dict(LABELS)
    if tuned is not None:
        labels["hybrid_tuned"] = f"hybrid, keyword_weight={tuned.keyword_weight:g} (tuned)"

    results: dict[str, dict[str, Any]] = {}
    searches = 0
    search_started = time.perf_counter()
    for bench in sets:
        engine = engines[bench.corpus.name]
        results[bench.name] = {}
        ranked: dict[str, list[int | None]] = {}
        for name, mode, params in runs:
            engine.params = params
            ranks = ranked[name] = first_ranks(engine, bench, mode)
            searches += len(ranks)
            results[bench.name][name] = {
                split: scores(by_folds(bench.queries, ranks, folds))
                for split, folds in SPLITS.items()
            }
            if mode == Mode.HYBRID:
                held = SPLITS["held_out"]
                results[bench.name][name]["vs_dense_held_out"] = versus(
                    by_folds(bench.queries, ranks, held),
                    by_folds(bench.queries, ranked["dense"], held),
                )
    searching = time.perf_counter() - search_started

    data = sets[0]
    lines = [
        f"## Retrieval quality — StackFAQ (model {embedder.name})",
        "",
        f"Held-out = folds 3–4 ({sum(q.fold in SPLITS['held_out'] for q in data.queries)} "
        f"queries), all = folds 0–4 ({len(data.queries)} queries); article-level metrics.",
    ]
    for bench in sets:
        docs = len(bench.corpus.documents)
        lines += [
            "",
            f"### {bench.name} ({docs} articles)",
            "",
            "| retriever | MRR@10 | R@1 | R@5 | MRR@10 (all) | R@1 (all) | R@5 (all) "
            "| vs dense (held-out queries ranked better / worse) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += [_row(labels[name], results[bench.name][name]) for name, _, _ in runs]
    elapsed = time.perf_counter() - started
    lines += [
        "",
        f"Indexing {built:.0f} s ({embedded} texts embedded by this process, the rest from the "
        f"vector cache); {searches} searches in "
        f"{searching:.0f} s ({1000 * searching / max(1, searches):.1f} ms each); total {elapsed:.0f} s.",
    ]
    write_json(
        "quality-quick" if quick else "quality",
        {
            "quick": quick,
            "params": {name: repr(params) for name, _, params in runs},
            "sets": results,
            "seconds": {"index": built, "search": searching, "total": elapsed},
            "searches": searches,
            "machine": machine(),
        },
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``python -m benchmarks.quality [--quick]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every 4th query only")
    args = parser.parse_args(argv)
    print(run(quick=args.quick))


if __name__ == "__main__":
    main()
