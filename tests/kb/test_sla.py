"""kb.sla: business-hours arithmetic (weekends, closing time, summer time) and SLA clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kb.config import DEFAULT_PLANS, BusinessHours, ServicePlan
from kb.models import Escalation, EscalationState
from kb.sla import add_business_minutes, business_minutes, clock, due_times

LONDON = ZoneInfo("Europe/London")
HOURS = BusinessHours()  # Mon–Fri 08:00–18:00 London time
FREE, PLUS, PREMIUM = DEFAULT_PLANS


def london(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A London wall-clock time."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        (london(2026, 6, 3, 10, 0), 240, london(2026, 6, 3, 14, 0)),  # Wed, within the day
        (london(2026, 6, 3, 14, 0), 240, london(2026, 6, 3, 18, 0)),  # ends exactly at closing
        (london(2026, 6, 3, 16, 0), 240, london(2026, 6, 4, 10, 0)),  # carries to Thursday
        (london(2026, 6, 5, 17, 0), 120, london(2026, 6, 8, 9, 0)),  # Friday → Monday
        (london(2026, 6, 6, 12, 0), 30, london(2026, 6, 8, 8, 30)),  # Saturday: from Monday
        (london(2026, 6, 3, 6, 30), 15, london(2026, 6, 3, 8, 15)),  # before opening
        (london(2026, 6, 3, 18, 0), 15, london(2026, 6, 4, 8, 15)),  # at closing
        (london(2026, 6, 3, 23, 0), 0, london(2026, 6, 4, 8, 0)),  # nothing left: next opening
        (london(2026, 6, 3, 10, 0), 0, london(2026, 6, 3, 10, 0)),
        (london(2026, 6, 3, 10, 0), 3 * 600, london(2026, 6, 8, 10, 0)),  # three working days
    ],
)
def test_business_minutes_in_london(start: datetime, minutes: int, due: datetime) -> None:
    """Only Mon–Fri 08:00–18:00 counts."""
    assert add_business_minutes(start, minutes, HOURS) == due


def test_summer_time_changes() -> None:
    """Opening hours follow the local clock across both changes; real minutes are counted."""
    # Clocks go forward on Sunday 29 March 2026: Friday 17:00 GMT + 2 h → Monday 09:00 BST.
    assert add_business_minutes(london(2026, 3, 27, 17, 0), 120, HOURS) == datetime(
        2026, 3, 30, 8, 0, tzinfo=UTC
    )
    # Clocks go back on Sunday 25 October 2026: Friday 17:00 BST + 2 h → Monday 09:00 GMT.
    assert add_business_minutes(london(2026, 10, 23, 17, 0), 120, HOURS) == datetime(
        2026, 10, 26, 9, 0, tzinfo=UTC
    )
    # Around the clock every day: 24 business hours across the spring change is 24 real hours.
    always = BusinessHours(
        days=list(range(7)), start="00:00", end="24:00", timezone="Europe/London"
    )
    start = london(2026, 3, 28, 12, 0)
    assert add_business_minutes(start, 24 * 60, always) == start.astimezone(UTC) + timedelta(
        hours=24
    )


def test_other_time_zones_and_days() -> None:
    """New York hours, a Sunday-only team, and 24:00 closing."""
    new_york = BusinessHours(
        days=[0, 1, 2, 3, 4], start="09:00", end="17:00", timezone="America/New_York"
    )
    # Wednesday 20:00 UTC is 16:00 in New York (EDT): 1 hour left, then Thursday 09:00.
    assert add_business_minutes(datetime(2026, 6, 3, 20, 0, tzinfo=UTC), 90, new_york) == datetime(
        2026, 6, 4, 13, 30, tzinfo=UTC
    )
    sundays = BusinessHours(days=[6], start="10:00", end="24:00", timezone="UTC")
    assert add_business_minutes(datetime(2026, 6, 3, 9, 0, tzinfo=UTC), 15 * 60, sundays) == (
        datetime(2026, 6, 14, 11, 0, tzinfo=UTC)
    )


def test_around_the_clock_and_bad_input() -> None:
    """No hours: plain minutes. Naive times, negative minutes and never-open hours are refused."""
    start = datetime(2026, 6, 6, 3, 0, tzinfo=UTC)
    assert add_business_minutes(start, 15, None) == start + timedelta(minutes=15)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_minutes(datetime(2026, 6, 6, 3, 0), 15, HOURS)
    with pytest.raises(ValueError, match="negative"):
        add_business_minutes(start, -1, HOURS)
    # Hours that are never open cannot be configured at all, so no due time is ever endless.
    with pytest.raises(ValueError, match="end after they start"):
        BusinessHours(start="09:00", end="09:00")
    with pytest.raises(ValueError, match="at least 1 item"):
        BusinessHours(days=[])
    with pytest.raises(ValueError, match="never open"):
        add_business_minutes(
            start,
            15,
            BusinessHours.model_construct(days=[], start="09:00", end="17:00", timezone="UTC"),
        )


def test_whole_days_are_business_days() -> None:
    """'1 business day' is one working day of the team (10 hours), as the service page says."""
    assert business_minutes(24 * 60, HOURS) == 600
    assert business_minutes(3 * 24 * 60, HOURS) == 1800
    assert business_minutes(240, HOURS) == 240
    assert business_minutes(24 * 60, None) == 24 * 60


def test_due_times_per_plan() -> None:
    """Free: next working day / three working days; Plus: 4 business hours; Premium: clock time."""
    queued = london(2026, 6, 3, 10, 0)  # Wednesday
    assert due_times(FREE, queued) == (london(2026, 6, 4, 10, 0), london(2026, 6, 8, 10, 0))
    assert due_times(PLUS, queued) == (london(2026, 6, 3, 14, 0), london(2026, 6, 4, 10, 0))
    saturday = datetime(2026, 6, 6, 3, 0, tzinfo=UTC)
    assert due_times(PREMIUM, saturday) == (
        saturday + timedelta(minutes=15),
        saturday + timedelta(hours=8),
    )
    odd = ServicePlan(key="x", name="X", first_response_minutes=90, resolution_minutes=1440)
    assert due_times(odd, saturday)[1] == saturday + timedelta(days=1)


NOW = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)


def escalation(state: EscalationState, **fields: object) -> Escalation:
    """An escalation in memory with its due times an hour apart around NOW."""
    values: dict[str, object] = {
        "state": state,
        "first_response_due": NOW + timedelta(minutes=30),
        "resolution_due": NOW + timedelta(hours=5),
    }
    values.update(fields)
    return Escalation(**values)


def test_clock_counts_first_response_until_an_agent_replied() -> None:
    """Queued or assigned without a reply: first response; after a reply: resolution."""
    for state in (EscalationState.QUEUED, EscalationState.ASSIGNED):
        waiting = clock(escalation(state), NOW)
        assert waiting is not None
        assert (waiting.target, waiting.seconds_left, waiting.breached) == (
            "first_response",
            1800,
            False,
        )
    answered = clock(escalation(EscalationState.ASSIGNED, first_response_at=NOW), NOW)
    assert answered is not None
    assert (answered.target, answered.seconds_left) == ("resolution", 5 * 3600)


def test_clock_overdue_flagged_and_finished() -> None:
    """Overdue is negative and breached; a flag stays breached; resolved and bot have no clock."""
    late = clock(escalation(EscalationState.QUEUED), NOW + timedelta(hours=1))
    assert late is not None and late.seconds_left == -1800 and late.breached
    flagged = escalation(EscalationState.QUEUED, first_response_breached_at=NOW)
    assert (clock_of := clock(flagged, NOW)) is not None and clock_of.breached
    naive = escalation(EscalationState.QUEUED, first_response_due=datetime(2026, 6, 3, 12, 30))
    assert (naive_clock := clock(naive, NOW)) is not None and naive_clock.seconds_left == 1800
    for state in (EscalationState.RESOLVED, EscalationState.BOT):
        assert clock(escalation(state), NOW) is None
    assert clock(escalation(EscalationState.QUEUED, first_response_due=None), NOW) is None
