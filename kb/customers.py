"""Customer records: put one (API), import many (CSV), and a customer's earlier conversations.

The company's own systems push what agents should know: external id, email, name, plan and free
attributes (scalar values only). Fields given as None keep their stored values. Functions take the
session explicitly and flush; the caller commits.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.accounts import is_email, normalise_email
from kb.chat import MAX_EXTERNAL_ID, MAX_NAME, MAX_PLAN, upsert_customer
from kb.community import MAX_EMAIL
from kb.models import (
    Conversation,
    ConversationState,
    Customer,
    Escalation,
    EscalationState,
    utcnow,
)

MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_KEY = 64
MAX_ATTRIBUTE_VALUE = 1000
COLUMNS = ("external_id", "email", "name", "plan")
"""CSV columns with a field of their own; every other column is an attribute."""

Scalar = str | int | float | bool | None


class CustomerError(ValueError):
    """A customer record that cannot be stored; ``fields`` says what is wrong with each field."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__(" ".join(fields.values()))
        self.fields = dict(fields)


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One CSV record: the line it starts on, its values by column, and a problem reading it."""

    line: int
    values: Mapping[str, str]
    problem: str = ""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A CSV row that was not imported, and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(slots=True)
class CustomerImport:
    """What an import did: customers created and updated, and the rows that failed."""

    created: int = 0
    updated: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Rows not imported."""
        return len(self.problems)

    @property
    def ok(self) -> bool:
        """Whether every row was imported."""
        return not self.problems


@dataclass(frozen=True, slots=True)
class PastConversation:
    """One of a customer's conversations and how it ended (or where it stands)."""

    id: int
    public_id: str
    started_at: datetime
    state: ConversationState
    outcome: str  # bot, queued, assigned, resolved, handed_back
    reason: str  # why it was handed over ("" when it never was)
    agent: str | None
    resolution_note: str
    rating: int | None

    @property
    def outcome_text(self) -> str:
        """The outcome in words, for the desk."""
        agent = self.agent or "an agent"
        return {
            "bot": "Handled by the bot",
            "queued": "Waiting for an agent",
            "assigned": f"With {agent}",
            "resolved": f"Resolved by {agent}",
            "handed_back": f"Resolved by {agent}, handed back to the bot",
        }[self.outcome]


def check_fields(
    *,
    external_id: str,
    email: str | None = None,
    name: str | None = None,
    plan: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    plans: Collection[str] | None = None,
) -> dict[str, str]:
    """What is wrong with each field (empty when nothing is); ``plans`` are the known plan keys."""
    problems: dict[str, str] = {}
    if not external_id.strip():
        problems["external_id"] = "The external id is missing."
    elif len(external_id.strip()) > MAX_EXTERNAL_ID:
        problems["external_id"] = (
            f"The external id is {len(external_id.strip())} characters; "
            f"at most {MAX_EXTERNAL_ID} allowed."
        )
    if email is not None and not is_email(normalise_email(email)):
        problems["email"] = f"{email.strip()!r} is not an email address" + (
            f" (at most {MAX_EMAIL} characters)." if len(email) > MAX_EMAIL else "."
        )
    if name is not None and len(name.strip()) > MAX_NAME:
        problems["name"] = (
            f"The name is {len(name.strip())} characters; at most {MAX_NAME} allowed."
        )
    if plan is not None:
        plan = plan.strip()
        if plans is not None and plan not in plans:
            known = ", ".join(sorted(plans))
            problems["plan"] = f"Unknown plan {plan[: MAX_PLAN * 2]!r}; use one of: {known}."
        elif not 1 <= len(plan) <= MAX_PLAN:
            problems["plan"] = f"A plan key must be 1 to {MAX_PLAN} characters."
    if attributes is not None:
        problem = attribute_problem(attributes)
        if problem:
            problems["attributes"] = problem
    return problems


def attribute_problem(attributes: Mapping[str, Any]) -> str | None:
    """Why ``attributes`` cannot be stored (too many, long keys, long or non-scalar values)."""
    if len(attributes) > MAX_ATTRIBUTES:
        return f"{len(attributes)} attributes; at most {MAX_ATTRIBUTES} are allowed."
    for key, value in attributes.items():
        if not isinstance(key, str) or not 1 <= len(key.strip()) <= MAX_ATTRIBUTE_KEY:
            return (
                f"Attribute names must be 1 to {MAX_ATTRIBUTE_KEY} characters: {str(key)[:80]!r}."
            )
        if not isinstance(value, Scalar):
            kind = "an object" if isinstance(value, Mapping) else "a list"
            return f"Attribute {key!r} is {kind}; values must be text, numbers, true/false or null."
        if isinstance(value, str) and len(value) > MAX_ATTRIBUTE_VALUE:
            return (
                f"Attribute {key!r} is {len(value)} characters; "
                f"at most {MAX_ATTRIBUTE_VALUE} allowed."
            )
    return None


def get_customer(*, session: Session, external_id: str) -> Customer | None:
    """The customer with this external id, or None."""
    return session.scalar(select(Customer).where(Customer.external_id == external_id.strip()))


