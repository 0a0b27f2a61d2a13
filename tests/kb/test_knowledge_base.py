"""The knowledge base keeps its index current from the database's change log, incrementally."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kb.articles import add_phrasing, delete_article, get_article, save_article, set_status
from kb.config import Settings
from kb.db import make_engine, make_session_factory, transaction
from kb.knowledge_base import KnowledgeBase
from kb.models import ArticleStatus, PhrasingSource
from kb.results import SearchFilters
from tests.kb.fakes import HashingEmbedder

RETURNS = "## Step by step\n\nPrint the prepaid label and drop the parcel at any carrier point."
SHIPPING = "Standard shipping takes 3 to 7 business days; express takes 1 to 2."


@pytest.fixture
def db(fresh_db_url: str) -> Engine:
    """A migrated database of this test's own."""
    engine = make_engine(fresh_db_url)
    yield engine
    engine.dispose()


def _open(db: Engine, tmp_path: Path, embedder: HashingEmbedder | None = None) -> KnowledgeBase:
    """A knowledge base on the test database persisting its index under tmp_path."""
    settings = Settings(data_dir=tmp_path, database_url=str(db.url))
    kb = KnowledgeBase(
        settings=settings,
        session_factory=make_session_factory(db),
        embedder=embedder or HashingEmbedder(),
    )
    kb.load_or_rebuild()
    return kb


def _publish(db: Engine, title: str, body: str, **kwargs: object) -> None:
    """Save and publish an article in a committed transaction, as another process would."""
    with transaction(make_session_factory(db)) as session:
        save_article(session=session, title=title, body=body, status="published", **kwargs)


def _refs(kb: KnowledgeBase, query: str, filters: SearchFilters | None = None) -> list[str]:
    """The refs of the hits for a query."""
    return [hit.ref for hit in kb.search(query, filters=filters).hits]


def test_rebuild_then_search(db: Engine, tmp_path: Path) -> None:
    """A rebuild indexes published articles and finds them by their words."""
    _publish(db, "How to return an item", RETURNS)
    _publish(db, "Shipping times", SHIPPING)
    kb = _open(db, tmp_path)
    assert _refs(kb, "prepaid label return")[0] == "how-to-return-an-item"
    assert _refs(kb, "express shipping days")[0] == "shipping-times"


def test_publish_is_incremental_and_searchable_within_a_second(db: Engine, tmp_path: Path) -> None:
    """A newly published article is found within 1 s, embedding only its own passages."""
    _publish(db, "Shipping times", SHIPPING)
    embedder = HashingEmbedder()
    kb = _open(db, tmp_path, embedder)
    embedder.reset_counts()
    _publish(db, "Gift cards", "Gift cards never expire and work online.")
    started = time.monotonic()
    while "gift-cards" not in _refs(kb, "gift cards expire"):
        assert time.monotonic() - started < 1.0, "not searchable within 1 s"
        time.sleep(0.05)
    passages = [t for t in embedder.texts if "Gift cards" in t]
    assert passages and len(embedder.texts) - embedder.calls <= len(passages) + 2


def test_edit_unpublish_and_delete(db: Engine, tmp_path: Path) -> None:
    """Edits change what matches, drafts are staff-only, deletions disappear."""
    _publish(db, "Shipping times", SHIPPING)
    kb = _open(db, tmp_path)
    _publish(
        db,
        "Shipping times",
        "Parcels to Canada travel by courier in 5 days.",
        slug="shipping-times",
    )
    kb.sync(force=True)
    assert _refs(kb, "canada courier")[0] == "shipping-times"
    factory = make_session_factory(db)
    with transaction(factory) as session:
        set_status(
            session=session,
            article=get_article(session=session, slug="shipping-times"),
            status=ArticleStatus.DRAFT,
        )
    kb.sync(force=True)
    assert "shipping-times" not in _refs(kb, "canada courier")
    assert "shipping-times" in _refs(kb, "canada courier", SearchFilters.staff())
    with transaction(factory) as session:
        delete_article(session=session, article=get_article(session=session, slug="shipping-times"))
    kb.sync(force=True)
    assert "shipping-times" not in _refs(kb, "canada courier", SearchFilters.staff())


def test_confirmed_phrasing_makes_an_article_easier_to_find(db: Engine, tmp_path: Path) -> None:
    """A question confirmed as answered by an article becomes a way to find it."""
    _publish(db, "How to return an item", RETURNS)
    _publish(db, "Shipping times", SHIPPING)
    kb = _open(db, tmp_path)
    question = "my parcel came but the sleeping bag smells weird"
    before = kb.search(question).hits
    with transaction(make_session_factory(db)) as session:
        article = get_article(session=session, slug="how-to-return-an-item")
        add_phrasing(
            session=session,
            article=article,
            text=question,
            source=PhrasingSource.CONFIRMED_RESOLUTION,
        )
    kb.sync(force=True)
    after = kb.search(question).hits
    assert after[0].ref == "how-to-return-an-item"
    assert after[0].score > next(h.score for h in before if h.ref == "how-to-return-an-item")


def test_index_persists_and_catches_up_on_reopen(db: Engine, tmp_path: Path) -> None:
    """Reopening loads the saved index without re-embedding and replays later changes."""
    _publish(db, "Shipping times", SHIPPING)
    kb = _open(db, tmp_path)
    kb.close()
    _publish(db, "Gift cards", "Gift cards never expire and work online.")
    embedder = HashingEmbedder()
    reopened = _open(db, tmp_path, embedder)
    assert "gift-cards" in _refs(reopened, "gift cards expire")
    assert all("Shipping" not in text for text in embedder.texts), "old content was re-embedded"


def test_index_for_another_model_is_rebuilt(
    db: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An index built with another model is refused with a clear message, then rebuilt."""
    _publish(db, "Shipping times", SHIPPING)
    _open(db, tmp_path, HashingEmbedder(name="model-a")).close()
    kb = _open(db, tmp_path, HashingEmbedder(name="model-b"))
    assert "model-a" in caplog.text and "rebuilt" in caplog.text
    assert _refs(kb, "express shipping")[0] == "shipping-times"


def test_two_processes_see_each_others_changes(db: Engine, tmp_path: Path) -> None:
    """Two knowledge bases on one database (web app and bot) both pick up a change."""
    _publish(db, "Shipping times", SHIPPING)
    first = _open(db, tmp_path / "a")
    second = _open(db, tmp_path / "b")
    _publish(db, "Gift cards", "Gift cards never expire and work online.")
    for kb in (first, second):
        kb.sync(force=True)
        assert _refs(kb, "gift cards expire")[0] == "gift-cards"
