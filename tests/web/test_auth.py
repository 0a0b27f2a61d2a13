"""Accounts: sign up, sign in, sign out, safe redirects, honeypot, rate limits and CSRF."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.knowledge_base import KnowledgeBase
from kb.models import User
from tests.web.conftest import build_app
from tests.web.people import PASSWORD, sign_up, unique, user
from web import create_app
from web.auth.service import local_path


@pytest.fixture
def app(demo_kb: KnowledgeBase) -> Flask:
    """The app with CSRF off, so tests can post forms directly."""
    return build_app(demo_kb, csrf=False)


def form(**fields: str) -> dict[str, str]:
    """A complete, valid sign-up form with some fields replaced."""
    name = unique("u")
    data = {
        "email": f"{name}@example.com",
        "display_name": name,
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    data.update(fields)
    return data


def stored(kb: KnowledgeBase, email: str) -> User | None:
    """The account with ``email``, if any."""
    with kb.sessions() as session:
        return session.scalar(select(User).where(User.email == email))


def signed_in_as(client: FlaskClient) -> str | None:
    """The display name the page header shows, or None when signed out."""
    page = client.get("/community/").get_data(as_text=True)
    match = re.search(r'<span class="nav-user">([^<]*)</span>', page)
    return match.group(1) if match else None


# pages


def test_sign_in_and_sign_up_pages(client: FlaskClient) -> None:
    """Both forms render with labelled fields; sign-up carries the honeypot."""
    sign_in = client.get("/account/sign-in").get_data(as_text=True)
    assert 'id="sign-in-form"' in sign_in
    assert '<label for="email">Email address</label>' in sign_in
    assert 'id="password"' in sign_in
    assert 'name="csrf_token"' in sign_in
    sign_up_page = client.get("/account/sign-up").get_data(as_text=True)
    assert 'id="sign-up-form"' in sign_up_page
    for name in ("email", "display_name", "password", "confirm"):
        assert f'id="{name}"' in sign_up_page
    honeypot = re.search(r'<div class="honeypot"[^>]*>(.*?)</div>', sign_up_page, re.S)
    assert honeypot is not None
    assert "Leave this empty" in honeypot.group(1)
    assert 'tabindex="-1"' in honeypot.group(1)
    assert 'autocomplete="off"' in honeypot.group(1)


# sign up


def test_sign_up_creates_a_hashed_account_and_signs_in(
    client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """The email is stored in lower case, the password hashed with scrypt, the person signed in."""
    name = unique("Ada")
    response = client.post(
        "/account/sign-up", data=form(email=f"  {name.upper()}@Example.COM ", display_name=name)
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/community/"
    account = stored(demo_kb, f"{name.lower()}@example.com")
    assert account is not None
    assert account.display_name == name
    assert account.password_hash is not None
    assert account.password_hash.startswith("scrypt:")
    assert PASSWORD not in account.password_hash
    assert signed_in_as(client) == name


def test_sign_up_goes_to_a_local_next_page(client: FlaskClient) -> None:
    """A local ``next`` is honoured after signing up."""
    response = client.post("/account/sign-up", data=form(next="/community/ask?title=Tents"))
    assert response.headers["Location"] == "/community/ask?title=Tents"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": ""}, "Enter your email address."),
        ({"email": "not-an-address"}, "Enter an email address like name@example.com."),
        ({"email": "a" * 250 + "@example.com"}, "at most 254 characters"),
        ({"display_name": "  "}, "Choose a display name."),
        ({"display_name": "<b></b>"}, "Choose a display name."),
        ({"display_name": "n" * 81}, "Use a display name of at most 80 characters."),
        (
            {"password": "short", "confirm": "short"},
            "Use at least 10 characters for your password.",
        ),
        ({"password": "p" * 129, "confirm": "p" * 129}, "Use at most 128 characters for your"),
        ({"confirm": "something else"}, "The two passwords don&#39;t match."),
    ],
)
def test_sign_up_rejects_bad_input_and_keeps_it(
    client: FlaskClient, demo_kb: KnowledgeBase, fields: dict[str, str], message: str
) -> None:
    """Each problem gets a clear message; what was typed (except passwords) stays; nothing is stored."""
    data = form(**fields)
    response = client.post("/account/sign-up", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert 'class="error-summary"' in page
    assert 'aria-invalid="true"' in page
    if fields.get("email") is None:
        assert f'value="{data["email"]}"' in page
        assert stored(demo_kb, data["email"]) is None
    assert PASSWORD not in page


def test_sign_up_refuses_a_taken_email_in_any_case(client: FlaskClient) -> None:
    """A second account with the same address gets a clear message and a sign-in link."""
    email = sign_up(client)
    other = client.application.test_client()
    response = other.post("/account/sign-up", data=form(email=email.upper()))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "An account with this email address already exists." in page
    assert 'href="/account/sign-in"' in page


def test_sign_up_display_name_html_is_stored_as_text(
    client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """Markup in a display name is removed before it is stored; the rest is kept."""
    name = unique("Bo")
    data = form(display_name=f"<script>alert(1)</script>{name}  <i>x</i>")
    client.post("/account/sign-up", data=data)
    account = stored(demo_kb, data["email"])
    assert account is not None
    assert account.display_name == f"{name} x"


def test_sign_up_honeypot_pretends_but_stores_nothing(
    client: FlaskClient, demo_kb: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    """A filled honeypot looks like success to the bot, but no account exists or is signed in."""
    data = form(website="http://spam.example")
    response = client.post("/account/sign-up", data=data)
    assert response.status_code == 302
    assert stored(demo_kb, data["email"]) is None
    assert signed_in_as(client) is None
    assert "honeypot" in caplog.text


def test_signed_in_people_skip_the_forms(client: FlaskClient) -> None:
    """Visiting sign-in or sign-up when already signed in goes on to the next page."""
    sign_up(client)
    assert client.get("/account/sign-in").headers["Location"] == "/community/"
    assert (
        client.get("/account/sign-up?next=/community/ask").headers["Location"] == "/community/ask"
    )


# sign in and out


def test_sign_in_and_out(client: FlaskClient) -> None:
    """Sign in with the right password (any email case); sign out with a POST."""
    name = unique("Cy")
    email = sign_up(client, name)
    client.post("/account/sign-out")
    assert signed_in_as(client) is None
    response = client.post("/account/sign-in", data={"email": email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_as(client) == name
    response = client.post("/account/sign-out")
    assert response.status_code == 302
    assert signed_in_as(client) is None


def test_sign_out_needs_post(client: FlaskClient) -> None:
    """A link cannot sign anyone out."""
    assert client.get("/account/sign-out").status_code == 405


@pytest.mark.parametrize("which", ["wrong password", "unknown email"])
def test_sign_in_failures_do_not_reveal_whether_the_email_exists(
    client: FlaskClient, which: str
) -> None:
    """A wrong password and an unknown address get the same message; the email is kept."""
    email = sign_up(client)
    client.post("/account/sign-out")
    if which == "unknown email":
        email = f"{unique('nobody')}@example.com"
    response = client.post(
        "/account/sign-in", data={"email": email, "password": "not the password"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "That email and password don&#39;t match an account." in page
    assert f'value="{email}"' in page
    assert signed_in_as(client) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "", "password": "x"}, "Enter your email address."),
        ({"email": "a@example.com", "password": ""}, "Enter your password."),
        ({"email": "a@example.com", "password": "p" * 129}, "Passwords are at most 128"),
    ],
)
def test_sign_in_validates(client: FlaskClient, fields: dict[str, str], message: str) -> None:
    """Missing or over-long fields get a clear message."""
    response = client.post("/account/sign-in", data=fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_suspended_accounts_cannot_sign_in(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """The right password for a suspended account gets a clear message, and no session."""
    email = sign_up(client)
    with demo_kb.sessions() as session:
        row = session.get(User, user(demo_kb, email).id)
        assert row is not None
        row.suspended = True
        session.commit()
    assert signed_in_as(client) is None  # the existing session ends too
    response = client.post("/account/sign-in", data={"email": email, "password": PASSWORD})
    assert response.status_code == 400
    assert "This account is suspended" in response.get_data(as_text=True)
    assert signed_in_as(client) is None


def test_sign_in_honours_a_local_next(client: FlaskClient) -> None:
    """After signing in, the person returns to the local page they came from."""
    email = sign_up(client)
    client.post("/account/sign-out")
    page = client.get("/account/sign-in?next=/community/ask%3Ftitle%3DTents").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/community/ask?title=Tents"' in page
    response = client.post(
        "/account/sign-in",
        data={"email": email, "password": PASSWORD, "next": "/community/ask?title=Tents"},
    )
    assert response.headers["Location"] == "/community/ask?title=Tents"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "javascript:alert(1)",
        "http://localhost.evil.example/",
        "evil.example",
    ],
)
def test_sign_in_ignores_an_outside_next(client: FlaskClient, target: str) -> None:
    """No open redirect: anything but a local path sends people to the community."""
    email = sign_up(client)
    client.post("/account/sign-out")
    response = client.post(
        "/account/sign-in", data={"email": email, "password": PASSWORD, "next": target}
    )
    assert response.headers["Location"] == "/community/"
    assert client.get(f"/account/sign-in?next={target}").headers["Location"] == "/community/"
    client.post("/account/sign-out")
    page = client.get(f"/account/sign-in?next={target}").get_data(as_text=True)
    assert 'name="next" type="hidden" value=""' in page


def test_local_path() -> None:
    """Paths on this site pass; full URLs only on the given host; everything else is refused."""
    assert local_path("/community/?tab=unanswered") == "/community/?tab=unanswered"
    assert local_path("http://localhost/community/", host="localhost") == "/community/"
    assert local_path("http://localhost/community/") is None
    assert local_path("http://other/community/", host="localhost") is None
    assert local_path("ftp://localhost/x", host="localhost") is None
    assert local_path("/ok\r\nSet-Cookie: x") is None
    assert local_path("") is None
    assert local_path(None) is None


# abuse


def test_sign_in_is_rate_limited_per_ip(demo_kb: KnowledgeBase) -> None:
    """Too many attempts from one address get a 429 page; viewing the form is not limited."""
    app = build_app(demo_kb, csrf=False, sign_in_rate_limit="2 per minute")
    client = app.test_client()
    data = {"email": "nobody@example.com", "password": "wrong password"}
    assert [client.post("/account/sign-in", data=data).status_code for _ in range(2)] == [400, 400]
    limited = client.post("/account/sign-in", data=data)
    assert limited.status_code == 429
    assert "Slow down a little" in limited.get_data(as_text=True)
    assert client.post("/account/sign-up", data=form()).status_code == 429  # one shared budget
    assert client.get("/account/sign-in").status_code == 200


def test_csrf_is_enforced(demo_kb: KnowledgeBase) -> None:
    """Without the form's token a POST is refused; with it, it works."""
    app = create_app({"TESTING": True}, settings=demo_kb.settings, knowledge_base=demo_kb)
    client = app.test_client()
    data = form()
    refused = client.post("/account/sign-up", data=data)
    assert refused.status_code == 400
    assert "This form has expired" in refused.get_data(as_text=True)
    assert stored(demo_kb, data["email"]) is None
    page = client.get("/account/sign-up").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    accepted = client.post("/account/sign-up", data={**data, "csrf_token": token.group(1)})
    assert accepted.status_code == 302
    assert stored(demo_kb, data["email"]) is not None
