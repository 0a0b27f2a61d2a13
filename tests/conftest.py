"""Shared fixtures: migrated databases on SQLite and PostgreSQL, and a rolled-back session per test.

``db_url``/``engine`` are migrated once per backend and test run (with ``kb.migrate.upgrade``,
so the migrations themselves are exercised); ``session`` wraps each test in a transaction that is
rolled back afterwards. Tests that must commit (several connections at once) or that test the
migrations use ``fresh_db_url`` / ``empty_db_url``, which give them a database of their own.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from kb.db import make_engine
from kb.migrate import upgrade

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@contextmanager
def empty_database(backend: str, folder: Path) -> Iterator[str]:
    """Yield the URL of a new, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'tier0.sqlite3'}"
        return
    schema = f"t_{secrets.token_hex(6)}"
    admin = make_engine(POSTGRES_URL, poolclass=NullPool)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend under test: ``sqlite`` or ``postgresql``."""
    return str(request.param)


@pytest.fixture(scope="session")
def db_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to the newest schema, shared by the whole test run."""
    with empty_database(backend, tmp_path_factory.mktemp("db")) as url:
        upgrade(url=url)
        yield url


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the shared migrated database."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test, leaving no trace."""
    with engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection, expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


@pytest.fixture
def empty_db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database for this test only."""
    with empty_database(backend, tmp_path) as url:
        yield url


@pytest.fixture
def fresh_db_url(empty_db_url: str) -> str:
    """A newly migrated database for this test only, for tests that commit."""
    upgrade(url=empty_db_url)
    return empty_db_url


@pytest.fixture(scope="session")
def stack_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A data dir with the demo help centre for the whole stack (real model)."""
    from tests.stack import demo_environment

    return demo_environment(tmp_path_factory.mktemp("stack-data"))


@pytest.fixture(scope="module")
def stack(stack_env: dict[str, str]) -> Iterator[Any]:
    """The action server, the Rasa server and the web app, healthy (one set per test module)."""
    from tests.stack import free_port
    from web.stack import Ports, Stack, running

    ports = Ports(web=free_port(), rasa=free_port(), actions=free_port())
    with running(Stack(ports=ports, env=stack_env)) as started:
        yield started
