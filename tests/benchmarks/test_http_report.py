"""The HTTP benchmark's Markdown tables and the relevance arithmetic behind them."""

from __future__ import annotations

import pytest

from benchmarks.datasets import Corpus
from benchmarks.fts_relevance import first_rank, relevance
from benchmarks.http_report import ms, relevance_table, report, speed_table, zero_results_table


def _row(system: str, concurrency: int, *, fresh: bool = True) -> dict[str, object]:
    """A speed row as ``measure_speed`` records it."""
    return {
        "system": system,
        "server": "gthread 2×4",
        "concurrency": concurrency,
        "rps": 1234.4,
        "p50_ms": 1.25,
        "p95_ms": 2.0,
        "p99_ms": 3.0,
        "server_p95_ms": None,
        "errors": 0,
        "fresh": fresh,
    }


def test_ms() -> None:
    """One decimal, or a dash for a missing figure."""
    assert (ms(1.26), ms(None)) == ("1.3", "–")


def test_speed_table_groups_by_system_then_concurrency() -> None:
    """Rows come sorted, with thousands separators and a dash for missing server time."""
    lines = speed_table([_row("B", 4), _row("A", 16), _row("A", 1, fresh=False)])
    assert lines[2] == "| A† | gthread 2×4 | 1 | 1,234 | 1.2 | 2.0 | 3.0 | – | 0 |"
    assert [line.split(" | ")[2] for line in lines[2:]] == ["1", "16", "4"]


def test_relevance_table_puts_retrievers_side_by_side() -> None:
    """One row per set, one column per retriever present in every set, then empty-result shares."""
    scores = {"mrr@10": 0.5, "recall@1": 0.25, "recall@5": 0.75, "zero_results": 0.1, "queries": 8}
    lines = relevance_table({"thread": {"tier0_hybrid": scores, "english": scores}})
    assert "| thread (8) | 0.500 / 0.250 / 0.750 | 0.500 / 0.250 / 0.750 |" in lines
    assert "| thread | 10.0% | 10.0% |" in lines
    assert "chatwoot" not in "\n".join(lines).lower()


def test_zero_results_table() -> None:
    """Shares per kind of query, as whole percentages."""
    lines = zero_results_table({"english": {"question": 0.254, "prefix": 0.5}})
    assert "| natural question | 25% |" in lines
    assert "| half-typed | 50% |" in lines


def test_report_mentions_the_setup() -> None:
    """The report names the workers, the query pool and the machine's load."""
    text = report(
        {
            "articles": 67,
            "duration_s": 20.0,
            "pool": {"size": 100, "kinds": {"question": 60, "prefix": 40}},
            "machine": {"nproc": 2, "cpu": "AMD EPYC"},
            "load_average": {"before": [0.1, 0.2, 0.3]},
            "speed": [_row("A", 1, fresh=False)],
        }
    )
    assert "67 demo articles" in text and "60 natural question" in text
    assert "† some queries" in text and "load average before 0.10" in text


def test_relevance_scores_and_first_rank() -> None:
    """MRR, recall and empty-result share from ranks; the first result of the right thread."""
    found = relevance([1, 2, None, None], [False, False, False, True])
    assert found.mrr == pytest.approx(0.375)
    assert (found.recall_1, found.recall_5, found.zero_results) == (0.25, 0.5, 0.25)
    corpus = Corpus("pair", (), {"a": "t1", "b": "t2", "c": "t2"})
    assert first_rank(["a", "c", "b"], corpus, "t2") == 2
    assert first_rank(["a"], corpus, "t2") is None
