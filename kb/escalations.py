"""Escalations: conversations handed to the support team, and every change of their state.

``queued → assigned → resolved``, plus ``assigned → queued`` (released), ``resolved → bot``
(handed back to the bot) and ``resolved → queued`` (the customer wrote again). Each change is
stored as an :class:`~kb.models.EscalationEvent` with who made it, when and why, and the
conversation's state follows. Functions take the session explicitly and flush; the caller commits.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.models import (
    Conversation,
    ConversationState,
    Escalation,
    EscalationEvent,
    EscalationState,
    utcnow,
)

REASONS = frozenset(
    {
        "customer_request",
        "failed_answers",
        "negative_tone",
        "repeated_question",
        "business_rule",
        "no_answer",
        "bot_unavailable",
    }
)
"""Why a conversation was handed over (docs/chat.md, the handoff payload's ``reason``)."""

TRANSITIONS: dict[EscalationState, frozenset[EscalationState]] = {
    EscalationState.QUEUED: frozenset({EscalationState.ASSIGNED}),
    EscalationState.ASSIGNED: frozenset({EscalationState.RESOLVED, EscalationState.QUEUED}),
    EscalationState.RESOLVED: frozenset({EscalationState.BOT, EscalationState.QUEUED}),
    EscalationState.BOT: frozenset(),
}
"""The legal changes of state; a conversation handed back that needs a person again gets a new
escalation."""

CONVERSATION_STATES = {
    EscalationState.QUEUED: ConversationState.QUEUED,
    EscalationState.ASSIGNED: ConversationState.ASSIGNED,
    EscalationState.RESOLVED: ConversationState.RESOLVED,
    EscalationState.BOT: ConversationState.BOT,
}
MAX_DETAIL = 500
_ACTOR = re.compile(r"bot|system|customer|agent:[1-9][0-9]{0,18}")


class EscalationError(ValueError):
    """An escalation or state change that is not allowed; the message says why."""


def check_actor(actor: str) -> str:
    """``actor`` if it is ``bot``, ``system``, ``customer`` or ``agent:<user id>``."""
    if not isinstance(actor, str) or not _ACTOR.fullmatch(actor):
        raise EscalationError(
            f"Unknown actor {actor!r}: use bot, system, customer or agent:<user id>."
        )
    return actor


def escalate(
    *,
    session: Session,
    conversation: Conversation,
    reason: str,
    actor: str,
    reason_detail: str = "",
    summary: str = "",
    context: dict[str, Any] | None = None,
    plan: str = "free",
) -> Escalation:
    """Hand a conversation the bot is having to the team: a new ``queued`` escalation."""
    if reason not in REASONS:
        raise EscalationError(f"Unknown handoff reason {reason!r}; use one of {sorted(REASONS)}.")
    check_actor(actor)
    if conversation.state != ConversationState.BOT:
        raise EscalationError(
            f"Only a conversation with the bot can be handed over; this one is "
            f"{conversation.state.value}."
        )
    now = utcnow()
    escalation = Escalation(
        conversation_id=conversation.id,
        state=EscalationState.QUEUED,
        reason=reason,
        reason_detail=reason_detail[:MAX_DETAIL],
        summary=summary,
        context=dict(context or {}),
        plan=plan,
        created_at=now,
        updated_at=now,
    )
    session.add(escalation)
    session.flush()
    session.add(
        EscalationEvent(
            escalation_id=escalation.id,
            from_state=None,
            to_state=EscalationState.QUEUED,
            actor=actor,
            reason=reason,
            at=now,
        )
    )
    conversation.state = ConversationState.QUEUED
    conversation.handed_back = False
    conversation.updated_at = now
    session.flush()
    return escalation


def transition(
    *,
    session: Session,
    escalation: Escalation,
    to_state: EscalationState,
    actor: str,
    reason: str = "",
) -> EscalationEvent:
    """Move an escalation to ``to_state`` if that is legal, recording who did it and why.

    The conversation's state follows; handing back to the bot marks the conversation so the bot
    is told on the next message.
    """
    to_state = EscalationState(to_state)
    check_actor(actor)
    if to_state not in TRANSITIONS[escalation.state]:
        raise EscalationError(
            f"An escalation cannot go from {escalation.state.value} to {to_state.value}."
        )
    now = utcnow()
    event = EscalationEvent(
        escalation_id=escalation.id,
        from_state=escalation.state,
        to_state=to_state,
        actor=actor,
        reason=reason[:MAX_DETAIL],
        at=now,
    )
    session.add(event)
    escalation.state = to_state
    escalation.updated_at = now
    conversation = session.get(Conversation, escalation.conversation_id)
    if conversation is not None:
        conversation.state = CONVERSATION_STATES[to_state]
        conversation.handed_back = to_state == EscalationState.BOT
        conversation.updated_at = now
    session.flush()
    return event


def latest_escalation(*, session: Session, conversation: Conversation) -> Escalation | None:
    """The conversation's most recent escalation, if it has one."""
    return session.scalar(
        select(Escalation)
        .where(Escalation.conversation_id == conversation.id)
        .order_by(Escalation.id.desc())
        .limit(1)
    )


def reopen(*, session: Session, conversation: Conversation, reason: str) -> Escalation:
    """The customer wrote to a resolved conversation: its escalation goes back in the queue."""
    escalation = latest_escalation(session=session, conversation=conversation)
    if escalation is None or escalation.state != EscalationState.RESOLVED:
        raise EscalationError("Only a resolved escalation can be reopened.")
    transition(
        session=session,
        escalation=escalation,
        to_state=EscalationState.QUEUED,
        actor="customer",
        reason=reason,
    )
    return escalation
