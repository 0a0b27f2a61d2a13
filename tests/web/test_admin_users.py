"""/admin/users: admins list, add, re-role, suspend and reactivate staff; staff sign-in lands on the desk."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.knowledge_base import KnowledgeBase
from kb.models import Role, User
from tests.web.conftest import build_app
from tests.web.kbs import fresh_kb
from tests.web.people import PASSWORD, sign_up
from tests.web.staff_helpers import Staff, make_staff, sign_in


@pytest.fixture
def app(demo_kb: KnowledgeBase) -> Flask:
    """The app with CSRF off, so tests can post forms directly."""
    return build_app(demo_kb, csrf=False)


@pytest.fixture
def admin(demo_kb: KnowledgeBase) -> Staff:
    """An admin."""
    return make_staff(demo_kb, Role.ADMIN)


@pytest.fixture
def admin_client(app: Flask, admin: Staff) -> FlaskClient:
    """A client signed in as the admin."""
    client = app.test_client()
    sign_in(client, admin)
    return client


def row(kb: KnowledgeBase, user_id: int) -> User:
    """The stored account."""
    with kb.sessions() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user


def flashes(page: str) -> str:
    """The flash messages on a page, one a line, with apostrophes unescaped."""
    return "\n".join(re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', page)).replace(
        "&#39;", "'"
    )


def new_staff_form(**fields: str) -> dict[str, str]:
    """A complete add-someone form."""
    name = f"new{uuid.uuid4().hex[:8]}"
    data = {
        "email": f"{name}@example.com",
        "display_name": "New Person",
        "role": "agent",
        "password": PASSWORD,
    }
    data.update(fields)
    return data


def test_admin_redirects_to_users_and_lists_staff(
    admin_client: FlaskClient, demo_kb: KnowledgeBase, admin: Staff
) -> None:
    """/admin goes to /admin/users, which lists staff (not customers) with role and status."""
    response = admin_client.get("/admin")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users")
    assert admin_client.get("/admin/").headers["Location"].endswith("/admin/users")
    agent = make_staff(demo_kb, Role.AGENT)
    customer = sign_up(admin_client.application.test_client())
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert agent.email in page and admin.email in page and customer not in page
    assert f'id="user-{agent.id}"' in page
    mine = page[page.index(f'id="user-{admin.id}"') :]
    mine = mine[: mine.index("</tr>")]
    assert ">you<" in mine and "Suspend" not in mine  # no suspending yourself
    assert 'href="/admin/webhooks"' in page and "Canned responses" in page


def test_add_a_staff_member_who_can_then_sign_in(
    app: Flask, admin_client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """The new person is stored with a hashed password and lands on the desk after signing in."""
    data = new_staff_form(role="agent", email=f"  Mixed.{uuid.uuid4().hex[:6]}@Example.com ")
    response = admin_client.post("/admin/users", data=data, follow_redirects=True)
    assert response.status_code == 200
    email = data["email"].strip().lower()
    assert f"New Person ({email}) can now sign in as agent." in flashes(
        response.get_data(as_text=True)
    )
    with demo_kb.sessions() as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None and user.role == Role.AGENT
        assert user.password_hash and PASSWORD not in user.password_hash
    client = app.test_client()
    signed = client.post("/account/sign-in", data={"email": email, "password": PASSWORD})
    assert signed.status_code == 302 and signed.headers["Location"] == "/desk"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "nope"}, "Enter an email address like name@example.com."),
        ({"display_name": " "}, "Enter their name."),
        ({"password": "short"}, "Use at least 10 characters."),
        ({"role": "customer"}, "Not a valid choice"),
    ],
)
def test_add_refuses_bad_input(
    admin_client: FlaskClient, fields: dict[str, str], message: str
) -> None:
    """Each problem is shown next to the form with a 400."""
    response = admin_client.post("/admin/users", data=new_staff_form(**fields))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_add_refuses_a_taken_address(admin_client: FlaskClient, admin: Staff) -> None:
    """Someone already has that address."""
    response = admin_client.post("/admin/users", data=new_staff_form(email=admin.email))
    assert response.status_code == 400
    assert "already has an account with this email address" in response.get_data(as_text=True)


def test_change_role(admin_client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """An agent becomes an editor; a bad role changes nothing."""
    agent = make_staff(demo_kb, Role.AGENT)
    response = admin_client.post(
        f"/admin/users/{agent.id}/role", data={"role": "editor"}, follow_redirects=True
    )
    assert "is now an editor." in flashes(response.get_data(as_text=True))
    assert row(demo_kb, agent.id).role == Role.EDITOR
    bad = admin_client.post(
        f"/admin/users/{agent.id}/role", data={"role": "customer"}, follow_redirects=True
    )
    assert "Choose agent, editor or admin." in bad.get_data(as_text=True)
    assert row(demo_kb, agent.id).role == Role.EDITOR
    missing = admin_client.post("/admin/users/999999/role", data={"role": "agent"})
    assert missing.status_code == 302
    followed = admin_client.get(missing.headers["Location"]).get_data(as_text=True)
    assert "There is no staff member with id 999999." in followed


def test_suspend_and_reactivate(
    app: Flask, admin_client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """A suspended agent can neither sign in nor use tokens; reactivated, both work again."""
    agent = make_staff(demo_kb, Role.AGENT)
    agent_client = app.test_client()
    sign_in(agent_client, agent)
    response = admin_client.post(f"/admin/users/{agent.id}/suspend", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "is suspended: they can't sign in" in page.replace("&#39;", "'")
    assert row(demo_kb, agent.id).suspended
    assert agent_client.get("/desk").status_code == 302  # the session no longer counts
    assert app.test_client().get("/api/v1/customers/x", headers=agent.headers).status_code == 401
    again = app.test_client().post(
        "/account/sign-in", data={"email": agent.email, "password": PASSWORD}
    )
    assert again.status_code == 400 and "suspended" in again.get_data(as_text=True)

    admin_client.post(f"/admin/users/{agent.id}/reactivate")
    assert not row(demo_kb, agent.id).suspended
    assert app.test_client().get("/api/v1/customers/x", headers=agent.headers).status_code == 404


def test_you_cannot_suspend_yourself(
    admin_client: FlaskClient, admin: Staff, demo_kb: KnowledgeBase
) -> None:
    """The refusal is flashed and nothing changes."""
    response = admin_client.post(f"/admin/users/{admin.id}/suspend", follow_redirects=True)
    assert "You can't suspend your own account" in response.get_data(as_text=True).replace(
        "&#39;", "'"
    )
    assert not row(demo_kb, admin.id).suspended


@pytest.fixture
def empty_kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    """A knowledge base on a new database of its own (no other admins)."""
    kb = fresh_kb(tmp_path, content=(), index=False)
    yield kb
    kb.close()


def test_the_last_admin_is_protected(empty_kb: KnowledgeBase) -> None:
    """On a database with one admin, demoting them is refused with a clear message."""
    kb = empty_kb
    app = build_app(kb, csrf=False)
    only = make_staff(kb, Role.ADMIN, name="onlyadmin")
    client = app.test_client()
    sign_in(client, only)
    response = client.post(
        f"/admin/users/{only.id}/role", data={"role": "agent"}, follow_redirects=True
    )
    assert "onlyadmin is the only active admin; make someone else an admin first." in (
        response.get_data(as_text=True)
    )
    assert row(kb, only.id).role == Role.ADMIN


def test_sign_in_lands_staff_where_they_work(app: Flask, demo_kb: KnowledgeBase) -> None:
    """Agents and admins land on the desk, editors and customers on the community; next wins."""
    for role, home in (
        (Role.AGENT, "/desk"),
        (Role.ADMIN, "/desk"),
        (Role.EDITOR, "/community/"),
    ):
        person = make_staff(demo_kb, role)
        client = app.test_client()
        response = client.post(
            "/account/sign-in", data={"email": person.email, "password": PASSWORD}
        )
        assert response.headers["Location"] == home, role
        assert client.get("/account/sign-in").headers["Location"] == home
    agent = make_staff(demo_kb, Role.AGENT)
    response = app.test_client().post(
        "/account/sign-in",
        data={"email": agent.email, "password": PASSWORD, "next": "/admin/users"},
    )
    assert response.headers["Location"] == "/admin/users"


def test_non_admins_are_kept_out(app: Flask, demo_kb: KnowledgeBase) -> None:
    """Agents and editors get 403 on every admin page; visitors are sent to sign in."""
    for role in (Role.AGENT, Role.EDITOR):
        client = app.test_client()
        sign_in(client, make_staff(demo_kb, role))
        assert client.get("/admin/users").status_code == 403
        assert client.post("/admin/users", data=new_staff_form()).status_code == 403
    anonymous = app.test_client().get("/admin/users")
    assert anonymous.status_code == 302 and "/account/sign-in" in anonymous.headers["Location"]
