"""The handoff queue: fair order, atomic claiming, views and counts, and a waiting customer's place.

Order is ``Escalation.priority_key`` (kb.priority): plan, urgency and tone points fixed when the
escalation was queued, minus the ageing rate times the queue time, so waiting raises everyone
alike and the order never needs recomputing. Claiming is one conditional UPDATE (``… WHERE
state = 'queued'``): of two agents claiming at once exactly one wins, on SQLite and PostgreSQL.
Locks are always taken conversation row first, then escalation row, like the chat (which locks
the conversation to add a message), so the two paths cannot deadlock on PostgreSQL. Functions
take the session explicitly and flush; the caller commits.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from kb.config import PriorityPolicy
from kb.escalations import escalation_data, log_transition
from kb.models import Conversation, Escalation, EscalationState, Role, User, as_utc, utcnow
from kb.priority import current
from kb.sla import clock
from kb.webhooks import emit

View = Literal["unassigned", "mine", "breached", "all"]
VIEWS: tuple[View, ...] = ("unassigned", "mine", "breached", "all")
MAX_CLAIM_ATTEMPTS = 20
"""How many candidates ``claim_next`` tries when colleagues keep taking them first."""
DEFAULT_HANDLING_MINUTES = 10
"""The wait estimate's handling time per conversation before any has been resolved."""
HANDLING_SAMPLE = 50
"""How many recently resolved escalations the median handling time is taken over."""
ACTIVE = (EscalationState.QUEUED, EscalationState.ASSIGNED)


class AlreadyClaimed(Exception):
    """Somebody else owns the escalation (or it is not waiting any more): HTTP 409."""


class EscalationNotFound(LookupError):
    """No escalation has that id: HTTP 404."""


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One row of the desk's queue view."""

    escalation: Escalation
    priority: float  # points now, waiting included
    waited_seconds: float
    sla_target: str | None  # "first_response" or "resolution", the one that counts now
    sla_due: datetime | None
    sla_seconds_left: float | None  # negative when overdue
    breached: bool


@dataclass(frozen=True, slots=True)
class QueuePlace:
    """Where a waiting customer is: 1 = next, and roughly how long until someone replies."""

    position: int
    ahead: int
    estimated_wait_minutes: int
    agents_online: int


def get(*, session: Session, escalation_id: int) -> Escalation:
    """The escalation; raises EscalationNotFound."""
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        raise EscalationNotFound(f"There is no escalation with id {escalation_id}.")
    return escalation


def _utc(now: datetime) -> datetime:
    """``now`` in UTC (stored times are UTC; SQLite compares them as text)."""
    if now.tzinfo is None:
        raise ValueError("the queue needs a timezone-aware time")
    return now.astimezone(UTC)


def breached(now: datetime) -> ColumnElement[bool]:
    """Flagged as breached, or past a due time that still counts."""
    return or_(
        Escalation.first_response_breached_at.is_not(None),
        Escalation.resolution_breached_at.is_not(None),
        and_(Escalation.first_response_at.is_(None), Escalation.first_response_due < now),
        Escalation.resolution_due < now,
    )


def _view_filter(view: View, agent_id: int, now: datetime) -> ColumnElement[bool]:
    """Which escalations a view holds."""
    if view == "unassigned":
        return Escalation.state == EscalationState.QUEUED
    if view == "mine":
        return and_(
            Escalation.state == EscalationState.ASSIGNED, Escalation.assigned_to == agent_id
        )
    if view == "breached":
        return and_(Escalation.state.in_(ACTIVE), breached(now))
    if view == "all":
        return Escalation.state.in_(ACTIVE)
    raise ValueError(f"Unknown queue view {view!r}; use one of {list(VIEWS)}.")


