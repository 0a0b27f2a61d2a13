"""Updating the search index in place: only new or changed passage text is embedded again."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kb.chunking import passages_for
from kb.search import SearchEngine
from tests.kb.fakes import HashingEmbedder
from tests.kb.test_search import DOCS, RETURNS, TENT, keys


@pytest.fixture
def embedder() -> HashingEmbedder:
    """A fresh hashing embedder that counts what it embeds."""
    return HashingEmbedder()


@pytest.fixture
def search_engine(embedder: HashingEmbedder) -> SearchEngine:
    """An engine built over every test document."""
    built = SearchEngine(embedder)
    built.build(DOCS)
    return built


def test_upsert_embeds_only_new_or_changed_passages(
    search_engine: SearchEngine, embedder: HashingEmbedder
) -> None:
    """A new phrasing embeds just that phrasing, and the index ranks as if rebuilt from scratch."""
    taught = replace(RETURNS, phrasings=(*RETURNS.phrasings, "my boots don't fit, can I swap them"))
    embedder.reset_counts()

    search_engine.upsert([taught])

    assert embedder.texts == ["my boots don't fit, can I swap them"]
    rebuilt = SearchEngine(HashingEmbedder())
    rebuilt.build([taught if d.key == RETURNS.key else d for d in DOCS])
    for query in ("swap boots that don't fit", "refund for returned items"):
        assert keys(search_engine.search(query)) == keys(rebuilt.search(query))
        assert [h.score for h in search_engine.search(query).hits] == pytest.approx(
            [h.score for h in rebuilt.search(query).hits]
        )

    edited = replace(TENT, body=TENT.body + "\n\nDry the fly before you pack it away.")
    embedder.reset_counts()
    search_engine.upsert([edited])
    unchanged = {p.text for p in passages_for(TENT)}
    assert embedder.texts == [p.text for p in passages_for(edited) if p.text not in unchanged]
    assert 0 < len(embedder.texts) < len(passages_for(edited))
