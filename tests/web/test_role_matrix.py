"""Who may use which staff page and API: the whole role × endpoint matrix, walked from the URL map.

Every route under the guarded prefixes must be in EXPECTATIONS (a new route without an entry fails
the first test), and each route and method is then requested as a visitor, a signed-in customer, an
agent, an editor and an admin:

- pages: a visitor is sent to sign in, a wrong role gets 403, an allowed role gets past the check
  (anything but 401, 403 or the sign-in redirect; made-up ids give 404, empty forms 400);
- the staff API: no token is 401 (a signed-in session does not count), a customer is 401 (customers
  have no tokens), a wrong role 403, an allowed role anything but 401 or 403.

The database is a fresh one, so allowed requests (take next, put a customer) touch nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from kb.knowledge_base import KnowledgeBase
from kb.models import Role
from tests.web.conftest import build_app
from tests.web.kbs import fresh_kb
from tests.web.staff_helpers import Staff, make_staff, sign_in

GUARDED = (
    "/desk",
    "/admin",
    "/account/tokens",
    "/api/v1/escalations",
    "/api/v1/customers",
    "/api/v1/articles",
    "/editor",
    "/api/v1/moderation",
    "/api/v1/content-gaps",
)
IDENTITIES = ("anonymous", "customer", "agent", "editor", "admin")
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}

AGENTS = frozenset({"agent", "admin"})
ADMINS = frozenset({"admin"})
STAFF = frozenset({"agent", "editor", "admin"})
EDITORS = frozenset({"editor", "admin"})
EVERYONE = frozenset(IDENTITIES)
"""Public routes under a guarded prefix (the published articles): nobody gets 401 or 403."""

EXPECTATIONS: dict[tuple[str, str], frozenset[str]] = {
    # The desk: agents and admins.
    ("/desk", "GET"): AGENTS,
    ("/desk/", "GET"): AGENTS,
    ("/desk/queue.json", "GET"): AGENTS,
    ("/desk/next", "POST"): AGENTS,
    ("/desk/escalations/<int:escalation_id>", "GET"): AGENTS,
    ("/desk/escalations/<int:escalation_id>/messages.json", "GET"): AGENTS,
    ("/desk/escalations/<int:escalation_id>/messages", "POST"): AGENTS,
    ("/desk/escalations/<int:escalation_id>/canned/<int:canned_id>", "GET"): AGENTS,
    ("/desk/escalations/<int:escalation_id>/claim", "POST"): AGENTS,
    ("/desk/escalations/<int:escalation_id>/release", "POST"): AGENTS,
    ("/desk/escalations/<int:escalation_id>/reassign", "POST"): AGENTS,
    ("/desk/escalations/<int:escalation_id>/resolve", "POST"): AGENTS,
    ("/desk/escalations/<int:escalation_id>/handback", "POST"): AGENTS,
    ("/desk/escalations/<int:escalation_id>/notes", "POST"): AGENTS,
    ("/desk/escalations/<int:escalation_id>/draft", "POST"): AGENTS,
    # The admin console: admins only.
    ("/admin", "GET"): ADMINS,
    ("/admin/", "GET"): ADMINS,
    ("/admin/users", "GET"): ADMINS,
    ("/admin/users", "POST"): ADMINS,
    ("/admin/users/<int:user_id>/role", "POST"): ADMINS,
    ("/admin/users/<int:user_id>/suspend", "POST"): ADMINS,
    ("/admin/users/<int:user_id>/reactivate", "POST"): ADMINS,
    ("/admin/canned", "GET"): ADMINS,
    ("/admin/canned", "POST"): ADMINS,
    ("/admin/canned/new", "GET"): ADMINS,
    ("/admin/canned/<int:canned_id>", "POST"): ADMINS,
    ("/admin/canned/<int:canned_id>/edit", "GET"): ADMINS,
    ("/admin/canned/<int:canned_id>/delete", "POST"): ADMINS,
    ("/admin/webhooks", "GET"): ADMINS,
    ("/admin/webhooks", "POST"): ADMINS,
    ("/admin/webhooks/new", "GET"): ADMINS,
    ("/admin/webhooks/new", "POST"): ADMINS,
    ("/admin/webhooks/<int:webhook_id>", "GET"): ADMINS,
    ("/admin/webhooks/<int:webhook_id>", "POST"): ADMINS,
    ("/admin/webhooks/<int:webhook_id>/edit", "GET"): ADMINS,
    ("/admin/webhooks/<int:webhook_id>/edit", "POST"): ADMINS,
    ("/admin/webhooks/<int:webhook_id>/delete", "POST"): ADMINS,
    ("/admin/webhooks/<int:webhook_id>/deliveries", "GET"): ADMINS,
    ("/admin/webhooks/<int:webhook_id>/rotate", "POST"): ADMINS,
    ("/admin/webhooks/<int:webhook_id>/test", "POST"): ADMINS,
    ("/admin/deliveries/<int:delivery_id>/redeliver", "POST"): ADMINS,
    # Your own API tokens: any staff member.
    ("/account/tokens", "GET"): STAFF,
    ("/account/tokens", "POST"): STAFF,
    ("/account/tokens/<int:token_id>/revoke", "POST"): STAFF,
    # The staff API: agents and admins.
    ("/api/v1/escalations", "GET"): AGENTS,
    ("/api/v1/escalations/next", "POST"): AGENTS,
    ("/api/v1/escalations/<int:escalation_id>", "GET"): AGENTS,
    ("/api/v1/escalations/<int:escalation_id>/claim", "POST"): AGENTS,
    ("/api/v1/escalations/<int:escalation_id>/messages", "POST"): AGENTS,
    ("/api/v1/escalations/<int:escalation_id>/notes", "POST"): AGENTS,
    ("/api/v1/escalations/<int:escalation_id>/release", "POST"): AGENTS,
    ("/api/v1/escalations/<int:escalation_id>/resolve", "POST"): AGENTS,
    ("/api/v1/escalations/<int:escalation_id>/handback", "POST"): AGENTS,
    ("/api/v1/customers/<path:external_id>", "GET"): AGENTS,
    ("/api/v1/customers/<path:external_id>", "PUT"): AGENTS,
    # Articles: reading published ones is public; the staff API writes them (editors, admins).
    ("/api/v1/articles", "GET"): EVERYONE,
    ("/api/v1/articles/<slug>", "GET"): EVERYONE,
    ("/api/v1/articles", "POST"): EDITORS,
    ("/api/v1/articles/<slug>", "PATCH"): EDITORS,
    ("/api/v1/articles/<slug>/working-copy", "GET"): EDITORS,
    ("/api/v1/articles/<slug>/submit", "POST"): EDITORS,
    ("/api/v1/articles/<slug>/publish", "POST"): EDITORS,
    ("/api/v1/articles/<slug>/unpublish", "POST"): EDITORS,
    ("/api/v1/articles/<slug>/archive", "POST"): EDITORS,
    ("/api/v1/articles/<slug>/revisions", "GET"): EDITORS,
    ("/api/v1/articles/<slug>/revisions/<int:number>", "GET"): EDITORS,
    ("/api/v1/articles/<slug>/revisions/<int:number>/restore", "POST"): EDITORS,
    # The editor console: editors and admins.
    ("/editor", "GET"): EDITORS,
    ("/editor/", "GET"): EDITORS,
    ("/editor/preview", "POST"): EDITORS,
    ("/editor/stale", "GET"): EDITORS,
    ("/editor/articles", "GET"): EDITORS,
    ("/editor/articles", "POST"): EDITORS,
    ("/editor/articles/new", "GET"): EDITORS,
    ("/editor/articles/<int:article_id>", "GET"): EDITORS,
    ("/editor/articles/<int:article_id>", "POST"): EDITORS,
    ("/editor/articles/<int:article_id>/submit", "POST"): EDITORS,
    ("/editor/articles/<int:article_id>/publish", "POST"): EDITORS,
    ("/editor/articles/<int:article_id>/unpublish", "POST"): EDITORS,
    ("/editor/articles/<int:article_id>/archive", "POST"): EDITORS,
    ("/editor/articles/<int:article_id>/history", "GET"): EDITORS,
    ("/editor/articles/<int:article_id>/revisions/<int:number>/restore", "POST"): EDITORS,
    ("/editor/articles/<int:article_id>/phrasings", "GET"): EDITORS,
    ("/editor/articles/<int:article_id>/phrasings/<int:phrasing_id>", "POST"): EDITORS,
    ("/editor/articles/<int:article_id>/phrasings/<int:phrasing_id>/remove", "POST"): EDITORS,
    # Moderation and the agent drafts inbox (helper G): editors and admins.
    ("/editor/moderation", "GET"): EDITORS,
    ("/editor/moderation/questions/<int:post_id>", "POST"): EDITORS,
    ("/editor/moderation/answers/<int:post_id>", "POST"): EDITORS,
    ("/editor/moderation/users/<int:user_id>/suspend", "POST"): EDITORS,
    ("/editor/moderation/users/<int:user_id>/reinstate", "POST"): EDITORS,
    ("/editor/moderation/keywords", "POST"): EDITORS,
    ("/editor/inbox", "GET"): EDITORS,
    ("/editor/inbox/<int:draft_id>/merge", "POST"): EDITORS,
    ("/editor/inbox/<int:draft_id>/publish", "POST"): EDITORS,
    ("/editor/inbox/<int:draft_id>/dismiss", "POST"): EDITORS,
    ("/editor/inbox/answers/<int:answer_id>/promote", "POST"): EDITORS,
    ("/api/v1/moderation", "GET"): EDITORS,
    ("/editor/gaps", "GET"): EDITORS,
    ("/editor/health", "GET"): EDITORS,
    ("/api/v1/content-gaps", "GET"): EDITORS,
}
"""(rule, method) → the roles allowed in; everyone else is refused."""

Route = tuple[str, str]


@pytest.fixture(scope="module")
def matrix_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app, CSRF off, on a database of its own."""
    kb = fresh_kb(tmp_path_factory.mktemp("matrix"), content=())
    app = build_app(kb, csrf=False)
    app.config["MATRIX_KB"] = kb
    yield app
    kb.close()


