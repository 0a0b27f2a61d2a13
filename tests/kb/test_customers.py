"""kb.customers: put one customer, import a CSV row by row, and a customer's past conversations."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from kb import chat, customers, escalations
from kb.customers import CsvRow, CustomerError
from kb.models import Conversation, Customer, EscalationState, Role, User, utcnow

PLANS = ("free", "plus", "premium")


def external_id() -> str:
    """A unique external id."""
    return f"ext-{uuid.uuid4().hex[:10]}"


def rows(text: str) -> list[CsvRow]:
    """The rows of a CSV given as text."""
    return list(customers.read_csv(io.StringIO(text)))


# put_customer


def test_put_customer_creates_then_updates(session: Session) -> None:
    """The first put creates; later puts change only the fields given and replace attributes."""
    key = external_id()
    customer, created = customers.put_customer(
        session=session,
        external_id=f"  {key} ",
        email="Ada@Example.com",
        name=" Ada Lovelace ",
        plan="plus",
        attributes={"orders": 3, "vip": True},
        plans=PLANS,
    )
    assert created
    assert (customer.external_id, customer.email, customer.name, customer.plan) == (
        key,
        "ada@example.com",
        "Ada Lovelace",
        "plus",
    )
    assert customer.attributes == {"orders": 3, "vip": True}
    again, created = customers.put_customer(
        session=session, external_id=key, plan="premium", attributes={"orders": 4}, plans=PLANS
    )
    assert not created and again.id == customer.id
    assert (again.email, again.name, again.plan) == ("ada@example.com", "Ada Lovelace", "premium")
    assert again.attributes == {"orders": 4}
    merged, _ = customers.put_customer(
        session=session, external_id=key, attributes={"city": "Leeds"}, merge_attributes=True
    )
    assert merged.attributes == {"orders": 4, "city": "Leeds"}
    assert customers.get_customer(session=session, external_id=key) is customer


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"external_id": "  "}, "external_id", "The external id is missing."),
        ({"external_id": "x" * 201}, "external_id", "201 characters; at most 200"),
        ({"email": "nope"}, "email", "'nope' is not an email address."),
        ({"name": "n" * 121}, "name", "121 characters; at most 120"),
        ({"plan": "gold"}, "plan", "Unknown plan 'gold'; use one of: free, plus, premium."),
        (
            {"attributes": {f"k{i}": i for i in range(51)}},
            "attributes",
            "51 attributes; at most 50",
        ),
        ({"attributes": {"": 1}}, "attributes", "names must be 1 to 64"),
        ({"attributes": {"k" * 65: 1}}, "attributes", "names must be 1 to 64"),
        ({"attributes": {"cart": [1, 2]}}, "attributes", "'cart' is a list"),
        ({"attributes": {"address": {"city": "x"}}}, "attributes", "'address' is an object"),
        ({"attributes": {"note": "n" * 1001}}, "attributes", "1001 characters; at most 1000"),
    ],
)
def test_put_customer_names_each_bad_field(
    session: Session, fields: dict[str, object], field: str, message: str
) -> None:
    """Nothing is stored and the error says which field is wrong and how."""
    values: dict[str, object] = {"external_id": external_id(), **fields}
    with pytest.raises(CustomerError) as caught:
        customers.put_customer(session=session, plans=PLANS, **values)  # type: ignore[arg-type]
    assert list(caught.value.fields) == [field]
    assert message in caught.value.fields[field]
    key = str(values["external_id"])
    if key.strip() and len(key) <= 200:
        assert customers.get_customer(session=session, external_id=key) is None


def test_merged_attributes_are_limited_too(session: Session) -> None:
    """Adding attributes to a customer who has many is refused before anything changes."""
    key = external_id()
    customers.put_customer(
        session=session, external_id=key, attributes={f"a{i}": i for i in range(45)}
    )
    with pytest.raises(CustomerError, match="would have 51 attributes"):
        customers.put_customer(
            session=session,
            external_id=key,
            plan="plus",
            attributes={f"b{i}": i for i in range(6)},
            merge_attributes=True,
        )
    customer = customers.get_customer(session=session, external_id=key)
    assert customer is not None and customer.plan == "free" and len(customer.attributes) == 45


def test_any_plan_when_no_plans_are_given(session: Session) -> None:
    """Without a list of plans only the length is checked."""
    customer, _ = customers.put_customer(session=session, external_id=external_id(), plan="gold")
    assert customer.plan == "gold"


# read_csv and import_rows


def test_read_csv_numbers_lines_and_maps_columns() -> None:
    """Known columns in any case; others kept as named; blank lines skipped; quoted newlines."""
    found = rows(
        'External_ID, Email ,name,Orders\nc1,a@example.com,"Ann\nLee",3\n\nc2,,Bob,\nc3,x,y,z,extra\n'
    )
    assert [row.line for row in found] == [2, 5, 6]
    assert found[0].values == {
        "external_id": "c1",
        "email": "a@example.com",
        "name": "Ann\nLee",
        "Orders": "3",
    }
    assert found[2].problem == "5 values but the header has 4 columns."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must name the columns, with external_id"),
        ("email,name\n", "must name the columns, with external_id"),
        ("external_id,email,EMAIL\n", "repeats email"),
        ("external_id,,plan\n", "unnamed column"),
    ],
)
def test_read_csv_rejects_a_bad_header(text: str, message: str) -> None:
    """A file whose header is unusable is refused as a whole."""
    with pytest.raises(CustomerError, match=message):
        rows(text)


def test_import_rows_imports_good_rows_and_reports_bad_ones(session: Session) -> None:
    """Good rows are stored, bad ones reported with their line; empty cells keep stored values."""
    known = external_id()
    customers.put_customer(
        session=session, external_id=known, name="Kept Name", plan="plus", attributes={"old": 1}
    )
    fresh = external_id()
    text = (
        "external_id,email,name,plan,orders,city\n"
        f"{fresh},new@example.com,New Person,premium,2,Leeds\n"
        f"{known},,,,5,\n"
        ",x@example.com,No Id,free,,\n"
        f"{external_id()},not-an-email,Bad Email,free,,\n"
        f"{external_id()},,Bad Plan,gold,,\n"
        f"{'y' * 201},,Long Id,,,\n"
        f"{external_id()},,{'n' * 121},,,\n"
        f"{external_id()},,,,1,2,3\n"
    )
    report = customers.import_rows(session=session, rows=rows(text), plans=PLANS)
    assert (report.created, report.updated, report.failed, report.ok) == (1, 1, 6, False)
    assert [problem.line for problem in report.problems] == [4, 5, 6, 7, 8, 9]
    messages = [str(problem) for problem in report.problems]
    assert messages[0] == "line 4: The external id is missing."
    assert messages[1] == "line 5: 'not-an-email' is not an email address."
    assert "line 6: Unknown plan 'gold'" in messages[2]
    assert "line 7: The external id is 201 characters" in messages[3]
    assert "line 8: The name is 121 characters" in messages[4]
    assert messages[5] == "line 9: 7 values but the header has 6 columns."
    created = customers.get_customer(session=session, external_id=fresh)
    assert created is not None
    assert (created.email, created.name, created.plan) == (
        "new@example.com",
        "New Person",
        "premium",
    )
    assert created.attributes == {"orders": "2", "city": "Leeds"}
    updated = customers.get_customer(session=session, external_id=known)
    assert updated is not None
    assert (updated.name, updated.plan, updated.attributes) == (
        "Kept Name",
        "plus",
        {"old": 1, "orders": "5"},
    )


def test_import_rows_counts_a_repeated_id_as_an_update(session: Session) -> None:
    """The same customer twice in one file: created, then updated."""
    key = external_id()
    report = customers.import_rows(
        session=session, rows=rows(f"external_id,plan\n{key},free\n{key},plus\n"), plans=PLANS
    )
    assert (report.created, report.updated, report.ok) == (1, 1, True)
    customer = customers.get_customer(session=session, external_id=key)
    assert customer is not None and customer.plan == "plus"


# customer_conversations


def test_customer_conversations_with_outcomes(session: Session) -> None:
    """Newest first, each with its latest escalation's outcome; others' and excluded ones left out."""
    customer, _ = customers.put_customer(session=session, external_id=external_id(), name="Cy")
    other, _ = customers.put_customer(session=session, external_id=external_id())
    agent = User(email=f"{uuid.uuid4().hex[:8]}@example.com", display_name="Agnes", role=Role.AGENT)
    session.add(agent)
    session.flush()
    started = utcnow() - timedelta(days=3)

    def conversation(offset_hours: int, owner: Customer = customer) -> Conversation:
        made = chat.start_conversation(session=session, customer=owner).conversation
        made.created_at = started + timedelta(hours=offset_hours)
        return made

    bot_only = conversation(0)
    resolved = conversation(1)
    escalation = escalations.escalate(
        session=session, conversation=resolved, reason="failed_answers", actor="bot"
    )
    escalation.agent = agent
    for state in (EscalationState.ASSIGNED, EscalationState.RESOLVED, EscalationState.BOT):
        escalations.transition(
            session=session, escalation=escalation, to_state=state, actor=f"agent:{agent.id}"
        )
    escalation.resolution_note = "Refunded"
    escalation.rating = 5
    waiting = conversation(2)
    escalations.escalate(
        session=session, conversation=waiting, reason="customer_request", actor="customer"
    )
    current = conversation(3)
    conversation(4, owner=other)
    session.flush()

    past = customers.customer_conversations(
        session=session, customer_id=customer.id, exclude=current.id
    )
    assert [item.id for item in past] == [waiting.id, resolved.id, bot_only.id]
    assert [item.outcome for item in past] == ["queued", "handed_back", "bot"]
    assert past[0].outcome_text == "Waiting for an agent" and past[0].reason == "customer_request"
    assert past[1].outcome_text == "Resolved by Agnes, handed back to the bot"
    assert (past[1].resolution_note, past[1].rating, past[1].agent) == ("Refunded", 5, "Agnes")
    assert past[2].outcome_text == "Handled by the bot" and past[2].rating is None
    limited = customers.customer_conversations(session=session, customer_id=customer.id, limit=2)
    assert [item.id for item in limited] == [current.id, waiting.id]
