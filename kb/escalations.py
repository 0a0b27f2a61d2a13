"""Escalations: conversations handed to the support team, and every change of their state.

``queued → assigned → resolved``, plus ``assigned → queued`` (released), ``resolved → bot``
(handed back to the bot) and ``resolved → queued`` (the customer wrote again). Each change is
stored as an :class:`~kb.models.EscalationEvent` with who made it, when and why, and the
conversation's state follows. A new escalation gets its priority (:mod:`kb.priority`) and
service-level due times (:mod:`kb.sla`) and queues the ``escalation.created`` webhook event.
Functions take the session explicitly and flush; the caller commits.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.availability import plan_for
from kb.config import DEFAULT_PLANS, PriorityPolicy, ServicePlan
from kb.models import (
    Conversation,
    ConversationState,
    Escalation,
    EscalationEvent,
    EscalationState,
    as_utc,
    utcnow,
)
from kb.priority import assess, queue_key
from kb.sla import due_times
from kb.webhooks import emit

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


def customer_signals(context: dict[str, Any]) -> tuple[list[str], float | None]:
    """The customer's texts and their most negative tone, from the handoff turns and transcript."""
    handoff = context.get("handoff")
    turns = handoff.get("turns") if isinstance(handoff, dict) else None
    transcript = context.get("transcript")
    items = [t for t in turns if isinstance(t, dict)] if isinstance(turns, list) else []
    if isinstance(transcript, list):
        items += [m for m in transcript if isinstance(m, dict) and m.get("sender") == "customer"]
    texts: list[str] = []
    tones: list[float] = []
    for item in items:
        if isinstance(item.get("text"), str):
            texts.append(item["text"])
        tone = item.get("tone")
        if isinstance(tone, int | float) and not isinstance(tone, bool) and math.isfinite(tone):
            tones.append(float(tone))
    return texts, min(tones, default=None)


