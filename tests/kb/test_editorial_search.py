"""Publishing, unpublishing and archiving through ``kb.editorial`` update search within 1 second."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kb import editorial
from kb.config import Settings
from kb.db import make_engine, make_session_factory, transaction
from kb.knowledge_base import KnowledgeBase
from kb.models import Role, User
from tests.kb.fakes import HashingEmbedder

LIMIT = 1.0
BODY = "Gift cards never expire and can be spent online or in any store."


@pytest.fixture
def kb(fresh_db_url: str, tmp_path: Path) -> Iterator[KnowledgeBase]:
    """A knowledge base on a database of this test's own, with an editor in it."""
    engine: Engine = make_engine(fresh_db_url)
    knowledge_base = KnowledgeBase(
        settings=Settings(data_dir=tmp_path, database_url=fresh_db_url),
        session_factory=make_session_factory(engine),
        embedder=HashingEmbedder(),
    )
    knowledge_base.load_or_rebuild()
    with transaction(knowledge_base.sessions) as session:
        session.add(User(display_name="Edna", email="edna@example.com", role=Role.EDITOR))
    yield knowledge_base
    knowledge_base.close()
    engine.dispose()


def _act(kb: KnowledgeBase, action: str, target: str = "gift-cards", **changes: object) -> None:
    """Run one editorial action in a committed transaction, as the web app would."""
    with transaction(kb.sessions) as session:
        editor = session.query(User).filter_by(email="edna@example.com").one()
        article = editorial.resolve_slug(session=session, slug=target)
        if action == "edit":
            editorial.edit(session=session, article=article, editor=editor, **changes)
        else:
            getattr(editorial, action)(session=session, article=article, editor=editor)


def _public_refs(kb: KnowledgeBase, query: str) -> list[str]:
    """Refs of what a customer's search finds."""
    return [hit.ref for hit in kb.search(query).hits]


def _within_a_second(kb: KnowledgeBase, query: str, *, found: str | None, gone: str | None) -> None:
    """Wait (at most LIMIT seconds) until ``found`` is a hit and ``gone`` is not."""
    started = time.monotonic()
    while True:
        refs = _public_refs(kb, query)
        if (found is None or found in refs) and (gone is None or gone not in refs):
            return
        assert time.monotonic() - started < LIMIT, f"search not updated within 1 s: {refs}"
        time.sleep(0.05)


def test_publish_unpublish_archive_reach_search_within_a_second(kb: KnowledgeBase) -> None:
    """Each move shows in a customer's search within 1 s; the draft never does."""
    with transaction(kb.sessions) as session:
        editor = session.query(User).filter_by(email="edna@example.com").one()
        editorial.create_draft(session=session, editor=editor, title="Gift cards", body=BODY)
    kb.sync(force=True)
    assert "gift-cards" not in _public_refs(kb, "gift cards expire")
    _act(kb, "publish")
    _within_a_second(kb, "gift cards expire", found="gift-cards", gone=None)
    _act(kb, "unpublish")
    _within_a_second(kb, "gift cards expire", found=None, gone="gift-cards")
    _act(kb, "publish")
    _within_a_second(kb, "gift cards expire", found="gift-cards", gone=None)
    _act(kb, "archive")
    _within_a_second(kb, "gift cards expire", found=None, gone="gift-cards")


def test_pending_changes_reach_search_only_when_published(kb: KnowledgeBase) -> None:
    """A live article's pending edit (new words, new slug) is invisible until published."""
    with transaction(kb.sessions) as session:
        editor = session.query(User).filter_by(email="edna@example.com").one()
        article = editorial.create_draft(
            session=session, editor=editor, title="Gift cards", body=BODY
        )
        editorial.publish(session=session, article=article, editor=editor)
    _act(kb, "edit", body="Vouchers are refundable within thirty days.", slug="vouchers")
    kb.sync(force=True)
    assert _public_refs(kb, "gift cards expire")[0] == "gift-cards"
    assert "vouchers" not in _public_refs(kb, "vouchers refundable thirty days")
    _act(kb, "publish", "gift-cards")
    _within_a_second(kb, "vouchers refundable thirty days", found="vouchers", gone="gift-cards")
