"""/account/tokens: staff list, create (secret shown once) and revoke tokens; admins see all."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.knowledge_base import KnowledgeBase
from kb.models import ApiToken, Role
from tests.web.conftest import build_app
from tests.web.people import PASSWORD, sign_up
from tests.web.staff_helpers import Staff, make_staff, sign_in


@pytest.fixture
def app(demo_kb: KnowledgeBase) -> Flask:
    """The app with CSRF off, so tests can post forms directly."""
    return build_app(demo_kb, csrf=False)


def signed_in(app: Flask, staff: Staff) -> FlaskClient:
    """A client signed in as ``staff``."""
    client = app.test_client()
    sign_in(client, staff)
    return client


def token_rows(kb: KnowledgeBase, user_id: int) -> list[ApiToken]:
    """The stored tokens of one person, newest first."""
    with kb.sessions() as session:
        query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
        return list(session.scalars(query))


def test_create_shows_the_secret_once_and_it_works(app: Flask, demo_kb: KnowledgeBase) -> None:
    """The new token's secret is on the response page only, and it authenticates the API."""
    editor = make_staff(demo_kb, Role.EDITOR)
    client = signed_in(app, editor)
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "Your tokens" in page and 'id="new-token-form"' in page
    assert "Everyone else's tokens" not in page  # editors see only their own

    created = client.post("/account/tokens", data={"name": "  Reporting   script "})
    assert created.status_code == 200
    html = created.get_data(as_text=True)
    secret = re.search(r'id="token-secret" value="(t0_[^"]+)"', html)
    assert secret, html
    assert "shown only this once" in html
    newest = token_rows(demo_kb, editor.id)[0]
    assert newest.name == "Reporting script" and secret.group(1).startswith(newest.prefix)
    assert newest.token_hash != secret.group(1)

    again = client.get("/account/tokens").get_data(as_text=True)
    assert secret.group(1) not in again and "Reporting script" in again
    assert f"{newest.prefix}…" in again
    # An editor's token authenticates (and is then refused by role, not as unknown).
    api = client.get("/api/v1/customers/x", headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert api.status_code == 403


def test_create_checks_the_name(app: Flask, demo_kb: KnowledgeBase) -> None:
    """A missing or too long name is a 400 with the reason, and nothing is made."""
    agent = make_staff(demo_kb, Role.AGENT)
    client = signed_in(app, agent)
    before = len(token_rows(demo_kb, agent.id))
    empty = client.post("/account/tokens", data={"name": "  "})
    assert empty.status_code == 400
    assert "Give the token a name" in empty.get_data(as_text=True)
    long = client.post("/account/tokens", data={"name": "x" * 81})
    assert long.status_code == 400 and "at most 80 characters" in long.get_data(as_text=True)
    assert len(token_rows(demo_kb, agent.id)) == before


def test_revoke_own_token(app: Flask, demo_kb: KnowledgeBase) -> None:
    """Revoking is a POST; the token stops working and is shown as revoked."""
    agent = make_staff(demo_kb, Role.AGENT)
    client = signed_in(app, agent)
    token = token_rows(demo_kb, agent.id)[0]
    assert client.get("/api/v1/customers/x", headers=agent.headers).status_code == 404
    assert client.get(f"/account/tokens/{token.id}/revoke").status_code == 405
    response = client.post(f"/account/tokens/{token.id}/revoke", follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Token “tests” is revoked" in page and "Revoked " in page
    assert token_rows(demo_kb, agent.id)[0].revoked_at is not None
    assert client.get("/api/v1/customers/x", headers=agent.headers).status_code == 401


def test_only_admins_revoke_other_peoples_tokens(app: Flask, demo_kb: KnowledgeBase) -> None:
    """An agent cannot touch a colleague's token; an admin sees and revokes it."""
    owner, other = make_staff(demo_kb, Role.AGENT), make_staff(demo_kb, Role.AGENT)
    token = token_rows(demo_kb, owner.id)[0]
    client = signed_in(app, other)
    refused = client.post(f"/account/tokens/{token.id}/revoke", follow_redirects=True)
    assert f"There is no token {token.id} of yours to revoke." in refused.get_data(as_text=True)
    assert token_rows(demo_kb, owner.id)[0].revoked_at is None
    assert owner.email not in client.get("/account/tokens").get_data(as_text=True)

    admin = make_staff(demo_kb, Role.ADMIN)
    admin_client = signed_in(app, admin)
    page = admin_client.get("/account/tokens").get_data(as_text=True)
    assert "Everyone else's tokens" in page and owner.email in page
    done = admin_client.post(f"/account/tokens/{token.id}/revoke", follow_redirects=True)
    assert f"of {owner.email} is revoked" in done.get_data(as_text=True)
    assert token_rows(demo_kb, owner.id)[0].revoked_at is not None


def test_customers_and_visitors_are_kept_out(app: Flask) -> None:
    """Visitors are sent to sign in; customers get 403."""
    client = app.test_client()
    response = client.get("/account/tokens")
    assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]
    sign_up(client)
    assert client.get("/account/tokens").status_code == 403
    assert client.post("/account/tokens", data={"name": "x"}).status_code == 403


def test_revoke_needs_the_csrf_token(demo_kb: KnowledgeBase) -> None:
    """With CSRF on, a revoke without the token changes nothing."""
    app = build_app(demo_kb, csrf=True)
    agent = make_staff(demo_kb, Role.AGENT)
    client = app.test_client()
    page = client.get("/account/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    signed = client.post(
        "/account/sign-in",
        data={"email": agent.email, "password": PASSWORD, "csrf_token": csrf.group(1)},
    )
    assert signed.status_code == 302
    token = token_rows(demo_kb, agent.id)[0]
    response = client.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 400
    assert token_rows(demo_kb, agent.id)[0].revoked_at is None