def escalate(
    *,
    session: Session,
    conversation: Conversation,
    reason: str,
    actor: str,
    reason_detail: str = "",
    summary: str = "",
    context: dict[str, Any] | None = None,
    plan: ServicePlan | None = None,
    policy: PriorityPolicy | None = None,
    now: datetime | None = None,
) -> Escalation:
    """Hand a conversation the bot is having to the team: a new ``queued`` escalation.

    Its priority (kb.priority) and service-level due times (kb.sla) are fixed now from the
    customer's plan (default: the built-in free plan), messages and tone; the webhook event
    ``escalation.created`` is queued.
    """
    if reason not in REASONS:
        raise EscalationError(f"Unknown handoff reason {reason!r}; use one of {sorted(REASONS)}.")
    check_actor(actor)
    if conversation.state != ConversationState.BOT:
        raise EscalationError(
            f"Only a conversation with the bot can be handed over; this one is "
            f"{conversation.state.value}."
        )
    plan = plan or plan_for(DEFAULT_PLANS, None)
    policy = policy or PriorityPolicy()
    now = now or utcnow()
    context = dict(context or {})
    texts, tone = customer_signals(context)
    priority = assess(
        plan=plan.key,
        texts=texts,
        reason=reason,
        reason_detail=reason_detail,
        tone=tone,
        policy=policy,
    )
    first_due, resolution_due = due_times(plan, now)
    escalation = Escalation(
        conversation_id=conversation.id,
        state=EscalationState.QUEUED,
        reason=reason,
        reason_detail=reason_detail[:MAX_DETAIL],
        summary=summary,
        context=context,
        plan=plan.key,
        priority_points=priority.points,
        priority_key=queue_key(priority.points, now, policy),
        priority_factors=priority.factors,
        queued_at=now,
        first_response_due=first_due,
        resolution_due=resolution_due,
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
    emit(session=session, event="escalation.created", data=escalation_data(escalation), now=now)
    return escalation


def transition(
    *,
    session: Session,
    escalation: Escalation,
    to_state: EscalationState,
    actor: str,
    reason: str = "",
    assigned_to: int | None = None,
    plan: ServicePlan | None = None,
    policy: PriorityPolicy | None = None,
    now: datetime | None = None,
) -> EscalationEvent:
    """Move an escalation to ``to_state`` if that is legal, recording who did it and why.

    Assigning sets ``assigned_at`` and the owner, when ``assigned_to`` is given;
    releasing clears the owner but keeps ``queued_at``, so the waiting time keeps counting;
    resolving sets ``resolved_at``. Reopening (resolved → queued: the customer wrote again)
    queues it afresh: new queue time and key, new due times from ``plan`` (default: the built-in
    plan with the escalation's key), no first response, no breaches. The conversation's state
    follows; handing back to the bot marks the conversation so the bot is told.
    """
    to_state = EscalationState(to_state)
    check_actor(actor)
    from_state = escalation.state
    if to_state not in TRANSITIONS[from_state]:
        raise EscalationError(
            f"An escalation cannot go from {from_state.value} to {to_state.value}."
        )
    now = now or utcnow()
    escalation.state = to_state
    if to_state == EscalationState.ASSIGNED:
        if assigned_to is not None:
            escalation.assigned_to = assigned_to
        escalation.assigned_at = now
    elif to_state == EscalationState.RESOLVED:
        escalation.resolved_at = now
    elif to_state == EscalationState.QUEUED and from_state == EscalationState.ASSIGNED:
        escalation.assigned_to, escalation.assigned_at = None, None
    elif to_state == EscalationState.QUEUED:
        _requeue(escalation, plan or plan_for(DEFAULT_PLANS, escalation.plan), policy, now)
    event = log_transition(
        session=session,
        escalation=escalation,
        from_state=from_state,
        actor=actor,
        reason=reason,
        now=now,
    )
    session.expire(escalation, ["agent"])  # the owner may have changed: reload on next use
    return event


def _requeue(
    escalation: Escalation, plan: ServicePlan, policy: PriorityPolicy | None, now: datetime
) -> None:
    """Queue a resolved escalation afresh, as if it had just been handed over."""
    escalation.assigned_to = escalation.assigned_at = escalation.resolved_at = None
    escalation.first_response_at = None
    escalation.first_response_breached_at = escalation.resolution_breached_at = None
    escalation.queued_at = now
    escalation.priority_key = queue_key(escalation.priority_points, now, policy or PriorityPolicy())
    escalation.first_response_due, escalation.resolution_due = due_times(plan, now)


def log_transition(
    *,
    session: Session,
    escalation: Escalation,
    from_state: EscalationState,
    actor: str,
    reason: str = "",
    now: datetime | None = None,
) -> EscalationEvent:
    """Record a change of state already made to ``escalation``; its conversation follows.

    :func:`transition` uses it, and so does the queue's atomic claim (one conditional UPDATE).
    """
    check_actor(actor)
    now = now or utcnow()
    to_state = escalation.state
    event = EscalationEvent(
        escalation_id=escalation.id,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        reason=reason[:MAX_DETAIL],
        at=now,
    )
    escalation.events.append(event)  # keeps a loaded history current
    escalation.updated_at = now
    conversation = session.get(Conversation, escalation.conversation_id)
    if conversation is not None:
        conversation.state = CONVERSATION_STATES[to_state]
        conversation.handed_back = to_state == EscalationState.BOT
        conversation.updated_at = now
    session.flush()
    return event


def _iso(moment: datetime | None) -> str | None:
    """A stored time as ISO 8601 in UTC."""
    return None if moment is None else as_utc(moment).isoformat()


def escalation_data(escalation: Escalation) -> dict[str, Any]:
    """An escalation as plain JSON data (webhook payloads): no transcript, no internal notes."""
    conversation = escalation.conversation
    customer = conversation.customer if conversation is not None else None
    agent = escalation.agent
    return {
        "id": escalation.id,
        "conversation_id": conversation.public_id if conversation is not None else None,
        "state": escalation.state.value,
        "reason": escalation.reason,
        "reason_detail": escalation.reason_detail,
        "summary": escalation.summary,
        "plan": escalation.plan,
        "customer": None
        if customer is None
        else {"external_id": customer.external_id, "plan": customer.plan},
        "priority": {
            "points": escalation.priority_points,
            "factors": dict(escalation.priority_factors or {}),
        },
        "assigned_to": None if agent is None else {"id": agent.id, "name": agent.display_name},
        "queued_at": _iso(escalation.queued_at),
        "assigned_at": _iso(escalation.assigned_at),
        "first_response_due": _iso(escalation.first_response_due),
        "resolution_due": _iso(escalation.resolution_due),
        "first_response_at": _iso(escalation.first_response_at),
        "resolved_at": _iso(escalation.resolved_at),
        "first_response_breached_at": _iso(escalation.first_response_breached_at),
        "resolution_breached_at": _iso(escalation.resolution_breached_at),
        "resolution_note": escalation.resolution_note,
        "rating": escalation.rating,
        "rating_comment": escalation.rating_comment,
    }


def latest_escalation(*, session: Session, conversation: Conversation) -> Escalation | None:
    """The conversation's most recent escalation, if it has one."""
    return session.scalar(
        select(Escalation)
        .where(Escalation.conversation_id == conversation.id)
        .order_by(Escalation.id.desc())
        .limit(1)
    )


def reopen(
    *,
    session: Session,
    conversation: Conversation,
    reason: str,
    plan: ServicePlan | None = None,
    policy: PriorityPolicy | None = None,
    now: datetime | None = None,
) -> Escalation:
    """The customer wrote to a resolved conversation: its escalation goes back in the queue,
    queued afresh (new queue time, priority key and due times; see :func:`transition`)."""
    escalation = latest_escalation(session=session, conversation=conversation)
    if escalation is None or escalation.state != EscalationState.RESOLVED:
        raise EscalationError("Only a resolved escalation can be reopened.")
    transition(
        session=session,
        escalation=escalation,
        to_state=EscalationState.QUEUED,
        actor="customer",
        reason=reason,
        plan=plan,
        policy=policy,
        now=now,
    )
    return escalation
