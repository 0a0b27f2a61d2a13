"""Apply Tier0's Alembic migrations from Python, wherever the process was started."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.pool import NullPool

from kb.db import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def upgrade(*, url: str) -> None:
    """Bring the database at ``url`` up to the newest schema (``alembic upgrade head``)."""
    _run(command.upgrade, url=url, revision="head")


def downgrade(*, url: str, revision: str) -> None:
    """Take the database at ``url`` back to ``revision`` (``"base"`` drops every table)."""
    _run(command.downgrade, url=url, revision=revision)


def current(*, url: str) -> str | None:
    """The revision the database at ``url`` is at, or None if it was never migrated."""
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def prepare_connection(connection: Connection) -> None:
    """Make a fresh connection safe to migrate: SQLite must not cascade while tables are rebuilt.

    Batch migrations on SQLite copy a table, drop the original and rename the copy; with
    foreign keys enforced, dropping a parent table would run its ``ON DELETE CASCADE`` rules.
    The pragma only takes effect outside a transaction, hence the commit.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()


def _config(connection: Connection) -> Config:
    """An Alembic config pointing at the repository's migrations and running on ``connection``."""
    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise FileNotFoundError(f"Tier0's migrations are missing: no env.py in {MIGRATIONS_DIR}")
    config = Config()
    # Config values go through configparser interpolation, so a literal % must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def _run(action: Callable[[Config, str], None], *, url: str, revision: str) -> None:
    """Run an Alembic command (upgrade or downgrade) to ``revision`` on a connection of its own."""
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            prepare_connection(connection)
            action(_config(connection), revision)
            connection.commit()
    finally:
        engine.dispose()
