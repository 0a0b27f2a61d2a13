"""The handoff queue: fair order, atomic claiming, views and counts, and a waiting customer's place.

Order is ``Escalation.priority_key`` (kb.priority): plan, urgency and tone points fixed when the
escalation was queued, minus the ageing rate times the queue time, so waiting raises everyone
alike and the order never needs recomputing. Claiming is one conditional UPDATE (``… WHERE
state = 'queued'``): of two agents claiming at once exactly one wins, on SQLite and PostgreSQL.
Functions take the session explicitly and flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from kb.config import PriorityPolicy
from kb.models import Escalation

View = Literal["unassigned", "mine", "breached", "all"]
VIEWS: tuple[View, ...] = ("unassigned", "mine", "breached", "all")


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
    raise NotImplementedError


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
    raise NotImplementedError


def counts(*, session: Session, agent_id: int, now: datetime) -> dict[View, int]:
    """How many escalations each view holds."""
    raise NotImplementedError


def claim(
    *, session: Session, escalation_id: int, agent_id: int, now: datetime | None = None
) -> Escalation:
    """Take this escalation; raises AlreadyClaimed unless it was queued, EscalationNotFound."""
    raise NotImplementedError


def claim_next(
    *, session: Session, agent_id: int, now: datetime | None = None
) -> Escalation | None:
    """Take the highest-priority queued escalation, or None when the queue is empty."""
    raise NotImplementedError


def place_in_queue(
    *,
    session: Session,
    escalation: Escalation,
    now: datetime,
    online_minutes: int,
) -> QueuePlace | None:
    """A queued escalation's position and estimated wait (None when it is not queued)."""
    raise NotImplementedError


def agents_online(*, session: Session, now: datetime, minutes: int) -> int:
    """Agents and admins seen on the desk in the last ``minutes``."""
    raise NotImplementedError