@pytest.fixture(scope="module")
def people(matrix_app: Flask) -> dict[str, Staff]:
    """One account per role (the customer has a password but no token)."""
    kb: KnowledgeBase = matrix_app.config["MATRIX_KB"]
    return {role: make_staff(kb, Role(role)) for role in IDENTITIES if role != "anonymous"}


@pytest.fixture(scope="module")
def sessions(matrix_app: Flask, people: dict[str, Staff]) -> dict[str, FlaskClient]:
    """A client per identity, signed in once (sign-ins are rate limited)."""
    clients = {"anonymous": matrix_app.test_client()}
    for identity, person in people.items():
        clients[identity] = matrix_app.test_client()
        sign_in(clients[identity], person)
    return clients


def guarded_routes(app: Flask) -> list[Route]:
    """Every (rule, method) under the guarded prefixes."""
    routes = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(GUARDED)
        for method in (rule.methods or set()) & METHODS
    }
    return sorted(routes)


def example_url(rule: Rule) -> str:
    """The rule with made-up values: ids that do not exist, a plain external id."""

    def value(match: re.Match[str]) -> str:
        converter = match.group(1) or "string"
        return "999999" if converter == "int" else "matrix-nobody"

    return re.sub(r"<(?:(\w+):)?\w+>", value, rule.rule)


