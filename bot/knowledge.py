"""The bot's one adapter to ``kb``: search, and remembering questions that an article answered.

The action server shares one :class:`~kb.knowledge_base.KnowledgeBase` per process, opened on the
first request (never at import time). Tests pass their own :class:`Knowledge` to the actions.
"""

from __future__ import annotations

import logging
import threading
from functools import cache
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from kb.article_health import ArticleEventError, record_article_event
from kb.articles import ArticleError, ArticleNotFound, add_phrasing, get_article
from kb.config import Settings
from kb.knowledge_base import KnowledgeBase
from kb.models import ArticleStatus, PhrasingSource
from kb.results import SearchResult

log = logging.getLogger(__name__)


class Knowledge(Protocol):
    """What the assistant needs from the knowledge base."""

    def search(self, query: str, *, limit: int = 10) -> SearchResult:
        """Search what customers may see; the result carries the answer/suggest/handover decision."""
        ...

    def confirm_resolution(self, *, ref: str, question: str) -> bool:
        """Remember that official article ``ref`` answered ``question``; True if it was new."""
        ...

    def record_event(self, *, ref: str, kind: str, conversation_ref: str = "") -> None:
        """Note that the bot served official article ``ref`` or the customer confirmed/rejected it."""
        ...


class KnowledgeBaseAdapter:
    """:class:`Knowledge` on a real knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        """Wrap an open knowledge base."""
        self.kb = kb

    def search(self, query: str, *, limit: int = 10) -> SearchResult:
        """Search published, public content."""
        return self.kb.search(query, limit=limit)

    def confirm_resolution(self, *, ref: str, question: str) -> bool:
        """Add ``question`` as a confirmed-resolution phrasing of the published article ``ref``."""
        try:
            with self.kb.sessions.begin() as session:
                article = get_article(session=session, slug=ref)
                if article.status != ArticleStatus.PUBLISHED:
                    return False
                phrasing = add_phrasing(
                    session=session,
                    article=article,
                    text=question,
                    source=PhrasingSource.CONFIRMED_RESOLUTION,
                )
                return phrasing is not None
        except (ArticleNotFound, ArticleError) as error:
            log.info("not recording %r as a phrasing of %r: %s", question, ref, error)
            return False

    def record_event(self, *, ref: str, kind: str, conversation_ref: str = "") -> None:
        """Store an article event for the health report; a failure is logged, never raised."""
        try:
            with self.kb.sessions.begin() as session:
                article = get_article(session=session, slug=ref)
                record_article_event(
                    session=session,
                    article=article,
                    kind=kind,
                    conversation_ref=conversation_ref[:64],
                )
        except (ArticleNotFound, ArticleEventError, SQLAlchemyError) as error:
            log.warning("not recording %s of %r: %s", kind, ref, error)


_lock = threading.Lock()


@cache
def shared_settings() -> Settings:
    """The process's settings (from the environment), read once.

    Actions run concurrently in worker threads, so each search embeds its query on one thread
    unless ``TIER0_EMBEDDING_THREADS`` says otherwise, as ``tier0 serve`` does: on a small machine
    a thread pool per query mostly spins, taking CPU from the Rasa server and web.
    """
    settings = Settings()
    if not settings.embedding_threads:
        settings = settings.model_copy(update={"embedding_threads": 1})
    return settings


def shared_knowledge() -> Knowledge:
    """The process's knowledge base, opened on first use with :func:`shared_settings`."""
    with _lock:
        return _open_shared()


@cache
def _open_shared() -> Knowledge:
    """Open the shared knowledge base (once; callers hold the lock)."""
    settings = shared_settings()
    log.info("opening the knowledge base in %s", settings.data_dir)
    return KnowledgeBaseAdapter(KnowledgeBase.open(settings))


class SharedKnowledge:
    """:class:`Knowledge` that opens the process's shared knowledge base only when first used."""

    def search(self, query: str, *, limit: int = 10) -> SearchResult:
        """Search the shared knowledge base."""
        return shared_knowledge().search(query, limit=limit)

    def confirm_resolution(self, *, ref: str, question: str) -> bool:
        """Record a confirmed resolution in the shared knowledge base."""
        return shared_knowledge().confirm_resolution(ref=ref, question=question)

    def record_event(self, *, ref: str, kind: str, conversation_ref: str = "") -> None:
        """Record an article event in the shared knowledge base."""
        shared_knowledge().record_event(ref=ref, kind=kind, conversation_ref=conversation_ref)
