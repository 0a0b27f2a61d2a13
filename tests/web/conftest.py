"""Web fixtures: an app on a migrated SQLite database with the demo content and a fast embedder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.config import Settings
from kb.db import make_engine, make_session_factory
from kb.importer import import_path
from kb.knowledge_base import KnowledgeBase
from kb.migrate import upgrade
from tests.kb.fakes import HashingEmbedder
from tests.web.chat_helpers import FakeRasa
from web import create_app

DEMO = Path(__file__).resolve().parents[2] / "demo"


@pytest.fixture(scope="session")
def demo_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """A knowledge base holding the demo help centre (built once per run)."""
    folder = tmp_path_factory.mktemp("web")
    settings = Settings(data_dir=folder)
    upgrade(url=settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    kb = KnowledgeBase(
        settings=settings,
        session_factory=make_session_factory(engine),
        embedder=HashingEmbedder(),
        engine=engine,
    )
    import_path(kb.sessions, DEMO / "articles")
    import_path(kb.sessions, DEMO / "community.jsonl")
    kb.rebuild()
    yield kb
    kb.close()


def build_app(kb: KnowledgeBase, *, csrf: bool = True, **settings: object) -> Flask:
    """The app on ``kb`` in testing mode; CSRF off lets tests post forms directly."""
    config = {"TESTING": True, "WTF_CSRF_ENABLED": csrf}
    return create_app(config, settings=kb.settings.model_copy(update=settings), knowledge_base=kb)


@pytest.fixture
def app(demo_kb: KnowledgeBase) -> Flask:
    """The Flask app in testing mode."""
    return build_app(demo_kb)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    """A fake Rasa server (real HTTP on a loopback port) for this test."""
    server = FakeRasa()
    yield server
    server.close()


@pytest.fixture
def chat_app(demo_kb: KnowledgeBase, fake_rasa: FakeRasa) -> Flask:
    """The app with its bot at the fake Rasa server."""
    return build_app(demo_kb, rasa_url=fake_rasa.url, bot_timeout_seconds=2)
