"""Load-test queries: typing prefixes and a pool of distinct queries of each kind."""

from __future__ import annotations

import pytest

from benchmarks.help_queries import KINDS, build_pool, demo_pool, demo_titles, keystrokes


def test_keystrokes_cut_mid_word_and_after_each_word() -> None:
    """What instant search sees while someone types."""
    assert keystrokes("track my order") == [
        "track",
        "track m",
        "track my",
        "track my or",
        "track my order",
    ]
    assert keystrokes("a b", min_chars=1) == ["a", "a b"]


def test_pool_is_distinct_sized_and_repeatable() -> None:
    """Every query appears once, the kinds add up, and the same seed gives the same pool."""
    pool = build_pool(["Track your order"], ["Where is my parcel?"], size=300)
    assert len(pool.queries) == len(set(pool.queries)) == 300
    assert sum(pool.kinds.values()) == 300
    assert set(pool.kinds) == set(KINDS)
    assert pool.kinds["title"] == 2 and pool.kinds["question"] == 2
    assert "Track your order" in pool.queries and "track your order" in pool.queries
    assert pool == build_pool(["Track your order"], ["Where is my parcel?"], size=300)


def test_pool_by_kind() -> None:
    """A sample of each kind, no larger than asked."""
    pool = build_pool(["Return a gift"], ["how long does a refund take"], size=100)
    sample = pool.by_kind(5)
    assert set(sample) == set(KINDS)
    assert all(len(queries) <= 5 for queries in sample.values())
    kind_of = dict(zip(pool.queries, pool.labels, strict=True))
    assert all(kind_of[q] == kind for kind, queries in sample.items() for q in queries)


def test_pool_needs_a_base() -> None:
    """No titles or questions is an error."""
    with pytest.raises(ValueError, match="no base"):
        build_pool([], [], size=10)


def test_demo_pool_uses_the_demo_titles() -> None:
    """Every demo article's title is in the pool."""
    titles = demo_titles()
    assert len(titles) >= 60 and "Track your order" in titles
    pool = demo_pool(1_000)
    assert set(titles) <= set(pool.queries)
