"""Related documents: nearest in meaning by stored passage vectors, checked against brute force."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from kb.articles import save_article
from kb.chunking import passages_for
from kb.community import AnswerInput, replace_answers, save_question
from kb.config import Settings
from kb.db import make_engine, make_session_factory, transaction
from kb.documents import SearchDocument, Source
from kb.knowledge_base import KnowledgeBase
from kb.results import SearchFilters
from kb.search import SearchEngine
from tests.kb.fakes import HashingEmbedder

TOPICS = {
    "returns": "return refund label parcel exchange size",
    "shipping": "shipping delivery courier parcel express tracking",
    "account": "password sign in account email reset login",
    "payments": "card payment charge invoice refund declined",
    "tents": "tent pole pitch poles fly groundsheet",
}


def _corpus() -> list[SearchDocument]:
    """Thirty documents over five topics, with some words shared across topics."""
    rng = np.random.default_rng(7)
    docs = []
    for index in range(30):
        topic = list(TOPICS)[index % len(TOPICS)]
        words = TOPICS[topic].split()
        body = "\n\n".join(
            " ".join(rng.choice(words, size=12).tolist()) for _ in range(1 + index % 3)
        )
        docs.append(
            SearchDocument(
                key=f"article:{index}",
                source=Source.COMMUNITY if index % 7 == 3 else Source.OFFICIAL,
                ref=f"doc-{index}",
                title=f"{topic.title()} guide {index}",
                body=body,
                category=topic,
                status="draft" if index % 11 == 5 else "published",
            )
        )
    return docs


def _brute_force(
    embedder: HashingEmbedder, docs: list[SearchDocument], key: str, filters: SearchFilters
) -> list[tuple[str, float]]:
    """Every other allowed document scored by its best passage against the mean passage vector."""
    vectors = {d.key: embedder.embed([p.text for p in passages_for(d)]) for d in docs}
    centre = vectors[key].mean(axis=0)
    centre /= np.linalg.norm(centre)
    scored = []
    for doc in docs:
        allowed = doc.status in filters.statuses and (
            filters.sources is None or doc.source in filters.sources
        )
        if doc.key != key and allowed:
            scored.append((doc.key, float((vectors[doc.key] @ centre).max())))
    return sorted(scored, key=lambda item: (-item[1], item[0]))


@pytest.fixture
def engine_and_docs() -> tuple[SearchEngine, list[SearchDocument], HashingEmbedder]:
    """An engine holding the corpus."""
    embedder = HashingEmbedder()
    engine = SearchEngine(embedder)
    docs = _corpus()
    engine.build(docs)
    return engine, docs, embedder


@pytest.mark.parametrize("key", ["article:0", "article:7", "article:12", "article:29"])
@pytest.mark.parametrize(
    "filters",
    [SearchFilters(), SearchFilters(sources=frozenset({Source.OFFICIAL})), SearchFilters.staff()],
    ids=["published", "official", "staff"],
)
def test_related_matches_brute_force(
    engine_and_docs: tuple[SearchEngine, list[SearchDocument], HashingEmbedder],
    key: str,
    filters: SearchFilters,
) -> None:
    """The engine's neighbours and scores are exactly those of an exhaustive computation."""
    engine, docs, embedder = engine_and_docs
    expected = _brute_force(embedder, docs, key, filters)[:5]
    related = engine.related(key, limit=5, filters=filters)
    assert [r.key for r in related] == [k for k, _ in expected]
    assert [r.score for r in related] == pytest.approx([s for _, s in expected], abs=1e-5)


def test_related_excludes_itself_and_carries_document_fields(
    engine_and_docs: tuple[SearchEngine, list[SearchDocument], HashingEmbedder],
) -> None:
    """The document is never its own neighbour; hits carry ref, title, source and category."""
    engine, docs, _ = engine_and_docs
    by_key = {d.key: d for d in docs}
    related = engine.related("article:0", limit=29, filters=SearchFilters.staff())
    assert len(related) == 29
    assert "article:0" not in {r.key for r in related}
    for item in related:
        doc = by_key[item.key]
        assert (item.ref, item.title, item.source, item.category) == (
            doc.ref,
            doc.title,
            doc.source,
            doc.category,
        )
    scores = [r.score for r in related]
    assert scores == sorted(scores, reverse=True)


def test_same_topic_documents_are_nearest(
    engine_and_docs: tuple[SearchEngine, list[SearchDocument], HashingEmbedder],
) -> None:
    """Documents about the same topic come first (the fake embedder shares their words)."""
    engine, _, _ = engine_and_docs
    related = engine.related("article:2", limit=3, filters=SearchFilters.staff())
    assert {r.category for r in related} == {"account"}


def test_related_follows_changes_and_handles_unknown_keys(
    engine_and_docs: tuple[SearchEngine, list[SearchDocument], HashingEmbedder],
) -> None:
    """Removed documents stop appearing; an unknown key has no neighbours; limit is checked."""
    engine, _, _ = engine_and_docs
    first = engine.related("article:0", limit=1)[0]
    engine.remove([first.key])
    assert first.key not in {r.key for r in engine.related("article:0", limit=10)}
    assert engine.related("article:999") == []
    assert SearchEngine(HashingEmbedder()).related("article:0") == []
    with pytest.raises(ValueError, match="limit"):
        engine.related("article:0", limit=0)


def test_related_when_fewer_documents_than_asked() -> None:
    """Asking for more neighbours than exist returns all the others."""
    engine = SearchEngine(HashingEmbedder())
    engine.build(
        [
            SearchDocument(key=f"article:{i}", source=Source.OFFICIAL, ref=str(i), title=t)
            for i, t in enumerate(["Returns", "Refunds", "Tents"])
        ]
    )
    assert {r.key for r in engine.related("article:0", limit=10)} == {"article:1", "article:2"}


@pytest.fixture
def db(fresh_db_url: str) -> Engine:
    """A migrated database of this test's own."""
    engine = make_engine(fresh_db_url)
    yield engine
    engine.dispose()


def test_knowledge_base_related_offers_only_published_official_articles(
    db: Engine, tmp_path: Path
) -> None:
    """KnowledgeBase.related leaves out drafts and community threads unless filters say otherwise."""
    body = "Print the prepaid return label and drop the parcel at a carrier point for a refund."
    with transaction(make_session_factory(db)) as session:
        main = save_article(session=session, title="Return an item", body=body, status="published")
        save_article(session=session, title="Return a gift", body=body, status="published")
        save_article(session=session, title="Return boots", body=body, status="draft")
        question, _ = save_question(session=session, title="Return label lost?", body=body)
        replace_answers(
            session=session, question=question, answers=[AnswerInput(body=body, accepted=True)]
        )
        key = f"article:{main.article.id}"
    settings = Settings(data_dir=tmp_path, database_url=str(db.url))
    kb = KnowledgeBase(
        settings=settings, session_factory=make_session_factory(db), embedder=HashingEmbedder()
    )
    kb.load_or_rebuild()
    assert [r.ref for r in kb.related(key)] == ["return-a-gift"]
    widened = kb.related(key, filters=SearchFilters())
    assert {r.source for r in widened} == {Source.OFFICIAL, Source.COMMUNITY}