def list_queue(
    *,
    session: Session,
    view: View,
    agent_id: int,
    now: datetime,
    policy: PriorityPolicy,
    limit: int = 100,
    offset: int = 0,
) -> list[QueueItem]:
    """A view of the queue, highest priority first (``mine``: the agent's assigned ones)."""
    if not 1 <= limit <= 500 or offset < 0:
        raise ValueError("limit must be 1 to 500 and offset not negative")
    now = _utc(now)
    query = (
        select(Escalation)
        .options(joinedload(Escalation.conversation))  # each row shows its customer
        .where(_view_filter(view, agent_id, now))
        .order_by(Escalation.priority_key.desc(), Escalation.id)
        .limit(limit)
        .offset(offset)
    )
    return [queue_item(escalation, now, policy) for escalation in session.scalars(query)]


def queue_item(escalation: Escalation, now: datetime, policy: PriorityPolicy) -> QueueItem:
    """One queue row; an assigned escalation's wait stopped when it was taken."""
    queued_at = as_utc(escalation.queued_at)
    until = now
    if escalation.state != EscalationState.QUEUED and escalation.assigned_at is not None:
        until = as_utc(escalation.assigned_at)
    sla = clock(escalation, now)
    return QueueItem(
        escalation=escalation,
        priority=current(escalation.priority_points, queued_at, until, policy),
        waited_seconds=max(0.0, (until - queued_at).total_seconds()),
        sla_target=sla.target if sla else None,
        sla_due=sla.due if sla else None,
        sla_seconds_left=sla.seconds_left if sla else None,
        breached=sla.breached if sla else False,
    )


def counts(*, session: Session, agent_id: int, now: datetime) -> dict[View, int]:
    """How many escalations each view holds."""
    now = _utc(now)
    columns = [
        func.coalesce(func.sum(case((_view_filter(view, agent_id, now), 1), else_=0)), 0)
        for view in VIEWS
    ]
    row = session.execute(select(*columns).where(Escalation.state.in_(ACTIVE))).one()
    return {view: int(value) for view, value in zip(VIEWS, row, strict=True)}


def claim(
    *, session: Session, escalation_id: int, agent_id: int, now: datetime | None = None
) -> Escalation:
    """Take this escalation; raises AlreadyClaimed unless it was queued, EscalationNotFound."""
    escalation = get(session=session, escalation_id=escalation_id)
    session.execute(
        select(Conversation.id)
        .where(Conversation.id == escalation.conversation_id)
        .with_for_update()
    )
    if not _take(session, escalation, agent_id, now or utcnow()):
        session.refresh(escalation)
        owner = f"agent {escalation.assigned_to}" if escalation.assigned_to else "nobody"
        raise AlreadyClaimed(
            f"Escalation {escalation_id} is not waiting any more: it is {escalation.state.value}"
            f" (owner: {owner})."
        )
    return escalation


