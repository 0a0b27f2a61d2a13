"""The knowledge base: the database of record plus a search index kept current from its change log."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from kb.changes import changes_since, latest_change_id
from kb.confidence import decide
from kb.config import Settings
from kb.db import make_engine, make_session_factory
from kb.documents import SearchDocument, Source
from kb.embeddings import Embedder, make_embedder
from kb.index_store import IndexMismatch, load_index, read_manifest, save_index
from kb.models import Answer, Article, Moderation, Question
from kb.results import Related, SearchFilters, SearchResult
from kb.search import Mode, SearchEngine

log = logging.getLogger(__name__)

SYNC_INTERVAL = 0.25
"""Seconds between checks of the change log: other processes' edits are searchable within ~1 s."""


def article_document(article: Article) -> SearchDocument:
    """How an article appears in the search index."""
    return SearchDocument(
        key=f"article:{article.id}",
        source=Source.OFFICIAL,
        ref=article.slug,
        title=article.title,
        body=article.body,
        summary=article.summary,
        category=article.category.slug if article.category else None,
        status=article.status.value,
        public=True,
        phrasings=tuple(p.text for p in article.phrasings),
    )


def _indexable(answer: Answer) -> bool:
    """Community answers worth finding: visible, and accepted or voted up."""
    return answer.moderation == Moderation.VISIBLE and (answer.accepted or answer.score > 0)


def question_document(question: Question) -> SearchDocument | None:
    """How a community thread appears in the index (None when it is not shown at all)."""
    if question.moderation != Moderation.VISIBLE:
        return None
    answers = sorted(
        (a for a in question.answers if _indexable(a)), key=lambda a: (not a.accepted, -a.score)
    )
    return SearchDocument(
        key=f"question:{question.id}",
        source=Source.COMMUNITY,
        ref=str(question.id),
        title=question.title,
        body=question.body,
        category=question.category.slug if question.category else None,
        status="published" if answers else "unanswered",
        public=True,
        answers=tuple(a.body for a in answers),
    )


