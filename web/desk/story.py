"""One escalation's whole story, gathered for the conversation page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kb import canned
from kb.config import Settings
from kb.customers import PastConversation, customer_conversations
from kb.knowledge_base import KnowledgeBase
from kb.models import CannedResponse, Customer, Escalation, EscalationNote, Role, User
from web.desk import assist, presenting, service
from web.desk.assist import DraftPrefill, Suggestion
from web.desk.handoff import Handoff, handoff_view
from web.desk.presenting import Factor, SlaClock
from web.desk.service import MessageView, Permissions


@dataclass(frozen=True, slots=True)
class EventView:
    """One change of state in the escalation's history."""

    at: datetime
    change: str
    actor: str
    reason: str


@dataclass(frozen=True, slots=True)
class CustomerCard:
    """Who the customer is and what the company told us about them."""

    name: str
    email: str
    plan: str
    external_id: str
    attributes: list[tuple[str, str]]
    known: bool


@dataclass(frozen=True, slots=True)
class ConversationPage:
    """Everything the conversation page shows."""

    escalation: Escalation
    title: str
    messages: list[MessageView]
    last_id: int
    seen: str
    handoff: Handoff
    customer: CustomerCard
    previous: list[PastConversation]
    notes: list[EscalationNote]
    note_authors: dict[int, str]
    events: list[EventView]
    sla: SlaClock
    priority: float
    factors: list[Factor]
    owner: str | None
    allowed: Permissions
    suggestions: list[Suggestion]
    canned: list[CannedResponse]
    agents: list[User]
    draft: DraftPrefill


def seen_token(escalation: Escalation) -> str:
    """What the page knows about who has the escalation; a long poll returns when it changes."""
    return f"{escalation.state.value}:{escalation.assigned_to or 0}"


def customer_card(escalation: Escalation, settings: Settings) -> CustomerCard:
    """The customer's record (or what the chat learnt about an anonymous visitor)."""
    conversation = escalation.conversation
    customer: Customer | None = conversation.customer
    plans = service.plan_names(settings)
    if customer is None:
        return CustomerCard(
            name=service.customer_name(conversation),
            email=conversation.email or "",
            plan=plans.get(escalation.plan, escalation.plan),
            external_id="",
            attributes=[],
            known=False,
        )
    return CustomerCard(
        name=customer.name or "—",
        email=customer.email or conversation.email or "",
        plan=plans.get(customer.plan, customer.plan),
        external_id=customer.external_id,
        attributes=[(str(k), _show(v)) for k, v in sorted(customer.attributes.items())],
        known=True,
    )


def _show(value: Any) -> str:
    """An attribute value in words."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def conversation_page(
    *,
    session: Session,
    escalation: Escalation,
    staff_id: int,
    role: Role,
    now: datetime,
    settings: Settings,
    knowledge_base: KnowledgeBase,
    url_for_hit: Callable[[str, str], str],
) -> ConversationPage:
    """The escalation's transcript, handoff, customer, notes, history, clocks and assist."""
    conversation = escalation.conversation
    messages = service.transcript(session=session, conversation=conversation)
    views = service.message_views(session, messages)
    notes = service.notes(session=session, escalation=escalation)
    events = list(escalation.events)
    agent_ids = [n.author_id for n in notes] + [
        int(e.actor.partition(":")[2]) for e in events if e.actor.startswith("agent:")
    ]
    names = service.staff_names(session, agent_ids)
    previous = (
        customer_conversations(
            session=session, customer_id=conversation.customer_id, exclude=conversation.id
        )
        if conversation.customer_id is not None
        else []
    )
    question = assist.latest_question(messages)
    priority = service.current_priority(escalation, now=now, settings=settings)
    customer = customer_card(escalation, settings)
    return ConversationPage(
        escalation=escalation,
        title=escalation.summary or presenting.reason_label(escalation.reason),
        messages=views,
        last_id=messages[-1].id if messages else 0,
        seen=seen_token(escalation),
        handoff=handoff_view(escalation),
        customer=customer,
        previous=previous,
        notes=notes,
        note_authors=names,
        events=[
            EventView(
                at=e.at,
                change=f"{e.from_state.value} → {e.to_state.value}"
                if e.from_state is not None
                else f"→ {e.to_state.value}",
                actor=presenting.actor_label(e.actor, names),
                reason=presenting.reason_label(e.reason)
                if e.reason in presenting.REASONS
                else e.reason,
            )
            for e in events
        ],
        sla=presenting.sla_clock(escalation, now),
        priority=priority,
        factors=presenting.priority_factors(
            escalation.priority_factors,
            waiting_points=priority - escalation.priority_points,
            plans=service.plan_names(settings),
        ),
        owner=escalation.agent.display_name if escalation.agent is not None else None,
        allowed=service.permissions(escalation, staff_id=staff_id, role=role),
        suggestions=assist.suggestions(knowledge_base, question.text, url_for_hit=url_for_hit)
        if question is not None
        else [],
        canned=canned.list_canned(session=session),
        agents=service.agent_choices(session=session, exclude=escalation.assigned_to),
        draft=assist.draft_prefill(messages),
    )
