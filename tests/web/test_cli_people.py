"""``tier0 users …`` and ``tier0 customers import`` through click's CliRunner on the demo database."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import select
from werkzeug.security import check_password_hash

from kb.knowledge_base import KnowledgeBase
from kb.models import Customer, Role, User
from tests.web.conftest import build_app
from tests.web.people import PASSWORD
from web.cli import main


@pytest.fixture
def app(demo_kb: KnowledgeBase) -> Flask:
    """The app on the same database the commands use."""
    return build_app(demo_kb, csrf=True)


Tier0 = Callable[..., Result]


@pytest.fixture
def tier0(demo_kb: KnowledgeBase) -> Tier0:
    """Run ``tier0 ARGS`` against the demo database."""
    env = {"TIER0_DATABASE_URL": demo_kb.settings.resolved_database_url}

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env=env, input=input)

    return run


def address() -> str:
    """A unique staff email address."""
    return f"cli{uuid.uuid4().hex[:8]}@example.com"


def stored(kb: KnowledgeBase, email: str) -> User | None:
    """The account with ``email``."""
    with kb.sessions() as session:
        return session.scalar(select(User).where(User.email == email))


def printed_token(output: str) -> str:
    """The token a command printed after its label."""
    match = re.search(r"shown only this once.*\n\s+(t0_\S+)", output)
    assert match, output
    return match.group(1)


def test_create_with_api_token_and_push_a_customer(
    tier0: Tier0, demo_kb: KnowledgeBase, app: Flask
) -> None:
    """`users create --api-token` prints a token that works against PUT /api/v1/customers."""
    email = address()
    result = tier0(
        "users", "create", email, "--role", "agent", "--name", "Cleo Line", "--api-token",
        "--password-stdin", input=f"{PASSWORD}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"Created agent {email}" in result.output
    token = printed_token(result.output)
    user = stored(demo_kb, email)
    assert user is not None and user.role == Role.AGENT and user.display_name == "Cleo Line"
    assert user.password_hash and user.password_hash != PASSWORD

    key = f"cli-{uuid.uuid4().hex[:8]}"
    client = app.test_client()
    response = client.put(
        f"/api/v1/customers/{key}",
        json={"plan": "plus", "name": "From CLI token"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.get_json()

    assert check_password_hash(user.password_hash, PASSWORD)


def test_create_prompts_for_the_password_twice(tier0: Tier0, demo_kb: KnowledgeBase) -> None:
    """Interactive: typed twice, hidden; no token unless asked."""
    email = address()
    result = tier0("users", "create", email, "--role", "admin", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output and PASSWORD not in result.output
    assert "t0_" not in result.output
    user = stored(demo_kb, email)
    assert user is not None and user.role == Role.ADMIN
    assert user.display_name == email.split("@")[0]


def test_create_refusals(tier0: Tier0) -> None:
    """A short password, a taken address, conflicting flags and a customer role are refused."""
    email = address()
    short = tier0("users", "create", email, "--role", "agent", "--password-stdin", input="short\n")
    assert short.exit_code == 1 and "10 to 128 characters (this one has 5)" in short.output
    assert tier0("users", "create", email, "--role", "agent", "--no-password").exit_code == 0
    again = tier0("users", "create", email.upper(), "--role", "agent", "--no-password")
    assert again.exit_code == 1 and f"An account with {email} already exists." in again.output
    both = tier0(
        "users", "create", address(), "--role", "agent", "--no-password", "--password-stdin"
    )
    assert both.exit_code == 2 and "not both" in both.output
    customer = tier0("users", "create", address(), "--role", "customer", "--no-password")
    assert customer.exit_code == 2 and "'customer' is not one of" in customer.output


def test_no_password_account_and_token_commands(tier0: Tier0, app: Flask) -> None:
    """An API-only account gets a named token, which is listed, revoked and then refused."""
    email = address()
    created = tier0("users", "create", email, "--role", "admin", "--no-password")
    assert "cannot sign in" in created.output
    issued = tier0("users", "token", email, "--name", "CRM sync")
    assert issued.exit_code == 0, issued.output
    token = printed_token(issued.output)
    token_id = re.search(r"Token (\d+) \('CRM sync'\)", issued.output)
    assert token_id, issued.output

    listing = tier0("users", "list")
    assert listing.exit_code == 0
    line = next(line for line in listing.output.splitlines() if email in line)
    assert re.search(r"admin\s+active\*\s+never\s+1\s", line), line
    assert "* no password: API tokens only" in listing.output

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/customers/nobody", headers=headers).status_code == 404
    revoked = tier0("users", "revoke-token", token_id.group(1))
    assert revoked.exit_code == 0 and f"Revoked token {token_id.group(1)}" in revoked.output
    assert client.get("/api/v1/customers/nobody", headers=headers).status_code == 401
    assert "already revoked" in tier0("users", "revoke-token", token_id.group(1)).output
    missing = tier0("users", "revoke-token", "999999")
    assert missing.exit_code == 1 and "no API token with id 999999" in missing.output
    unknown = tier0("users", "token", "nobody@example.com", "--name", "x")
    assert unknown.exit_code == 1 and "no staff member with the email" in unknown.output


def test_customers_import_reports_bad_rows(
    tier0: Tier0, demo_kb: KnowledgeBase, tmp_path: Path
) -> None:
    """Good rows are imported, the bad one reported by line, and the exit code is 1."""
    good, other = f"imp-{uuid.uuid4().hex[:8]}", f"imp-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "customers.csv"
    path.write_text(
        "\ufeffexternal_id,email,name,plan,orders\n"
        f"{good},g@example.com,Good Row,premium,3\n"
        f"{other},,Other Row,,\n"
        "bad-row,,Bad Plan,platinum,1\n",
        encoding="utf-8",
    )
    result = tier0("customers", "import", str(path))
    assert result.exit_code == 1
    assert "2 created, 0 updated, 1 failed" in result.output
    assert "line 4: Unknown plan 'platinum'; use one of: free, plus, premium." in result.output
    with demo_kb.sessions() as session:
        imported = session.scalar(select(Customer).where(Customer.external_id == good))
        assert imported is not None
        assert (imported.plan, imported.attributes) == ("premium", {"orders": "3"})
        assert session.scalar(select(Customer).where(Customer.external_id == "bad-row")) is None

    path.write_text(f"external_id,plan\n{good},plus\n", encoding="utf-8")
    again = tier0("customers", "import", str(path))
    assert again.exit_code == 0 and "0 created, 1 updated, 0 failed" in again.output


def test_customers_import_refuses_a_file_without_ids(tier0: Tier0, tmp_path: Path) -> None:
    """A header without external_id stops the import before any row."""
    path = tmp_path / "bad.csv"
    path.write_text("email,name\na@example.com,A\n", encoding="utf-8")
    result = tier0("customers", "import", str(path))
    assert result.exit_code == 1 and "must name the columns, with external_id" in result.output
    path.write_bytes(b"external_id,name\nx,\xff\xfe\n")
    broken = tier0("customers", "import", str(path))
    assert broken.exit_code == 1 and "not a readable UTF-8 CSV file" in broken.output


def test_tier0_run_knows_whether_anybody_can_sign_in_to_the_desk(tmp_path: Path) -> None:
    """The first-run hint is printed until a staff account exists."""
    from kb.config import Settings
    from kb.migrate import upgrade
    from web.cli import _has_staff

    settings = Settings(data_dir=tmp_path)
    upgrade(url=settings.resolved_database_url)
    assert not _has_staff(settings)
    env = {"TIER0_DATABASE_URL": settings.resolved_database_url}
    result = CliRunner().invoke(
        main, ["users", "create", address(), "--role", "agent", "--no-password"], env=env
    )
    assert result.exit_code == 0, result.output
    assert _has_staff(settings)
