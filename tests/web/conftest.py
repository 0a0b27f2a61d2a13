"""Web fixtures: an app on a migrated SQLite database with the demo content and a fast embedder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.knowledge_base import KnowledgeBase
from tests.web.chat_helpers import FakeRasa
from tests.web.kbs import fresh_kb
from web import create_app


@pytest.fixture(scope="session")
def demo_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """A knowledge base holding the demo help centre (built once per run)."""
    kb = fresh_kb(tmp_path_factory.mktemp("web"))
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
