"""Service-level clocks: when a first reply and a resolution are due, and how much time is left.

Targets count only the support team's business hours (:class:`kb.config.BusinessHours`, judged in
their time zone, summer time included); a plan without business hours counts every minute. A
target in whole days counts *business days*, each as long as the team's working day (Mon–Fri
08:00–18:00: 1 business day = 10 business hours), matching how :mod:`kb.service_levels` words
it ("within 1 business day"). A clock started while the team is away starts at the next opening.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from kb.config import BusinessHours, ServicePlan
from kb.models import Escalation, EscalationState, as_utc

Target = Literal["first_response", "resolution"]
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class SlaClock:
    """The service level that counts now for an escalation, and where it stands."""

    target: Target
    due: datetime
    seconds_left: float  # negative when overdue
    breached: bool


def _opening(day: date, hours: BusinessHours, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The day's opening and closing instants in UTC ('24:00' closes at the next midnight)."""
    start = datetime.combine(day, time.fromisoformat(hours.start), tzinfo=zone)
    if hours.end == "24:00":
        end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
    else:
        end = datetime.combine(day, time.fromisoformat(hours.end), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def day_minutes(hours: BusinessHours) -> int:
    """How long the team's working day is, in minutes (its nominal length)."""
    start = time.fromisoformat(hours.start)
    end_minutes = (
        MINUTES_PER_DAY if hours.end == "24:00" else _minutes(time.fromisoformat(hours.end))
    )
    length = end_minutes - _minutes(start)
    if length <= 0 or not hours.days:
        raise ValueError(
            f"business hours {hours.start}–{hours.end} on days {hours.days} are never open; "
            "the end must be after the start and at least one day given"
        )
    return length


def _minutes(moment: time) -> int:
    """Minutes since midnight."""
    return moment.hour * 60 + moment.minute


def business_minutes(minutes: int, hours: BusinessHours | None) -> int:
    """A target in business minutes: whole days become business days of the team's length."""
    if hours is not None and minutes % MINUTES_PER_DAY == 0:
        return minutes // MINUTES_PER_DAY * day_minutes(hours)
    return minutes


def add_business_minutes(start: datetime, minutes: float, hours: BusinessHours | None) -> datetime:
    """The moment ``minutes`` of business time after ``start`` (UTC); None hours means 24/7.

    Counting starts at ``start`` if the team is working then, else at the next opening; real
    elapsed time is counted, so a working day that crosses a clock change is an hour shorter or
    longer.
    """
    if start.tzinfo is None:
        raise ValueError("add_business_minutes needs a timezone-aware start")
    if minutes < 0:
        raise ValueError(f"minutes must not be negative, got {minutes}")
    start = start.astimezone(UTC)
    if hours is None:
        return start + timedelta(minutes=minutes)
    day_minutes(hours)  # refuses hours that are never open, so the loop below ends
    zone = ZoneInfo(hours.timezone)
    remaining = timedelta(minutes=minutes)
    day = start.astimezone(zone).date()
    cursor = start
    while True:
        if day.weekday() in hours.days:
            opens, closes = _opening(day, hours, zone)
            cursor = max(cursor, opens)
            if cursor < closes:
                available = closes - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
                cursor = closes
        day += timedelta(days=1)


def due_times(plan: ServicePlan, since: datetime) -> tuple[datetime, datetime]:
    """When the first reply and the resolution are due for a conversation queued at ``since``."""
    hours = plan.business_hours
    first = add_business_minutes(since, business_minutes(plan.first_response_minutes, hours), hours)
    resolution = add_business_minutes(
        since, business_minutes(plan.resolution_minutes, hours), hours
    )
    return first, resolution


def clock(escalation: Escalation, now: datetime) -> SlaClock | None:
    """The clock that counts now: the first reply until an agent has answered, then resolution.

    Only for escalations waiting for or with a person (queued, assigned); None otherwise, or
    when the escalation has no due time.
    """
    if escalation.state not in (EscalationState.QUEUED, EscalationState.ASSIGNED):
        return None
    if escalation.first_response_at is None:
        target: Target = "first_response"
        due, flagged = escalation.first_response_due, escalation.first_response_breached_at
    else:
        target = "resolution"
        due, flagged = escalation.resolution_due, escalation.resolution_breached_at
    if due is None:
        return None
    due = as_utc(due)
    left = (due - now.astimezone(UTC)).total_seconds()
    return SlaClock(
        target=target, due=due, seconds_left=left, breached=flagged is not None or left < 0
    )