def put_customer(
    *,
    session: Session,
    external_id: str,
    email: str | None = None,
    name: str | None = None,
    plan: str | None = None,
    attributes: Mapping[str, Scalar] | None = None,
    merge_attributes: bool = False,
    plans: Collection[str] | None = None,
) -> tuple[Customer, bool]:
    """Create or update a customer; True when created. Raises CustomerError naming bad fields.

    ``attributes`` replace the stored ones, or with ``merge_attributes`` are added to them.
    """
    problems = check_fields(
        external_id=external_id,
        email=email,
        name=name,
        plan=plan,
        attributes=attributes,
        plans=plans,
    )
    if problems:
        raise CustomerError(problems)
    existing = get_customer(session=session, external_id=external_id)
    merged: dict[str, Scalar] | None = None
    if attributes is not None:
        merged = {key.strip(): value for key, value in attributes.items()}
        if merge_attributes and existing is not None:
            merged = {**existing.attributes, **merged}
        if len(merged) > MAX_ATTRIBUTES:
            raise CustomerError(
                {
                    "attributes": f"The customer would have {len(merged)} attributes; "
                    f"at most {MAX_ATTRIBUTES} are allowed."
                }
            )
    customer = upsert_customer(
        session=session,
        external_id=external_id,
        email=email,
        name=None if name is None else name.strip(),
        plan=None if plan is None else plan.strip(),
    )
    if merged is not None and merged != customer.attributes:
        customer.attributes = merged
        customer.updated_at = utcnow()
        session.flush()
    return customer, existing is None


def read_csv(stream: TextIO) -> Iterator[CsvRow]:
    """The rows of a customer CSV with their line numbers; raises CustomerError for a bad header."""
    reader = csv.reader(stream)
    header = [name.strip() for name in next(reader, [])]
    known = [name.lower() if name.lower() in COLUMNS else name for name in header]
    if "external_id" not in known:
        raise CustomerError({"header": "The first line must name the columns, with external_id."})
    duplicates = sorted({name for name in known if known.count(name) > 1})
    if duplicates or "" in known:
        what = f"repeats {', '.join(duplicates)}" if duplicates else "has an unnamed column"
        raise CustomerError({"header": f"The header {what}; name every column once."})
    line = reader.line_num
    for values in reader:
        start, line = line + 1, reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) > len(known):
            problem = f"{len(values)} values but the header has {len(known)} columns."
            yield CsvRow(start, {}, problem)
        else:
            yield CsvRow(start, dict(zip(known, values, strict=False)))


def import_rows(
    *,
    session: Session,
    rows: Iterable[CsvRow],
    plans: Collection[str] | None = None,
) -> CustomerImport:
    """Create or update a customer per CSV row; bad rows are reported by line, the rest imported.

    Empty cells keep stored values; attribute columns are added to the customer's attributes.
    """
    report = CustomerImport()
    for row in rows:
        if row.problem:
            report.problems.append(RowProblem(row.line, row.problem))
            continue
        given = {key: value.strip() for key, value in row.values.items()}
        attributes = {k: v for k, v in given.items() if k not in COLUMNS and v}
        try:  # every check comes before any write, so a refused row leaves nothing behind
            _, created = put_customer(
                session=session,
                external_id=given.get("external_id", ""),
                email=given.get("email") or None,
                name=given.get("name") or None,
                plan=given.get("plan") or None,
                attributes=attributes or None,
                merge_attributes=True,
                plans=plans,
            )
        except CustomerError as error:
            report.problems.append(RowProblem(row.line, str(error)))
            continue
        if created:
            report.created += 1
        else:
            report.updated += 1
    return report


def customer_conversations(
    *, session: Session, customer_id: int, exclude: int | None = None, limit: int = 20
) -> list[PastConversation]:
    """A customer's conversations, newest first, each with the outcome of its latest escalation."""
    query = (
        select(Conversation)
        .where(Conversation.customer_id == customer_id)
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(limit)
    )
    if exclude is not None:
        query = query.where(Conversation.id != exclude)
    conversations = list(session.scalars(query))
    latest: dict[int, Escalation] = {}
    if conversations:
        escalations = session.scalars(
            select(Escalation)
            .where(Escalation.conversation_id.in_([c.id for c in conversations]))
            .order_by(Escalation.id)
        )
        latest = {escalation.conversation_id: escalation for escalation in escalations}
    return [_past(conversation, latest.get(conversation.id)) for conversation in conversations]


def _past(conversation: Conversation, escalation: Escalation | None) -> PastConversation:
    """A conversation and its latest escalation as the desk shows them."""
    outcome = "bot"
    if escalation is not None:
        outcome = {
            EscalationState.QUEUED: "queued",
            EscalationState.ASSIGNED: "assigned",
            EscalationState.RESOLVED: "resolved",
            EscalationState.BOT: "handed_back",
        }[escalation.state]
    agent = escalation.agent if escalation is not None else None
    return PastConversation(
        id=conversation.id,
        public_id=conversation.public_id,
        started_at=conversation.created_at,
        state=conversation.state,
        outcome=outcome,
        reason=escalation.reason if escalation is not None else "",
        agent=agent.display_name if agent is not None else None,
        resolution_note=escalation.resolution_note if escalation is not None else "",
        rating=escalation.rating if escalation is not None else None,
    )
