"""Tune how dense and keyword evidence are fused, on the StackFAQ training folds (0–2) only.

One setting must serve all four sets (thread / QA-pair level × clean / typo queries), so the
objective is the mean MRR@10 over the four sets' training queries. The product's formula
(``SearchEngine._rank``: max dense + w · max BM25 / best BM25 among the candidates) is searched
over ``keyword_weight`` and the candidate counts; alternative formulas are compared by nested
cross-validation inside the training folds (choose on two folds, score the third). The held-out
folds (3–4) are only printed after every choice is made.

    python -m benchmarks.tune_fusion [--quick]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from benchmarks.datasets import TRAIN_FOLDS
from benchmarks.fusion import CorpusMatrix, Evidence, Fusion, corpus_matrix, gather, rank_of_thread
from benchmarks.retrieval import (
    SET_NAMES,
    SPLITS,
    build_engine,
    first_ranks,
    machine,
    scores,
    shared_embedder,
    stackfaq_sets,
    write_json,
)
from kb.search import Mode, RankingParams

DEFAULT = RankingParams()
SWITCH_MARGIN = 0.002
"""An alternative formula must beat the product's nested-CV gain by this much to be worth a kb change."""
Store = dict[str, tuple[CorpusMatrix, list[Evidence]]]


def weights(quick: bool) -> list[float]:
    """The keyword weights tried: fine steps where it matters, coarse up to 0.5."""
    fine = [round(0.01 * i, 2) for i in range(0, 21, 5 if quick else 1)]
    return [*fine, 0.25, 0.3, 0.4, 0.5]


def families(quick: bool) -> dict[str, list[Fusion]]:
    """The alternative formulas and their grids (see ``benchmarks/fusion.py``)."""
    step = 2 if quick else 1
    return {
        "product": [Fusion(weight=w) for w in weights(quick)],
        "zscore": [Fusion("zscore", round(0.0025 * i, 4)) for i in range(1, 13, step)],
        "saturate": [
            Fusion("saturate", w, extra=c)
            for w in (0.05, 0.1, 0.15, 0.2, 0.3)
            for c in (2, 5, 10, 20)
        ],
        "gate": [
            Fusion("gate", w, extra=x) for w in (0.05, 0.08, 0.1, 0.12) for x in (0.02, 0.05, 0.1)
        ],
        "passage": [Fusion("passage", w) for w in (0.02, 0.04, 0.06, 0.08, 0.1, 0.12)],
        "kinds": [Fusion("kinds", w, extra=x) for w in (0.06, 0.08, 0.1) for x in (0.0, 0.5, 2.0)],
        "second": [
            Fusion("second", w, extra=x) for w in (0.06, 0.08, 0.1, 0.12) for x in (0.1, 0.2, 0.3)
        ],
        "corrected-only BM25": [
            Fusion(weight=w, bm25_tokens="corrected") for w in weights(quick) if w <= 0.2
        ],
        "rrf": [Fusion("rrf", k) for k in (10.0, 30.0, 60.0)],
    }


@dataclass(frozen=True, slots=True)
class Row:
    """A setting's MRR@10 per set and fold (training folds only unless asked)."""

    fusion: Fusion
    by_fold: dict[tuple[str, int], tuple[float, int]]

    def mean(self, folds: Iterable[int]) -> float:
        """Mean over the four sets of the MRR over the given folds' queries (weighted by count)."""
        folds = set(folds)
        return float(np.mean([self.set_mrr(name, folds) for name in SET_NAMES]))

    def set_mrr(self, name: str, folds: set[int]) -> float:
        """One set's MRR over the given folds."""
        parts = [self.by_fold[name, f] for f in folds]
        return float(np.average([mrr for mrr, _ in parts], weights=[n for _, n in parts]))


def evaluate(
    store: Store, fusion: Fusion, folds: frozenset[int], *, dense_only: bool = False
) -> Row:
    """MRR@10 of a setting per set and fold (kept with the query count, to pool folds)."""
    found: dict[tuple[str, int], tuple[float, int]] = {}
    for name, (matrix, evidence) in store.items():
        for fold in folds:
            ranks = [
                rank_of_thread(matrix, ev, fusion, dense_only=dense_only)
                for ev in evidence
                if ev.query.fold == fold
            ]
            found[name, fold] = (scores(ranks)["mrr@10"], len(ranks))
    return Row(fusion, found)


def nested_gain(rows: Sequence[Row], dense: Row) -> tuple[float, list[float]]:
    """Choose on two training folds, score the third; the mean gain over dense-only, and per fold."""
    gains = []
    for inner in sorted(TRAIN_FOLDS):
        rest = TRAIN_FOLDS - {inner}
        best = max(rows, key=lambda r: r.mean(rest))
        gains.append(best.mean({inner}) - dense.mean({inner}))
    return float(np.mean(gains)), gains


