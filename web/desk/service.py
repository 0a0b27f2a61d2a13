"""What the desk's pages show: queue rows, and one escalation's whole story on one screen.

Every function takes the session explicitly and only reads; the views commit what kb.queue and
kb.desk change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb import priority, queue
from kb.config import Settings
from kb.models import (
    Conversation,
    Escalation,
    EscalationNote,
    EscalationState,
    Message,
    Role,
    Sender,
    User,
    as_utc,
)
from web.desk import presenting
from web.desk.presenting import Factor, SlaClock

AGENT_ROLES = (Role.AGENT, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One escalation as the queue lists it."""

    id: int
    state: str
    priority: float
    factors: list[Factor]
    customer: str
    plan: str
    reason: str
    summary: str
    waited: str
    sla: SlaClock
    owner: str | None
    mine: bool

    def as_json(self) -> dict[str, Any]:
        """The row for queue.json."""
        return {
            "id": self.id,
            "state": self.state,
            "priority": round(self.priority, 1),
            "customer": self.customer,
            "plan": self.plan,
            "reason": self.reason,
            "summary": self.summary,
            "waited": self.waited,
            "sla": self.sla.text,
            "breached": self.sla.breached,
            "owner": self.owner,
            "mine": self.mine,
        }


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One tab of the queue and how many escalations every tab holds."""

    view: queue.View
    rows: list[QueueRow]
    counts: dict[queue.View, int]


def plan_names(settings: Settings) -> dict[str, str]:
    """Plan key → the plan's name."""
    return {plan.key: plan.name for plan in settings.service_plans}


def customer_name(conversation: Conversation) -> str:
    """Who the customer is, as well as we know: name, email, or an anonymous visitor."""
    customer = conversation.customer
    if customer is not None and (customer.name or customer.email):
        return customer.name or customer.email or ""
    return conversation.email or "Anonymous visitor"


def queue_page(
    *, session: Session, view: queue.View, agent_id: int, now: datetime, settings: Settings
) -> QueuePage:
    """A tab of the queue, highest priority first, with every tab's count."""
    items = queue.list_queue(
        session=session, view=view, agent_id=agent_id, now=now, policy=settings.priority
    )
    preload_conversations(session, (item.escalation for item in items))
    names = plan_names(settings)
    rows = [queue_row(item, agent_id=agent_id, plans=names) for item in items]
    return QueuePage(view, rows, queue.counts(session=session, agent_id=agent_id, now=now))


def preload_conversations(session: Session, escalations: Iterable[Escalation]) -> None:
    """Load the escalations' conversations (and customers) in one query, not one per row."""
    ids = {escalation.conversation_id for escalation in escalations}
    if ids:
        list(session.scalars(select(Conversation).where(Conversation.id.in_(ids))))


def queue_row(item: queue.QueueItem, *, agent_id: int, plans: dict[str, str]) -> QueueRow:
    """A queue item in words."""
    escalation = item.escalation
    waiting = item.priority - escalation.priority_points
    agent = escalation.agent
    return QueueRow(
        id=escalation.id,
        state=escalation.state.value,
        priority=item.priority,
        factors=presenting.priority_factors(
            escalation.priority_factors, waiting_points=waiting, plans=plans
        ),
        customer=customer_name(escalation.conversation),
        plan=plans.get(escalation.plan, escalation.plan),
        reason=presenting.reason_label(escalation.reason),
        summary=escalation.summary,
        waited=presenting.duration(item.waited_seconds),
        sla=presenting.sla_text(item.sla_target, item.sla_seconds_left, breached=item.breached),
        owner=agent.display_name if agent is not None else None,
        mine=escalation.assigned_to == agent_id,
    )


# -- one escalation ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageView:
    """A transcript line."""

    id: int
    sender: str
    text: str
    created_at: datetime
    author: str
    intent: str | None
    confidence: str | None
    tone: str | None
    articles: list[dict[str, str]]
    buttons: list[str]

    def as_json(self) -> dict[str, Any]:
        """The message for messages.json (the page renders ``html`` with the same template)."""
        return {
            "id": self.id,
            "sender": self.sender,
            "text": self.text,
            "author": self.author,
            "created_at": as_utc(self.created_at).isoformat(),
        }


