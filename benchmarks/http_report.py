"""Markdown tables for the HTTP search benchmark's results (``benchmarks/http_search.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

RETRIEVERS = {
    "tier0_hybrid": "**Tier0 (hybrid)**",
    "english": "PG `english`, all words",
    "chatwoot": "PG as Chatwoot (`simple`, prefix, all words)",
    "english_any": "PG `english`, any word",
}
KINDS = {
    "title": "article title",
    "question": "natural question",
    "misspelled": "misspelled",
    "prefix": "half-typed",
}


def ms(value: float | None) -> str:
    """Milliseconds with one decimal, or a dash when there is no figure."""
    return "–" if value is None else f"{value:.1f}"


def speed_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per endpoint and concurrency: throughput, client latency, server time, errors."""
    lines = [
        "| endpoint | gunicorn | connections | requests/s | p50 ms | p95 ms | p99 ms "
        "| server p95 ms | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in sorted(rows, key=lambda r: (r["system"], r["concurrency"])):
        repeats = "" if row.get("fresh", True) else "†"
        lines.append(
            f"| {row['system']}{repeats} | {row['server']} | {row['concurrency']} | {row['rps']:,.0f} "
            f"| {ms(row['p50_ms'])} | {ms(row['p95_ms'])} | {ms(row['p99_ms'])} "
            f"| {ms(row['server_p95_ms'])} | {row['errors']} |"
        )
    return lines


def relevance_table(relevance: Mapping[str, Mapping[str, Mapping[str, float]]]) -> list[str]:
    """MRR@10 / R@1 / R@5 per set (rows) and retriever (columns), then empty-result shares."""
    names = [r for r in RETRIEVERS if all(r in scores for scores in relevance.values())]
    head = "| set (held-out queries) | " + " | ".join(RETRIEVERS[n] for n in names) + " |"
    rule = "|---|" + "---|" * len(names)
    lines = ["MRR@10 / Recall@1 / Recall@5:", "", head, rule]
    for name, scores in relevance.items():
        cells = [
            f"{scores[n]['mrr@10']:.3f} / {scores[n]['recall@1']:.3f} / {scores[n]['recall@5']:.3f}"
            for n in names
        ]
        count = int(next(iter(scores.values()))["queries"])
        lines.append(f"| {name} ({count}) | " + " | ".join(cells) + " |")
    lines += ["", "Searches that return nothing at all:", "", head, rule]
    for name, scores in relevance.items():
        cells = [f"{100 * scores[n]['zero_results']:.1f}%" for n in names]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def zero_results_table(shares: Mapping[str, Mapping[str, float]]) -> list[str]:
    """Per kind of load-test query, how often each PostgreSQL variant finds nothing."""
    variants = [v for v in RETRIEVERS if v in shares]
    lines = [
        "| load-test query | " + " | ".join(RETRIEVERS[v] for v in variants) + " |",
        "|---|" + "---|" * len(variants),
    ]
    for kind, label in KINDS.items():
        cells = [f"{100 * shares[v][kind]:.0f}%" for v in variants if kind in shares[v]]
        if cells:
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def report(results: Mapping[str, Any]) -> str:
    """The whole Markdown report."""
    machine = results.get("machine", {})
    pool = results.get("pool", {})
    kinds = ", ".join(f"{n:,} {KINDS.get(k, k)}" for k, n in pool.get("kinds", {}).items())
    lines = [
        "## HTTP search under load — Tier0 and PostgreSQL full-text search",
        "",
        f"{results.get('articles', '?')} demo articles; each server gunicorn with 2 workers on "
        f"loopback; {results['duration_s']:.0f} s per level after 1 s of warm-up; "
        f"{pool.get('size', 0):,} distinct queries ({kinds}). "
        f"Machine: {machine.get('nproc', '?')} cores, {machine.get('cpu', '?')}; load average "
        f"before {results['load_average']['before'][0]:.2f}.",
        "",
        *speed_table(results.get("speed", [])),
    ]
    if not all(row.get("fresh", True) for row in results.get("speed", [])):
        lines += ["", "† some queries had been sent to this server before (the pool ran out)."]
    if results.get("demo_zero_results"):
        lines += [
            "",
            "### No results at all",
            "",
            *zero_results_table(results["demo_zero_results"]),
        ]
    if results.get("relevance"):
        lines += ["", "### Relevance — StackFAQ", "", *relevance_table(results["relevance"])]
    lines += ["", f"Total {results.get('seconds', 0):.0f} s."]
    return "\n".join(lines)
