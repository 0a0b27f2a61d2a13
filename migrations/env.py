"""Alembic environment for Tier0: one metadata (kb.models), SQLite or PostgreSQL.

The database URL is taken from, in order: ``alembic -x url=...``; a connection handed over by
``kb.migrate`` in ``config.attributes["connection"]``; the Tier0 settings
(``TIER0_DATABASE_URL``, else the SQLite file in the data directory).
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from kb.config import Settings
from kb.db import make_engine
from kb.migrate import prepare_connection
from kb.models import Base

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None:
    # Only when run from the command line; never reconfigure logging of an app that migrates.
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url_from_command_line() -> str | None:
    """The URL given with ``-x url=...``, if any."""
    return context.get_x_argument(as_dictionary=True).get("url") or None


def run_migrations_offline() -> None:
    """Write the migration SQL to stdout instead of running it (``alembic upgrade --sql``)."""
    url = _url_from_command_line() or Settings().resolved_database_url
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=make_url(url).get_backend_name() == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    """Run the migrations on an open connection."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations against the database."""
    url = _url_from_command_line()
    given: Connection | None = config.attributes.get("connection")
    if url is None and given is not None:
        _run_on(given)
        return
    engine = make_engine(url or Settings().resolved_database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            prepare_connection(connection)
            _run_on(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
