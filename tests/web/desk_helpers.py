"""Escalations for desk tests (helper D), made through kb the way the chat makes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from kb import chat
from kb.availability import plan_for
from kb.escalations import escalate
from kb.knowledge_base import KnowledgeBase
from kb.models import Escalation, EscalationState, Role, Sender, utcnow
from tests.web.chat_helpers import HANDOFF
from tests.web.staff_helpers import Staff, make_staff, sign_in


@dataclass(frozen=True)
class Case:
    """An escalated conversation: ids, and the token the customer's widget holds."""

    id: int
    conversation_id: int
    public_id: str
    token: str


def escalated(
    kb: KnowledgeBase,
    *,
    text: str = "My card payment failed twice and my order is stuck",
    plan: str = "free",
    name: str | None = None,
    email: str | None = None,
    attributes: dict[str, Any] | None = None,
    external_id: str | None = None,
    reason: str = "failed_answers",
    handoff: dict[str, Any] | None = None,
    minutes_ago: float = 0,
) -> Case:
    """A queued escalation (``minutes_ago`` it was queued): the customer's message, the bot's
    reply, the handoff."""
    settings = kb.settings
    with kb.sessions() as session:
        customer = None
        if name is not None:
            customer = chat.upsert_customer(
                session=session,
                external_id=external_id or f"ext-{name}-{utcnow().timestamp()}",
                email=email,
                name=name,
                plan=plan,
            )
            if attributes:
                customer.attributes = attributes
        new = chat.start_conversation(session=session, customer=customer)
        conversation = new.conversation
        chat.add_message(
            session=session,
            conversation=conversation,
            sender=Sender.CUSTOMER,
            text=text,
            intent="ask_question",
            confidence=0.41,
            tone=-0.5,
        )
        chat.add_message(
            session=session,
            conversation=conversation,
            sender=Sender.BOT,
            text="I'm bringing in a person from our team.",
        )
        payload = {**HANDOFF, "reason": reason, **(handoff or {})}
        escalation = escalate(
            session=session,
            conversation=conversation,
            reason=reason,
            actor="bot",
            summary=payload["summary"],
            context={
                "handoff": payload,
                "transcript": chat.transcript(session=session, conversation=conversation),
            },
            plan=plan_for(settings.service_plans, plan),
            policy=settings.priority,
            now=utcnow() - timedelta(minutes=minutes_ago),
        )
        session.commit()
        return Case(escalation.id, conversation.id, conversation.public_id, new.token)


def clear_queue(kb: KnowledgeBase) -> None:
    """Resolve every open escalation (other tests' leftovers) so queue views start empty."""
    with kb.sessions() as session:
        session.execute(
            update(Escalation)
            .where(Escalation.state.in_([EscalationState.QUEUED, EscalationState.ASSIGNED]))
            .values(state=EscalationState.RESOLVED)
        )
        session.commit()


def signed_in(app: Flask, kb: KnowledgeBase, role: Role = Role.AGENT) -> tuple[FlaskClient, Staff]:
    """A client signed in as a new staff member."""
    client = app.test_client()
    staff = make_staff(kb, role)
    sign_in(client, staff)
    return client, staff