def choose(rows: Sequence[Row]) -> Row:
    """Best mean training MRR; ties go to the current default candidates, then the lower weight."""
    return max(
        rows,
        key=lambda r: (
            round(r.mean(TRAIN_FOLDS), 9),
            (r.fusion.dense_k, r.fusion.keyword_k)
            == (DEFAULT.dense_candidates, DEFAULT.keyword_candidates),
            -r.fusion.weight,
        ),
    )


def gather_all(quick: bool) -> Store:
    """Every set's evidence, computed once (both corpora embedded once)."""
    embedder = shared_embedder()
    store: Store = {}
    matrices: dict[str, CorpusMatrix] = {}
    for bench in stackfaq_sets(quick=quick):
        if bench.corpus.name not in matrices:
            matrices[bench.corpus.name] = corpus_matrix(bench.corpus, embedder)
        matrix = matrices[bench.corpus.name]
        store[bench.name] = (matrix, gather(matrix, bench.queries, embedder))
    embedder.save()
    return store


def verify(store: Store, chosen: Fusion, quick: bool) -> tuple[int, int]:
    """Run the training queries through ``SearchEngine.search`` with the chosen params and count
    how many rank exactly as the replica says."""
    params = RankingParams(
        keyword_weight=chosen.weight,
        dense_candidates=chosen.dense_k,
        keyword_candidates=chosen.keyword_k,
    )
    agree = total = 0
    engines = {}
    for bench in stackfaq_sets(quick=quick):
        if bench.corpus.name not in engines:
            engines[bench.corpus.name] = build_engine(bench.corpus, shared_embedder())
        engine = engines[bench.corpus.name]
        engine.params = params
        matrix, evidence = store[bench.name]
        train = [ev for ev in evidence if ev.query.fold in TRAIN_FOLDS]
        sub = replace(bench, queries=tuple(ev.query for ev in train))
        real = first_ranks(engine, sub, Mode.HYBRID)
        mine = [rank_of_thread(matrix, ev, chosen) for ev in train]
        agree += sum(a == b for a, b in zip(real, mine, strict=True))
        total += len(train)
    return agree, total


def _cells(row: Row, dense: Row, folds: frozenset[int]) -> str:
    """Per-set MRR with the gain over dense, then the mean."""
    parts = []
    for name in SET_NAMES:
        value = row.set_mrr(name, set(folds))
        parts.append(f"{value:.4f} ({value - dense.set_mrr(name, set(folds)):+.4f})")
    return " | ".join(parts) + f" | {row.mean(folds):.4f}"


def product_grid(store: Store, dense: Row, quick: bool) -> tuple[list[Row], Row, list[str]]:
    """The product formula over keyword weight × candidate counts; the rows, the best, Markdown."""
    cand_grid = (16, 64) if quick else (8, 16, 32, 64, 128)
    grid = [
        evaluate(store, Fusion(weight=w, dense_k=k, keyword_k=k), TRAIN_FOLDS)
        for k in cand_grid
        for w in weights(quick)
    ]
    best = choose(grid)
    lines = [
        "### Product formula: fused = max dense + w · max BM25 / best BM25 among candidates",
        "",
        "| keyword_weight | thread | thread+typos | pair | pair+typos | mean |",
        "|---|---|---|---|---|---|",
        f"| dense only | {_cells(dense, dense, TRAIN_FOLDS)} |",
    ]
    for row in grid:
        if row.fusion.dense_k == best.fusion.dense_k:
            mark = " **←**" if row is best else ""
            lines.append(f"| {row.fusion.weight:g}{mark} | {_cells(row, dense, TRAIN_FOLDS)} |")
    lines += ["", "| candidates (dense = keyword) | best weight | best mean |", "|---|---|---|"]
    for k in cand_grid:
        top = choose([r for r in grid if r.fusion.dense_k == k])
        lines.append(f"| {k} | {top.fusion.weight:g} | {top.mean(TRAIN_FOLDS):.4f} |")
    return grid, best, lines


def alternatives(
    store: Store, dense: Row, quick: bool
) -> tuple[dict[str, Any], dict[str, Row], list[str]]:
    """Every formula family: its best training setting and nested-CV gain; Markdown."""
    lines = [
        "### Alternative formulas (nested CV inside the training folds)",
        "",
        "| formula | best setting on folds 0–2 | mean MRR | nested-CV gain over dense (per fold) |",
        "|---|---|---|---|",
    ]
    summary: dict[str, Any] = {}
    best: dict[str, Row] = {}
    for family, settings in families(quick).items():
        rows = [evaluate(store, f, TRAIN_FOLDS) for f in settings]
        gain, per_fold = nested_gain(rows, dense)
        top = best[family] = choose(rows)
        summary[family] = {
            "best": asdict(top.fusion),
            "train_mean_mrr": top.mean(TRAIN_FOLDS),
            "nested_cv_gain": gain,
            "nested_cv_gain_per_fold": per_fold,
        }
        folds = ", ".join(f"{g:+.4f}" for g in per_fold)
        lines.append(
            f"| {family} | {top.fusion.label()} | {top.mean(TRAIN_FOLDS):.4f} | {gain:+.4f} ({folds}) |"
        )
    return summary, best, lines