class KnowledgeBase:
    """Articles and community answers in a database, searchable through a hybrid index."""

    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: sessionmaker[Session],
        embedder: Embedder,
        engine: Engine | None = None,
        persist: bool = True,
    ) -> None:
        """Wire the parts together; use :meth:`open` unless you are passing in fakes."""
        self.settings = settings
        self.sessions = session_factory
        self.embedder = embedder
        self.db_engine = engine
        self.persist = persist
        self.search_engine = SearchEngine(embedder, batch_size=settings.embedding_batch_size)
        self.content_version = 0
        self._sync_lock = threading.Lock()
        self._last_sync = 0.0
        self._unsaved_changes = 0

    @classmethod
    def connect(
        cls, settings: Settings, *, embedder: Embedder | None = None, persist: bool = True
    ) -> KnowledgeBase:
        """Connect to the configured database; the index is empty until loaded or rebuilt."""
        engine = make_engine(settings.resolved_database_url)
        return cls(
            settings=settings,
            session_factory=make_session_factory(engine),
            embedder=embedder
            or make_embedder(
                settings.embedding_model,
                backend=settings.embedding_backend,
                cache_dir=settings.cache_dir,
                threads=settings.embedding_threads,
            ),
            engine=engine,
            persist=persist,
        )

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        persist: bool = True,
        progress: bool = False,
    ) -> KnowledgeBase:
        """Connect to the database and load the persisted index, rebuilding it if it does not fit."""
        kb = cls.connect(settings, embedder=embedder, persist=persist)
        kb.load_or_rebuild(progress=progress)
        return kb

    def close(self) -> None:
        """Save pending index changes and release the database connections."""
        if self.persist and self._unsaved_changes:
            self.save()
        if self.db_engine is not None:
            self.db_engine.dispose()

    # -- the index -------------------------------------------------------------------------

    @property
    def index_dir(self) -> Path:
        """Where the index is persisted."""
        return self.settings.index_dir

    def load_or_rebuild(self, *, progress: bool = False) -> None:
        """Use the persisted index if it fits the model and the database, else rebuild it."""
        if self.persist and read_manifest(self.index_dir) is not None:
            try:
                manifest, state = load_index(
                    self.index_dir, model=self.embedder.name, dimension=self.embedder.dimension
                )
            except IndexMismatch as error:
                log.warning("%s", error)
            else:
                with self.sessions() as session:
                    latest = latest_change_id(session=session)
                if manifest.content_version <= latest:
                    self.search_engine.restore(state)
                    self.content_version = manifest.content_version
                    self.sync(force=True)
                    return
                log.warning("The search index is newer than the database; rebuilding it.")
        self.rebuild(progress=progress)

    def rebuild(self, *, progress: bool = False) -> int:
        """Rebuild the whole index from the database; returns the number of documents."""
        with self.sessions() as session:
            version = latest_change_id(session=session)
            docs = list(self._all_documents(session))
        self.search_engine.build(docs, progress=progress)
        self.content_version = version
        self._last_sync = time.monotonic()
        if self.persist:
            self.save()
        return len(docs)

    def save(self) -> None:
        """Persist the index with its manifest."""
        save_index(
            self.index_dir,
            self.search_engine.export_state(),
            model=self.embedder.name,
            dimension=self.embedder.dimension,
            content_version=self.content_version,
        )
        self._unsaved_changes = 0

    def sync(self, *, force: bool = False) -> int:
        """Apply database changes made since the index was last brought up to date."""
        now = time.monotonic()
        if not force and now - self._last_sync < SYNC_INTERVAL:
            return 0
        with self._sync_lock:
            self._last_sync = now
            with self.sessions() as session:
                changes = changes_since(session=session, after=self.content_version)
                if not changes:
                    return 0
                articles = {c.entity_id for c in changes if c.kind == "article"}
                questions = {c.entity_id for c in changes if c.kind == "question"}
                docs = list(self._documents(session, articles, questions))
            found = {d.key for d in docs}
            gone = {f"article:{i}" for i in articles} | {f"question:{i}" for i in questions}
            self.search_engine.remove(gone - found)
            self.search_engine.upsert(docs)
            self.content_version = changes[-1].id
            self._unsaved_changes += len(changes)
            return len(changes)

    def _all_documents(self, session: Session) -> Iterable[SearchDocument]:
        """Every indexable document in the database."""
        yield from self._documents(session, None, None)

    def _documents(
        self, session: Session, articles: set[int] | None, questions: set[int] | None
    ) -> Iterable[SearchDocument]:
        """Indexable documents, all of them or only the given ids."""
        article_query = select(Article).options(selectinload(Article.phrasings))
        if articles is not None:
            article_query = article_query.where(Article.id.in_(articles))
        if articles is None or articles:
            for article in session.scalars(article_query).unique():
                yield article_document(article)
        question_query = select(Question).options(selectinload(Question.answers))
        if questions is not None:
            question_query = question_query.where(Question.id.in_(questions))
        if questions is None or questions:
            for question in session.scalars(question_query).unique():
                doc = question_document(question)
                if doc is not None:
                    yield doc

    # -- searching -------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        filters: SearchFilters | None = None,
        mode: Mode = Mode.HYBRID,
    ) -> SearchResult:
        """Search current content; the result's decision applies the configured thresholds."""
        self.sync()
        result = self.search_engine.search(
            query, limit=limit, offset=offset, filters=filters, mode=mode
        )
        decision = decide(
            result.confidence,
            answer_threshold=self.settings.answer_threshold,
            suggest_threshold=self.settings.suggest_threshold,
        )
        return replace(result, decision=decision)

    def related(
        self, key: str, *, limit: int = 5, filters: SearchFilters | None = None
    ) -> list[Related]:
        """Published official articles nearest in meaning to the document ``key``, excluding it.

        ``key`` is an index key such as ``article:12``; pass ``filters`` to widen the choice
        (e.g. to community threads too).
        """
        self.sync()
        filters = filters or SearchFilters(sources=frozenset({Source.OFFICIAL}))
        return self.search_engine.related(key, limit=limit, filters=filters)