def request(client: FlaskClient, method: str, url: str, headers: dict[str, str]) -> tuple[int, str]:
    """Status and Location of one request (no redirects followed)."""
    kwargs: dict[str, object] = {"headers": headers}
    if url.startswith("/api/") and method in {"POST", "PUT", "PATCH"}:
        kwargs["json"] = {}
    response = client.open(url, method=method, **kwargs)  # type: ignore[arg-type]
    return response.status_code, response.headers.get("Location", "")


def verdict(route: Route, identity: str, status: int, location: str) -> str | None:
    """What is wrong with this answer, or None when it is what the table says."""
    rule, _ = route
    allowed = identity in EXPECTATIONS[route]
    to_sign_in = status == 302 and "/account/sign-in" in location
    if EXPECTATIONS[route] == EVERYONE:
        return None if status not in {401, 403} and not to_sign_in else "expected to be public"
    if rule.startswith("/api/"):
        if identity in {"anonymous", "customer"}:
            return None if status == 401 else "expected 401"
        if allowed:
            return None if status not in {401, 403} else "expected to be let in"
        return None if status == 403 else "expected 403"
    if identity == "anonymous":
        return None if to_sign_in else "expected a redirect to sign in"
    if allowed:
        return None if status not in {401, 403} and not to_sign_in else "expected to be let in"
    return None if status == 403 else "expected 403"


def test_every_guarded_route_is_in_the_table(matrix_app: Flask) -> None:
    """A new staff route must say who may use it."""
    missing = [route for route in guarded_routes(matrix_app) if route not in EXPECTATIONS]
    assert not missing, "Add these routes to EXPECTATIONS: " + ", ".join(
        f"{method} {rule}" for rule, method in missing
    )


@pytest.mark.parametrize("identity", IDENTITIES)
def test_role_matrix(
    matrix_app: Flask, people: dict[str, Staff], sessions: dict[str, FlaskClient], identity: str
) -> None:
    """Each guarded route answers ``identity`` as the table says (all mismatches listed)."""
    rules = {
        (rule.rule, method): rule
        for rule in matrix_app.url_map.iter_rules()
        for method in rule.methods or ()
    }
    person = people.get(identity)
    wrong: list[str] = []
    checked = 0
    for route in guarded_routes(matrix_app):
        if route not in EXPECTATIONS:
            continue  # reported by the test above
        rule, method = route
        url = example_url(rules[route])
        client, headers = sessions[identity], {}
        if rule.startswith("/api/"):
            # The API takes tokens only: staff send theirs and no session; visitors have neither,
            # so they are asked with an admin's signed-in session (which must not count).
            client = sessions["admin"] if identity == "anonymous" else client
            if person is not None and person.token:
                client, headers = matrix_app.test_client(), person.headers
        status, location = request(client, method, url, headers)
        checked += 1
        problem = verdict(route, identity, status, location)
        if problem:
            wrong.append(f"{method} {url}: {status} {location}, {problem}")
    assert checked >= 10
    assert not wrong, f"As {identity}:\n" + "\n".join(wrong)
