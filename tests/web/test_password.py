"""Changing your own password: customers and staff, with the current password, never a 500."""

from __future__ import annotations

from flask import Flask

from kb.knowledge_base import KnowledgeBase
from kb.models import Role
from tests.web.conftest import build_app
from tests.web.people import PASSWORD, sign_up
from tests.web.staff_helpers import make_staff, sign_in

NEW = "a brand new passphrase"


def change(client, current: str, new: str = NEW, confirm: str | None = None):  # type: ignore[no-untyped-def]
    """Post the change-password form."""
    return client.post(
        "/account/password",
        data={"current": current, "password": new, "confirm": new if confirm is None else confirm},
    )


def can_sign_in(app: Flask, email: str, password: str) -> bool:
    """Whether a fresh browser can sign in with these."""
    response = app.test_client().post(
        "/account/sign-in", data={"email": email, "password": password}
    )
    return response.status_code == 302


def test_signed_out_visitors_are_sent_to_sign_in(demo_kb: KnowledgeBase) -> None:
    """No account, no form."""
    client = build_app(demo_kb, csrf=False).test_client()
    for response in (client.get("/account/password"), change(client, PASSWORD)):
        assert response.status_code == 302
        assert "/account/sign-in" in response.headers["Location"]


def test_a_customer_changes_their_password(demo_kb: KnowledgeBase) -> None:
    """The right current password and a new one twice: the old one stops working."""
    app = build_app(demo_kb, csrf=False)
    client = app.test_client()
    email = sign_up(client)
    assert client.get("/account/password").status_code == 200
    response = change(client, PASSWORD)
    assert response.status_code == 302
    assert not can_sign_in(app, email, PASSWORD)
    assert can_sign_in(app, email, NEW)


def test_wrong_current_or_mismatch_or_short_is_refused_and_nothing_changes(
    demo_kb: KnowledgeBase,
) -> None:
    """Each mistake is a 400 that says what is wrong; the old password still works."""
    app = build_app(demo_kb, csrf=False)
    client = app.test_client()
    email = sign_up(client)
    wrong = change(client, "not my password")
    assert wrong.status_code == 400 and "isn&#39;t your current password" in wrong.get_data(True)
    mismatch = change(client, PASSWORD, confirm="something else entirely")
    assert mismatch.status_code == 400 and "don&#39;t match" in mismatch.get_data(True)
    short = change(client, PASSWORD, new="short")
    assert short.status_code == 400 and "at least" in short.get_data(True)
    assert can_sign_in(app, email, PASSWORD)


def test_staff_change_the_password_an_admin_gave_them(demo_kb: KnowledgeBase) -> None:
    """An agent signs in with the initial password and replaces it."""
    app = build_app(demo_kb, csrf=False)
    client = app.test_client()
    agent = make_staff(demo_kb, Role.AGENT)
    sign_in(client, agent)
    assert change(client, PASSWORD).status_code == 302
    assert can_sign_in(app, agent.email, NEW)