def decide(
    store: Store, summary: dict[str, Any], best: dict[str, Row], grid_best: Row, quick: bool
) -> tuple[str, Row, list[str]]:
    """Keep the product formula unless an alternative wins nested CV by ``SWITCH_MARGIN``."""
    rival = max((f for f in summary if f != "product"), key=lambda f: summary[f]["nested_cv_gain"])
    margin = summary[rival]["nested_cv_gain"] - summary["product"]["nested_cv_gain"]
    if margin > SWITCH_MARGIN:
        chosen = best[rival]
        return (
            rival,
            chosen,
            [
                f"**Chosen:** formula `{rival}` ({chosen.fusion.label()}), nested-CV gain "
                f"{margin:+.4f} over the product formula; it needs a change to `SearchEngine._rank` "
                "(see `benchmarks/fusion.py`).",
            ],
        )
    fusion = grid_best.fusion
    agree, total = verify(store, fusion, quick)
    return (
        "product",
        grid_best,
        [
            f"**Chosen:** the product formula (the best alternative, `{rival}`, gains {margin:+.4f} "
            f"over it in nested CV; switching needs > {SWITCH_MARGIN:g}) with "
            f"`RankingParams(keyword_weight={fusion.weight:g}, dense_candidates={fusion.dense_k}, "
            f"keyword_candidates={fusion.keyword_k})`: mean training MRR "
            f"{grid_best.mean(TRAIN_FOLDS):.4f} (current default "
            f"keyword_weight={DEFAULT.keyword_weight:g}).",
            f"Replica check: `SearchEngine.search` with these params ranks {agree}/{total} "
            "training queries exactly as the replica does.",
        ],
    )


def held_out_check(
    store: Store, chosen: Fusion, best: dict[str, Row]
) -> tuple[dict[str, dict[str, float]], list[str]]:
    """Held-out MRR of dense, the current default, the choice and each family's best; Markdown."""
    held = SPLITS["held_out"]
    dense = evaluate(store, Fusion(), held, dense_only=True)
    current = Fusion(weight=DEFAULT.keyword_weight)
    settings = {
        "dense only": (Fusion(), dense),
        f"current default: {current.label()}": (current, evaluate(store, current, held)),
        f"**chosen**: {chosen.label()}": (chosen, evaluate(store, chosen, held)),
    }
    for family, row in best.items():
        settings[f"best {family}: {row.fusion.label()}"] = (
            row.fusion,
            evaluate(store, row.fusion, held),
        )
    lines = [
        "### Held-out check (folds 3–4; printed after the choice, used for none of it)",
        "",
        "| setting | thread | thread+typos | pair | pair+typos | mean |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {label} | {_cells(row, dense, held)} |" for label, (_, row) in settings.items()]
    found = {
        label: {n: row.set_mrr(n, set(held)) for n in SET_NAMES}
        for label, (_, row) in settings.items()
    }
    return found, lines


def run(*, quick: bool = False) -> str:
    """Run the grid and the comparisons; return the Markdown report (JSON goes to results/)."""
    started = time.perf_counter()
    store = gather_all(quick)
    gathered = time.perf_counter() - started
    dense = evaluate(store, Fusion(), TRAIN_FOLDS, dense_only=True)
    grid, grid_best, grid_lines = product_grid(store, dense, quick)
    summary, family_best, family_lines = alternatives(store, dense, quick)
    formula, chosen, decision_lines = decide(store, summary, family_best, grid_best, quick)
    held_out, held_lines = held_out_check(store, chosen.fusion, family_best)
    elapsed = time.perf_counter() - started
    lines = [
        "## Fusion tuning — StackFAQ, training folds 0–2 only",
        "",
        "MRR@10 per set (gain over dense-only in brackets) and the mean over the four sets.",
        "",
        *grid_lines,
        "",
        *family_lines,
        "",
        *decision_lines,
        "",
        *held_lines,
        "",
        f"Evidence gathered in {gathered:.0f} s; whole run {elapsed:.0f} s.",
    ]
    write_json(
        "tune_fusion-quick" if quick else "tune_fusion",
        {
            "quick": quick,
            "objective": "mean over the four sets of MRR@10 on training folds 0-2",
            "chosen": {
                "formula": formula,
                "keyword_weight": chosen.fusion.weight,
                "dense_candidates": chosen.fusion.dense_k,
                "keyword_candidates": chosen.fusion.keyword_k,
                "extra": chosen.fusion.extra,
                "train_mean_mrr": chosen.mean(TRAIN_FOLDS),
            },
            "dense_train_mean_mrr": dense.mean(TRAIN_FOLDS),
            "grid": [{**asdict(r.fusion), "train_mean_mrr": r.mean(TRAIN_FOLDS)} for r in grid],
            "families": summary,
            "held_out": held_out,
            "seconds": elapsed,
            "machine": machine(),
        },
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``python -m benchmarks.tune_fusion [--quick]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every 4th query, coarser grids")
    args = parser.parse_args(argv)
    print(run(quick=args.quick))


if __name__ == "__main__":
    main()
