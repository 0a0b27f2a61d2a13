"""Knowledge bases on the demo help centre for bot tests: fast (hashing embedder) or the real model."""

from __future__ import annotations

from pathlib import Path

from kb.config import Settings
from kb.db import make_engine, make_session_factory
from kb.embeddings import Embedder, make_embedder
from kb.importer import import_path
from kb.knowledge_base import KnowledgeBase
from kb.migrate import upgrade

DEMO = Path(__file__).resolve().parents[2] / "demo"


def demo_knowledge_base(folder: Path, embedder: Embedder | None = None) -> KnowledgeBase:
    """A new knowledge base in ``folder`` holding the demo content; the real model by default."""
    settings = Settings(_env_file=None, data_dir=folder)  # type: ignore[call-arg]
    upgrade(url=settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    kb = KnowledgeBase(
        settings=settings,
        session_factory=make_session_factory(engine),
        embedder=embedder
        or make_embedder(
            settings.embedding_model,
            backend=settings.embedding_backend,
            cache_dir=settings.cache_dir,
        ),
        engine=engine,
        persist=False,
    )
    import_path(kb.sessions, DEMO / "articles")
    import_path(kb.sessions, DEMO / "community.jsonl")
    kb.rebuild()
    return kb