def staff_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """User id → display name for the given ids."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def message_views(session: Session, messages: Sequence[Message]) -> list[MessageView]:
    """Transcript lines with the agents' names."""
    names = staff_names(session, (m.author_id for m in messages))
    who = {"customer": "Customer", "bot": "Bot", "system": "System"}
    return [
        MessageView(
            id=m.id,
            sender=m.sender.value,
            text=m.text,
            created_at=as_utc(m.created_at),
            author=(names.get(m.author_id, "Agent") if m.author_id is not None else "Agent")
            if m.sender == Sender.AGENT
            else who[m.sender.value],
            intent=m.intent,
            confidence=presenting.percent(m.confidence) if m.confidence is not None else None,
            tone=presenting.signed(m.tone) if m.tone is not None else None,
            articles=[
                {
                    "title": str(a.get("title", "")),
                    "ref": str(a.get("ref", "")),
                    "source": str(a.get("source", "official")),
                }
                for a in m.articles
            ],
            buttons=[str(b.get("title", "")) for b in m.buttons],
        )
        for m in messages
    ]


def transcript(*, session: Session, conversation: Conversation, after: int = 0) -> list[Message]:
    """Every message of the conversation after ``after``, oldest first."""
    query = (
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.id > after)
        .order_by(Message.id)
    )
    return list(session.scalars(query))


def last_message_id(*, session: Session, conversation_id: int) -> int:
    """The id of the conversation's newest message (0 without any)."""
    query = select(func.max(Message.id)).where(Message.conversation_id == conversation_id)
    return int(session.scalar(query) or 0)


def notes(*, session: Session, escalation: Escalation) -> list[EscalationNote]:
    """The escalation's internal notes, oldest first."""
    query = (
        select(EscalationNote)
        .where(EscalationNote.escalation_id == escalation.id)
        .order_by(EscalationNote.id)
    )
    return list(session.scalars(query))


def agent_choices(*, session: Session, exclude: int | None) -> list[User]:
    """Agents and admins who can take a reassigned escalation, by name."""
    query = (
        select(User)
        .where(User.role.in_(AGENT_ROLES), User.suspended.is_(False))
        .order_by(User.display_name, User.id)
    )
    return [user for user in session.scalars(query) if user.id != exclude]


def current_priority(escalation: Escalation, *, now: datetime, settings: Settings) -> float:
    """Priority points now: the fixed points plus what waiting added until it was taken."""
    queued_at = as_utc(escalation.queued_at)
    until = now
    if escalation.state != EscalationState.QUEUED:
        until = as_utc(escalation.assigned_at or escalation.updated_at)
    return priority.current(escalation.priority_points, queued_at, until, settings.priority)


@dataclass(frozen=True, slots=True)
class Permissions:
    """What the signed-in agent may do with this escalation, and why not when they may not."""

    claim: bool
    reply: bool
    manage: bool  # release, reassign, resolve
    hand_back: bool
    why_not_reply: str


def permissions(escalation: Escalation, *, staff_id: int, role: Role) -> Permissions:
    """The actions to offer (kb.desk checks them again)."""
    state = escalation.state
    mine = escalation.assigned_to == staff_id
    manage = state == EscalationState.ASSIGNED and (mine or role == Role.ADMIN)
    owner = escalation.agent.display_name if escalation.agent is not None else "someone else"
    why = {
        EscalationState.QUEUED: "Take this conversation to reply to the customer.",
        EscalationState.ASSIGNED: (
            f"{owner} is handling this conversation. Ask them, or an admin, to reassign it "
            "to you; you can still add internal notes."
        ),
        EscalationState.RESOLVED: (
            "This conversation is resolved. If the customer writes again it comes back to the queue."
        ),
        EscalationState.BOT: "The bot has this conversation again.",
    }
    return Permissions(
        claim=state == EscalationState.QUEUED,
        reply=state == EscalationState.ASSIGNED and mine,
        manage=manage,
        hand_back=manage or state == EscalationState.RESOLVED,
        why_not_reply="" if state == EscalationState.ASSIGNED and mine else why[state],
    )