def _take(session: Session, escalation: Escalation, agent_id: int, now: datetime) -> bool:
    """The atomic claim: one conditional UPDATE; whether this agent won. The caller holds the
    conversation's lock (PostgreSQL) so the lock order is conversation, then escalation."""
    result = session.execute(
        update(Escalation)
        .where(Escalation.id == escalation.id, Escalation.state == EscalationState.QUEUED)
        .values(
            state=EscalationState.ASSIGNED, assigned_to=agent_id, assigned_at=now, updated_at=now
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(escalation)
    log_transition(
        session=session,
        escalation=escalation,
        from_state=EscalationState.QUEUED,
        actor=f"agent:{agent_id}",
        reason="claimed",
        now=now,
    )
    emit(session=session, event="escalation.assigned", data=escalation_data(escalation), now=now)
    return True


def claim_next(
    *, session: Session, agent_id: int, now: datetime | None = None
) -> Escalation | None:
    """Take the highest-priority queued escalation, or None when the queue is empty.

    On PostgreSQL the candidate's conversation row is locked with ``SKIP LOCKED``, so agents
    taking next at the same time spread over different escalations instead of queueing for the
    top one; only when every waiting one is locked does it wait for the top one. A candidate a
    colleague won meanwhile is skipped and the next one tried.
    """
    now = now or utcnow()
    lost: list[int] = []
    for _ in range(MAX_CLAIM_ATTEMPTS):
        row = _candidate(session, lost, skip_locked=True)
        if row is None and _any_queued(session):
            row = _candidate(session, lost, skip_locked=False)
        if row is None:
            return None
        escalation = get(session=session, escalation_id=row)
        if _take(session, escalation, agent_id, now):
            return escalation
        lost.append(escalation.id)
    raise AlreadyClaimed("Colleagues took every escalation tried; please try again.")


def _candidate(session: Session, lost: list[int], *, skip_locked: bool) -> int | None:
    """The top queued escalation's id, its conversation row locked (PostgreSQL)."""
    query = (
        select(Escalation.id)
        .join(Conversation, Escalation.conversation_id == Conversation.id)
        .where(Escalation.state == EscalationState.QUEUED)
        .order_by(Escalation.priority_key.desc(), Escalation.id)
        .limit(1)
        .with_for_update(of=Conversation, skip_locked=skip_locked)
    )
    if lost:
        query = query.where(Escalation.id.not_in(lost))
    return session.scalar(query)


def _any_queued(session: Session) -> bool:
    """Whether anything is queued at all (perhaps locked by colleagues right now)."""
    found = session.scalar(
        select(Escalation.id).where(Escalation.state == EscalationState.QUEUED).limit(1)
    )
    return found is not None


def place_in_queue(
    *,
    session: Session,
    escalation: Escalation,
    now: datetime,
    online_minutes: int,
) -> QueuePlace | None:
    """A queued escalation's position and estimated wait (None when it is not queued).

    The estimate is a rough, honest heuristic (docs/desk.md): position × the median handling
    time of the last 50 resolved escalations (10 minutes before there are any) ÷ the agents
    online. With nobody online it is the time left until the first-response target.
    """
    if escalation.state != EscalationState.QUEUED:
        return None
    now = _utc(now)
    ahead = int(
        session.scalar(
            select(func.count(Escalation.id)).where(
                Escalation.state == EscalationState.QUEUED,
                or_(
                    Escalation.priority_key > escalation.priority_key,
                    and_(
                        Escalation.priority_key == escalation.priority_key,
                        Escalation.id < escalation.id,
                    ),
                ),
            )
        )
        or 0
    )
    online = agents_online(session=session, now=now, minutes=online_minutes)
    position = ahead + 1
    if online == 0 and escalation.first_response_due is not None:
        left = (as_utc(escalation.first_response_due) - now).total_seconds() / 60
        if left > 0:
            return QueuePlace(position, ahead, math.ceil(left), online)
    wait = position * handling_minutes(session=session) / max(1, online)
    return QueuePlace(position, ahead, max(1, math.ceil(wait)), online)


def handling_minutes(*, session: Session) -> float:
    """The median minutes from taking to resolving, over recently resolved escalations."""
    rows = session.execute(
        select(Escalation.assigned_at, Escalation.resolved_at)
        .where(Escalation.resolved_at.is_not(None), Escalation.assigned_at.is_not(None))
        .order_by(Escalation.resolved_at.desc())
        .limit(HANDLING_SAMPLE)
    ).all()
    spans = [
        (as_utc(resolved) - as_utc(assigned)).total_seconds() / 60
        for assigned, resolved in rows
        if assigned is not None and resolved is not None and resolved >= assigned
    ]
    if not spans:
        return float(DEFAULT_HANDLING_MINUTES)
    return max(1.0, statistics.median(spans))


def agents_online(*, session: Session, now: datetime, minutes: int) -> int:
    """Agents and admins seen on the desk in the last ``minutes``."""
    since = _utc(now) - timedelta(minutes=minutes)
    return int(
        session.scalar(
            select(func.count(User.id)).where(
                User.role.in_([Role.AGENT, Role.ADMIN]),
                User.suspended.is_(False),
                User.last_seen_at >= since,
            )
        )
        or 0
    )
