"""PUT and GET /api/v1/customers/{external_id}: staff tokens, 201/200, field-by-field 400s."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.knowledge_base import KnowledgeBase
from kb.models import Customer, Role
from tests.web.conftest import build_app
from tests.web.staff_helpers import Staff, make_staff


@pytest.fixture
def app(demo_kb: KnowledgeBase) -> Flask:
    """The app with CSRF on: the token-authenticated API must not need it."""
    return build_app(demo_kb, csrf=True)


@pytest.fixture
def agent(demo_kb: KnowledgeBase) -> Staff:
    """An agent with a token."""
    return make_staff(demo_kb, Role.AGENT)


def new_id() -> str:
    """A unique external id."""
    return f"crm-{uuid.uuid4().hex[:10]}"


def put(client: FlaskClient, staff: Staff, external_id: str, body: Any) -> Any:
    """PUT a customer with ``staff``'s token."""
    return client.put(f"/api/v1/customers/{external_id}", json=body, headers=staff.headers)


def test_put_creates_then_updates(
    client: FlaskClient, agent: Staff, demo_kb: KnowledgeBase
) -> None:
    """201 with a Location the first time, 200 after; left-out fields are kept."""
    key = new_id()
    body = {
        "email": "Pat@Example.com",
        "name": "Pat Doe",
        "plan": "premium",
        "attributes": {"orders": 7, "last_order": "J-1001", "vip": True, "credit": 12.5, "x": None},
    }
    created = put(client, agent, key, body)
    assert created.status_code == 201, created.get_json()
    assert created.headers["Location"].endswith(f"/api/v1/customers/{key}")
    data = created.get_json()
    assert data["external_id"] == key and data["email"] == "pat@example.com"
    assert data["plan"] == "premium" and data["attributes"] == body["attributes"]
    assert data["created_at"].endswith("Z") or data["created_at"].endswith("+00:00")

    updated = put(client, agent, key, {"plan": "plus", "attributes": {"orders": 8}})
    assert updated.status_code == 200, updated.get_json()
    data = updated.get_json()
    assert (data["name"], data["email"], data["plan"]) == ("Pat Doe", "pat@example.com", "plus")
    assert data["attributes"] == {"orders": 8}

    read = client.get(f"/api/v1/customers/{key}", headers=agent.headers)
    assert read.status_code == 200 and read.get_json() == data
    with demo_kb.sessions() as session:
        stored = session.query(Customer).filter_by(external_id=key).one()
        assert stored.plan == "plus" and stored.attributes == {"orders": 8}


def test_an_external_id_with_slashes_works(client: FlaskClient, agent: Staff) -> None:
    """Company systems use ids like "eu/shop-1/42": the whole path after /customers/ is the id."""
    key = f"eu/shop-1/{new_id()}"
    created = put(client, agent, key, {"name": "Sam Slash"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["external_id"] == key
    read = client.get(f"/api/v1/customers/{key}", headers=agent.headers)
    assert read.status_code == 200 and read.get_json()["name"] == "Sam Slash"


def test_admins_may_too(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Admins work the queue as well."""
    admin = make_staff(demo_kb, Role.ADMIN)
    assert put(client, admin, new_id(), {"name": "By Admin"}).status_code == 201


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"plan": "gold"}, "plan", "Unknown plan 'gold'; use one of: free, plus, premium."),
        ({"email": "nope"}, "email", "'nope' is not an email address."),
        ({"name": "n" * 121}, "name", "'name' is too long: 121 characters, at most 120"),
        ({"attributes": [1, 2]}, "attributes", "'attributes' must be a JSON object"),
        ({"attributes": {"cart": {"id": 1}}}, "attributes", "Attribute 'cart' is an object"),
        ({"attributes": {"cart": [1]}}, "attributes", "Attribute 'cart' is a list"),
        (
            {"attributes": {f"k{i}": i for i in range(51)}},
            "attributes",
            "51 attributes; at most 50",
        ),
        ({"attributes": {"note": "x" * 1001}}, "attributes", "1001 characters; at most 1000"),
        ({"colour": "red"}, "colour", "'colour' is not a field here; use email, name, plan"),
        ({"plan": 3}, "plan", "'plan' must be text."),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    client: FlaskClient, agent: Staff, body: dict[str, Any], field: str, message: str
) -> None:
    """Each problem is reported under its field, and nothing is stored."""
    key = new_id()
    response = put(client, agent, key, body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert message in error["fields"][field], error
    assert client.get(f"/api/v1/customers/{key}", headers=agent.headers).status_code == 404


def test_a_too_long_id_is_a_400(client: FlaskClient, agent: Staff) -> None:
    """The external id in the path is checked like the body's fields."""
    response = put(client, agent, "x" * 201, {"name": "Long"})
    assert response.status_code == 400
    assert "201 characters; at most 200" in response.get_json()["error"]["fields"]["external_id"]


def test_body_must_be_json(client: FlaskClient, agent: Staff) -> None:
    """A form body is refused with a hint."""
    response = client.put(f"/api/v1/customers/{new_id()}", data="plan=plus", headers=agent.headers)
    assert response.status_code == 400
    assert "Content-Type: application/json" in response.get_json()["error"]["message"]


def test_unknown_customer_is_404(client: FlaskClient, agent: Staff) -> None:
    """GET of an id never pushed."""
    response = client.get("/api/v1/customers/never-seen", headers=agent.headers)
    assert response.status_code == 404
    assert (
        "no customer with the external id 'never-seen'" in response.get_json()["error"]["message"]
    )


def test_tokens_and_roles(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """No or a bad token is 401; an editor's token is 403; both as JSON, nothing stored."""
    key = new_id()
    anonymous = client.put(f"/api/v1/customers/{key}", json={"plan": "plus"})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert "staff token" in anonymous.get_json()["error"]["message"]
    bad = client.put(
        f"/api/v1/customers/{key}", json={}, headers={"Authorization": "Bearer t0_nope"}
    )
    assert bad.status_code == 401
    editor = make_staff(demo_kb, Role.EDITOR)
    refused = put(client, editor, key, {"plan": "plus"})
    assert refused.status_code == 403
    assert "needs agent or admin" in refused.get_json()["error"]["message"]
    assert client.get(f"/api/v1/customers/{key}", headers=editor.headers).status_code == 403
    assert client.get(f"/api/v1/customers/{key}").status_code == 401


def test_documented_in_the_openapi_document(client: FlaskClient) -> None:
    """Both operations appear, with the staff token as their security."""
    document = client.get("/api/v1/openapi.json").get_json()
    item = document["paths"]["/api/v1/customers/{external_id}"]
    assert item["put"]["security"] == [{"staffToken": []}]
    assert {"200", "201", "400", "401", "403"} <= set(item["put"]["responses"])
    assert {"200", "401", "403", "404"} <= set(item["get"]["responses"])
    schema = document["components"]["schemas"]["CustomerIn"]
    assert schema["properties"]["attributes"]["maxProperties"] == 50
