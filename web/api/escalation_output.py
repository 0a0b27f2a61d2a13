"""How the escalations API finds and shows escalations: pages by state, queue rows, the full story."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, joinedload

from kb.config import PriorityPolicy
from kb.customers import customer_conversations
from kb.models import Escalation, EscalationNote, EscalationState, Message, Sender
from kb.queue import QueueItem, breached, queue_item
from kb.sla import Target
from web.api.escalation_schemas import (
    AgentRef,
    ArticleRef,
    CustomerOut,
    EscalationDetail,
    EscalationListQuery,
    EscalationSummary,
    EventOut,
    NoteOut,
    PastConversationOut,
    SlaClockOut,
    TranscriptMessage,
)
from web.chat.schemas import Button
from web.chat.updates import authors

WAITING = (EscalationState.QUEUED, EscalationState.ASSIGNED)


def in_state(
    session: Session, query: EscalationListQuery, agent_id: int, now: datetime
) -> tuple[list[Escalation], int]:
    """A page of escalations in ``query.state`` (within the view), and how many there are."""
    assert query.state is not None
    where: list[ColumnElement[bool]] = [Escalation.state == query.state]
    if query.view == "mine":
        where.append(Escalation.assigned_to == agent_id)
    elif query.view == "unassigned":
        where.append(Escalation.assigned_to.is_(None))
    elif query.view == "breached":
        where.append(breached(now))
    total = session.scalar(select(func.count(Escalation.id)).where(*where)) or 0
    waiting = query.state in WAITING
    order = Escalation.priority_key.desc() if waiting else Escalation.updated_at.desc()
    found = session.scalars(
        select(Escalation)
        .options(joinedload(Escalation.conversation))  # each row shows its customer
        .where(*where)
        .order_by(order, Escalation.id.desc())
        .limit(query.per_page)
        .offset(query.offset)
    )
    return list(found), int(total)


def summary(item: QueueItem) -> EscalationSummary:
    """An escalation as the queue shows it."""
    escalation = item.escalation
    sla = None
    if item.sla_target is not None and item.sla_due is not None:
        sla = SlaClockOut(
            target=cast(Target, item.sla_target),
            due=item.sla_due,
            seconds_left=round(item.sla_seconds_left or 0.0, 1),
            breached=item.breached,
        )
    agent = escalation.agent
    customer = escalation.conversation.customer
    return EscalationSummary(
        id=escalation.id,
        conversation_id=escalation.conversation.public_id,
        state=escalation.state,
        reason=escalation.reason,
        reason_detail=escalation.reason_detail,
        summary=escalation.summary,
        plan=escalation.plan,
        priority=round(item.priority, 2),
        waited_seconds=round(item.waited_seconds, 1),
        sla=sla,
        assigned_to=None if agent is None else AgentRef(id=agent.id, name=agent.display_name),
        customer_name=(customer.name or None) if customer is not None else None,
        queued_at=escalation.queued_at,
        assigned_at=escalation.assigned_at,
        resolved_at=escalation.resolved_at,
    )


def detail(
    session: Session, escalation: Escalation, now: datetime, policy: PriorityPolicy
) -> EscalationDetail:
    """An escalation with its whole story: handoff, live transcript, events, notes, customer."""
    conversation = escalation.conversation
    messages = list(
        session.scalars(
            select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)
        )
    )
    names = authors(session=session, messages=messages)
    notes = session.scalars(
        select(EscalationNote)
        .where(EscalationNote.escalation_id == escalation.id)
        .order_by(EscalationNote.id)
    )
    customer = conversation.customer
    previous = (
        customer_conversations(session=session, customer_id=customer.id, exclude=conversation.id)
        if customer is not None
        else []
    )
    context = escalation.context if isinstance(escalation.context, dict) else {}
    handoff = context.get("handoff")
    return EscalationDetail(
        **summary(queue_item(escalation, now, policy)).model_dump(),
        priority_factors=dict(escalation.priority_factors or {}),
        handoff=handoff if isinstance(handoff, dict) else {},
        email=conversation.email or (customer.email if customer is not None else None),
        transcript=[transcript_message(message, names) for message in messages],
        events=[
            EventOut(
                from_state=event.from_state,
                to_state=event.to_state,
                actor=event.actor,
                reason=event.reason,
                at=event.at,
            )
            for event in escalation.events
        ],
        notes=[
            NoteOut(
                id=note.id,
                author=note.author.display_name if note.author is not None else None,
                text=note.text,
                created_at=note.created_at,
            )
            for note in notes
        ],
        customer=None
        if customer is None
        else CustomerOut(
            external_id=customer.external_id,
            email=customer.email,
            name=customer.name,
            plan=customer.plan,
            attributes=dict(customer.attributes or {}),
        ),
        previous_conversations=[
            PastConversationOut(
                id=past.public_id,
                started_at=past.started_at,
                state=past.state,
                outcome=past.outcome,
                reason=past.reason,
                agent=past.agent,
                resolution_note=past.resolution_note,
                rating=past.rating,
            )
            for past in previous
        ],
        first_response_due=escalation.first_response_due,
        resolution_due=escalation.resolution_due,
        first_response_at=escalation.first_response_at,
        resolution_note=escalation.resolution_note,
        rating=escalation.rating,
        rating_comment=escalation.rating_comment,
    )


def transcript_message(message: Message, names: dict[int, str]) -> TranscriptMessage:
    """A message as the agent sees it, with what the bot understood of it."""
    return TranscriptMessage(
        id=message.id,
        sender=message.sender,
        text=message.text,
        kind=message.payload if message.sender == Sender.SYSTEM else None,
        author=names.get(message.author_id or 0) if message.sender == Sender.AGENT else None,
        payload=message.payload if message.sender == Sender.CUSTOMER else None,
        buttons=[
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in message.buttons
        ],
        articles=[
            ArticleRef(
                ref=str(a.get("ref", "")),
                title=str(a.get("title", "")),
                source=str(a.get("source", "")),
            )
            for a in message.articles
        ],
        intent=message.intent,
        confidence=message.confidence,
        tone=message.tone,
        created_at=message.created_at,
    )
