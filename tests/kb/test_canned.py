"""kb.canned: canned responses, their placeholders checked on save and filled in by render."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from kb import canned
from kb.canned import CannedError, CannedNotFound
from kb.models import CannedResponse, Customer


@pytest.fixture(autouse=True)
def writing(session: Session) -> None:
    """Start the test's transaction with a write, so savepoints stay inside it (see test_staff)."""
    session.execute(update(CannedResponse).where(CannedResponse.id == -1).values(title="x"))


def title() -> str:
    """A unique title."""
    return f"Refund {uuid.uuid4().hex[:8]}"


def test_create_update_delete(session: Session) -> None:
    """A canned response is created trimmed, listed by title, changed and deleted."""
    first = canned.create_canned(
        session=session,
        title=f"  zz {title()} ",
        body=" Hi {customer.first_name}! ",
        created_by=None,
    )
    second = canned.create_canned(session=session, title=f"aa {title()}", body="Thanks")
    assert first.body == "Hi {customer.first_name}!" and first.title.startswith("zz ")
    listed = canned.list_canned(session=session)
    assert listed.index(second) < listed.index(first)
    changed = canned.update_canned(
        session=session, canned_id=first.id, title="New title " + title(), body="Bye {agent.name}"
    )
    assert changed.body == "Bye {agent.name}" and changed.title.startswith("New title")
    canned.delete_canned(session=session, canned_id=first.id)
    with pytest.raises(CannedNotFound, match=f"no canned response with id {first.id}"):
        canned.get_canned(session=session, canned_id=first.id)
    with pytest.raises(CannedNotFound):
        canned.delete_canned(session=session, canned_id=first.id)


def test_titles_are_unique_in_any_case(session: Session) -> None:
    """A second response with the same title is refused; keeping your own title is fine."""
    name = title()
    made = canned.create_canned(session=session, title=name, body="One")
    with pytest.raises(CannedError, match="already exists; pick another title"):
        canned.create_canned(session=session, title=name.upper(), body="Two")
    other = canned.create_canned(session=session, title=title(), body="Two")
    with pytest.raises(CannedError, match="already exists"):
        canned.update_canned(session=session, canned_id=other.id, title=name, body="Two")
    assert (
        canned.update_canned(session=session, canned_id=made.id, title=name, body="1").body == "1"
    )


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("", "Body", "title of 1 to 120 characters"),
        ("x" * 121, "Body", "title of 1 to 120 characters"),
        ("Title", "   ", "needs some text"),
        ("Title", "b" * 5001, "5,001 characters; at most 5,000"),
        ("Title", "Hi {customer.phone}", "Unknown placeholder {customer.phone}. You can use"),
        ("Title", "Hi {name} and {agent.surname}", "Unknown placeholders {name}, {agent.surname}."),
    ],
)
def test_bad_responses_are_refused(session: Session, name: str, body: str, message: str) -> None:
    """Length limits and unknown placeholders, each named in the message."""
    with pytest.raises(CannedError, match=message.replace("{", r"\{").replace("}", r"\}")):
        canned.create_canned(session=session, title=name, body=body)


def test_error_lists_the_known_placeholders() -> None:
    """The message says what can be used instead."""
    with pytest.raises(CannedError) as caught:
        canned.check(title="T", body="{customer.nickname}")
    for placeholder in canned.PLACEHOLDERS:
        assert f"{{{placeholder}}}" in str(caught.value)


def test_render_fills_known_placeholders_only() -> None:
    """Known placeholders are replaced (missing values become ""); other braces stay as they are."""
    body = (
        "Hi {customer.first_name}, your {customer.plan} plan ({customer.email}). "
        "Code: {}, { x }, {{customer.name}}, {unknown.thing}, {json: 1}. — {agent.first_name}"
    )
    values = {"customer.first_name": "Ada", "customer.plan": "Plus", "agent.first_name": "Sam"}
    assert canned.render(body, values) == (
        "Hi Ada, your Plus plan (). Code: {}, { x }, {}, {unknown.thing}, {json: 1}. — Sam"
    )
    assert canned.render("{customer.name}", {}) == ""


def test_values_for_a_customer_and_an_agent() -> None:
    """First names are the first word; plan names come from the mapping when given."""
    customer = Customer(
        external_id="c", name=" Ada  Lovelace ", email="ada@example.com", plan="plus"
    )
    values = canned.values_for(
        customer=customer, agent_name="Sam Agent", plan_names={"plus": "Plus"}
    )
    assert values == {
        "customer.name": "Ada  Lovelace",
        "customer.first_name": "Ada",
        "customer.email": "ada@example.com",
        "customer.plan": "Plus",
        "agent.name": "Sam Agent",
        "agent.first_name": "Sam",
    }
    anonymous = canned.values_for(customer=None, agent_name="")
    assert set(anonymous.values()) == {""}
    assert set(anonymous) == set(canned.PLACEHOLDERS)
