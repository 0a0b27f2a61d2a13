"""The Alembic migrations build exactly the schema kb.models declares, from Python and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from kb.db import make_engine
from kb.migrate import MIGRATIONS_DIR, current, downgrade, upgrade
from kb.models import Base

HEAD = "0006"
"""The newest migration; bump it with each new one."""

REPO = Path(__file__).resolve().parents[2]
ALEMBIC = Path(sys.executable).parent / "alembic"


def schema_diff(url: str) -> list[object]:
    """What autogenerate would change to make the database match the models (empty when equal)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    """The tables in the database."""
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def run_alembic(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run the alembic command line with Tier0's alembic.ini; its combined output."""
    result = subprocess.run(
        [str(ALEMBIC), "-c", str(REPO / "alembic.ini"), *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def test_shared_database_matches_models(db_url: str) -> None:
    """The database the other tests use was migrated to exactly the models' schema."""
    assert schema_diff(db_url) == []
    assert current(url=db_url) == HEAD


def test_upgrade_builds_exactly_the_models(empty_db_url: str) -> None:
    """After ``upgrade`` alembic's compare_metadata finds no difference."""
    assert current(url=empty_db_url) is None
    upgrade(url=empty_db_url)
    assert current(url=empty_db_url) == HEAD
    assert schema_diff(empty_db_url) == []
    assert table_names(empty_db_url) == set(Base.metadata.tables) | {"alembic_version"}


def test_upgrade_twice_is_harmless(empty_db_url: str) -> None:
    """Upgrading an up-to-date database changes nothing."""
    upgrade(url=empty_db_url)
    upgrade(url=empty_db_url)
    assert current(url=empty_db_url) == HEAD


def test_downgrade_to_base_and_back(empty_db_url: str) -> None:
    """The initial migration can be undone completely and applied again."""
    upgrade(url=empty_db_url)
    downgrade(url=empty_db_url, revision="base")
    assert current(url=empty_db_url) is None
    assert table_names(empty_db_url) == {"alembic_version"}
    upgrade(url=empty_db_url)
    assert schema_diff(empty_db_url) == []


def test_upgrade_from_another_directory(
    empty_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``kb.migrate`` finds the migrations next to the package, not via the working directory."""
    monkeypatch.chdir(tmp_path)
    assert not (tmp_path / "alembic.ini").exists()
    upgrade(url=empty_db_url)
    assert current(url=empty_db_url) == HEAD
    assert MIGRATIONS_DIR == REPO / "migrations"


def test_command_line_with_url_argument(empty_db_url: str, tmp_path: Path) -> None:
    """``alembic -c .../alembic.ini -x url=...`` works from any directory."""
    run_alembic("-x", f"url={empty_db_url}", "upgrade", "head", cwd=tmp_path)
    assert current(url=empty_db_url) == HEAD
    assert schema_diff(empty_db_url) == []


def test_command_line_uses_the_settings_url(tmp_path: Path) -> None:
    """Without ``-x url`` the URL comes from the Tier0 settings, and ``alembic check`` is clean."""
    url = f"sqlite:///{tmp_path / 'from-settings.sqlite3'}"
    settings_env = {"TIER0_DATABASE_URL": url}
    run_alembic("upgrade", "head", cwd=tmp_path, env=settings_env)
    assert current(url=url) == HEAD
    output = run_alembic("check", cwd=tmp_path, env=settings_env)
    assert "No new upgrade operations detected" in output


def test_offline_sql_for_postgresql(tmp_path: Path) -> None:
    """``upgrade --sql`` renders the DDL without connecting to a server."""
    url = "postgresql+psycopg://nobody@unreachable.invalid/none"
    output = run_alembic("-x", f"url={url}", "upgrade", "head", "--sql", cwd=tmp_path)
    assert "CREATE TABLE articles" in output
    assert "CREATE TABLE votes" in output


def test_head_is_the_newest_migration() -> None:
    """HEAD names the last file in migrations/versions, so the tests above check the newest schema."""
    newest = max(p.name for p in (MIGRATIONS_DIR / "versions").glob("0*.py"))
    assert newest.startswith(HEAD + "_")


def test_help_centre_migration_keeps_existing_rows(empty_db_url: str) -> None:
    """Rows written under 0001 get defaults for the columns 0002 adds."""
    downgrade_target = "0001"
    upgrade(url=empty_db_url)
    downgrade(url=empty_db_url, revision=downgrade_target)
    engine = make_engine(empty_db_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO users (email, display_name, role, created_at) "
            "VALUES ('a@example.com', 'A', 'customer', CURRENT_TIMESTAMP)"
        )
    upgrade(url=empty_db_url)
    with engine.connect() as connection:
        suspended = connection.exec_driver_sql("SELECT suspended FROM users").scalar_one()
    engine.dispose()
    assert not suspended
