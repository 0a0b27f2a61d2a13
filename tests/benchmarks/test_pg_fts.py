"""PostgreSQL full-text search as the benchmark runs it, on three hand-made articles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from benchmarks import pg_fts
from benchmarks.pg_fts import FtsDocument, Variant

pytestmark = pytest.mark.postgres

DOCS = [
    FtsDocument(
        "return-an-item",
        "How to return an item",
        "Send back unworn gear within 60 days for a refund.",
        "Print a return label and drop the parcel at a post office.",
    ),
    FtsDocument(
        "fix-a-zipper",
        "Fixing a broken or stuck zipper",
        "Most zippers can be fixed at home.",
        "Clean the teeth, then close the slider gently with pliers.",
    ),
    FtsDocument(
        "tent-poles",
        "Replacing a broken tent pole",
        "Order a replacement pole section.",
        "Use the repair sleeve to splint a broken pole on the trail.",
    ),
]


@pytest.fixture(scope="module")
def table() -> Iterator[tuple[psycopg.Connection[Any], str, str]]:
    """The three articles in a scratch schema that is dropped afterwards."""
    with pg_fts.scratch_schema() as schema, psycopg.connect(pg_fts.dsn(), autocommit=True) as conn:
        name = f"{schema}.articles"
        assert pg_fts.create_table(conn, name, DOCS) == 3
        yield conn, name, schema


def _keys(
    table: tuple[psycopg.Connection[Any], str, str], query: str, variant: Variant
) -> list[str]:
    """The keys found for a query."""
    conn, name, _ = table
    return [row[0] for row in pg_fts.search(conn, name, query, variant=variant)]


def test_title_matches_rank_above_body_matches(table: Any) -> None:
    """Weight A (title) beats weight C (body): "broken" is in both broken-thing titles, "pole" in one."""
    assert _keys(table, "broken pole", Variant.ENGLISH) == ["tent-poles"]
    assert _keys(table, "broken", Variant.ENGLISH)[0] in {"fix-a-zipper", "tent-poles"}
    assert _keys(table, "refund", Variant.ENGLISH) == ["return-an-item"]


def test_english_is_stemmed_but_needs_every_word(table: Any) -> None:
    """'returning' finds 'return'; a question with a word no article has finds nothing."""
    assert _keys(table, "returning items", Variant.ENGLISH) == ["return-an-item"]
    assert _keys(table, "how do I return my jacket", Variant.ENGLISH) == []
    assert _keys(table, "zipers", Variant.ENGLISH) == []


def test_chatwoot_matches_prefixes_without_stemming(table: Any) -> None:
    """pg_search's prefix search finds 'retur' but not 'returning' (no stemming)."""
    assert _keys(table, "retur", Variant.CHATWOOT) == ["return-an-item"]
    assert _keys(table, "returning", Variant.CHATWOOT) == []
    assert _keys(table, "can't zip?", Variant.CHATWOOT) == []
    assert _keys(table, "'?:", Variant.CHATWOOT) == []


def test_any_word_finds_the_best_partial_match(table: Any) -> None:
    """OR semantics: the article sharing most words comes first."""
    assert _keys(table, "how do I return my jacket", Variant.ENGLISH_ANY) == ["return-an-item"]
    assert _keys(table, "my tent pole is broken", Variant.ENGLISH_ANY)[0] == "tent-poles"
    assert _keys(table, "the", Variant.ENGLISH_ANY) == []


def test_search_many_and_limit(table: Any) -> None:
    """Several queries at once; the limit caps each list."""
    conn, name, _ = table
    found = pg_fts.search_many(conn, name, ["broken", "xyzzy"], variant=Variant.ENGLISH, limit=1)
    assert [len(keys) for keys in found] == [1, 0]


def test_http_app(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmark app answers JSON with a Server-Timing header, and 400 for bad input."""
    monkeypatch.setenv("BENCH_PG_TABLE", table[1])
    app = pg_fts.create_app()
    client = app.test_client()
    try:
        assert client.get("/healthz").get_json()["documents"] == 3
        found = client.get("/search?q=stuck+zipper")
        assert found.status_code == 200
        assert [hit["ref"] for hit in found.get_json()["hits"]] == ["fix-a-zipper"]
        assert found.headers["Server-Timing"].startswith("app;dur=")
        assert client.get("/search?q=jacket+return&variant=english_any").get_json()["hits"]
        assert client.get("/search?q=").status_code == 400
        assert client.get("/search?q=x&variant=nope").status_code == 400
    finally:
        for conn in app.extensions["bench_pg_connections"]:
            conn.close()


def test_scratch_schema_is_dropped() -> None:
    """Nothing is left behind, even when the block fails."""
    with pytest.raises(RuntimeError), pg_fts.scratch_schema() as schema:
        raise RuntimeError("boom")
    with psycopg.connect(pg_fts.dsn()) as conn:
        left = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchall()
    assert left == []
