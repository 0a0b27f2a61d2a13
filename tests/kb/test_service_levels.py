"""Service levels in plain words (pure functions)."""

from __future__ import annotations

import pytest

from kb.config import DEFAULT_PLANS, BusinessHours, ServicePlan
from kb.service_levels import (
    describe_plan,
    format_channels,
    format_days,
    format_duration,
    format_hours,
    format_timezone,
    join_words,
)


@pytest.mark.parametrize(
    ("minutes", "business", "expected"),
    [
        (1, False, "1 minute"),
        (15, False, "15 minutes"),
        (90, False, "90 minutes"),
        (60, False, "1 hour"),
        (240, True, "4 business hours"),
        (8 * 60, False, "8 hours"),
        (24 * 60, True, "1 business day"),
        (24 * 60, False, "1 day"),
        (3 * 24 * 60, True, "3 business days"),
        (36 * 60, False, "36 hours"),
    ],
)
def test_format_duration(minutes: int, business: bool, expected: str) -> None:
    """Whole days in days, whole hours in hours, the rest in minutes."""
    assert format_duration(minutes, business=business) == expected


def test_format_duration_rejects_zero() -> None:
    """A target of no time at all is a configuration mistake."""
    with pytest.raises(ValueError, match="at least 1 minute"):
        format_duration(0)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([0, 1, 2, 3, 4], "Mon–Fri"),
        ([4, 3, 2, 1, 0, 0], "Mon–Fri"),
        ([0, 1, 2, 3, 4, 5], "Mon–Sat"),
        (list(range(7)), "every day"),
        ([5, 6], "Sat and Sun"),
        ([0, 2, 4], "Mon, Wed and Fri"),
        ([0, 1, 3, 4, 5], "Mon, Tue and Thu–Sat"),
        ([2], "Wed"),
    ],
)
def test_format_days(days: list[int], expected: str) -> None:
    """Runs of three or more days become ranges; others are listed."""
    assert format_days(days) == expected


@pytest.mark.parametrize("days", [[], [7], [-1, 2]])
def test_format_days_rejects_bad_days(days: list[int]) -> None:
    """No days, or numbers outside 0–6, are errors."""
    with pytest.raises(ValueError, match="day"):
        format_days(days)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/London", "London time"),
        ("America/New_York", "New York time"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires time"),
        ("UTC", "UTC"),
    ],
)
def test_format_timezone(zone: str, expected: str) -> None:
    """Time zones are named by their city."""
    assert format_timezone(zone) == expected


def test_format_hours() -> None:
    """Business hours read as days, times and zone; none means around the clock."""
    assert format_hours(BusinessHours()) == "Mon–Fri 08:00–18:00 London time"
    assert format_hours(None) == "24/7"


def test_channels_and_lists() -> None:
    """Channels become what people send; lists use 'and'."""
    assert format_channels(["chat", "email"]) == "chats and emails"
    assert format_channels(["chat", "email", "phone"]) == "chats, emails and phone calls"
    assert format_channels(["whatsapp"]) == "whatsapp messages"
    assert join_words([]) == "" and join_words(["a"]) == "a"


def test_describe_the_default_plans() -> None:
    """The shipped plans read as promises a customer understands."""
    free, plus, premium = (describe_plan(plan) for plan in DEFAULT_PLANS)
    assert plus.sentence == (
        "Plus: we reply to chats and emails within 4 business hours "
        "(Mon–Fri 08:00–18:00 London time) and aim to resolve within 1 business day."
    )
    assert free.sentence == (
        "Free: we reply to emails within 1 business day (Mon–Fri 08:00–18:00 London time) "
        "and aim to resolve within 3 business days."
    )
    assert premium.sentence == (
        "Premium: we reply to chats, emails and phone calls within 15 minutes, "
        "24 hours a day, every day, and aim to resolve within 8 hours."
    )
    assert (premium.hours, premium.channels) == ("24/7", ("Chat", "Email", "Phone"))
    assert (plus.first_response, plus.resolution) == ("4 business hours", "1 business day")
    assert plus.promise.startswith("We reply to chats and emails within 4 business hours")


def test_describe_a_custom_plan() -> None:
    """Any configured plan is described, including unusual hours and channels."""
    plan = ServicePlan(
        key="team",
        name="Team",
        first_response_minutes=30,
        resolution_minutes=2 * 24 * 60,
        business_hours=BusinessHours(
            days=[0, 1, 2, 3, 4, 5], start="07:00", end="22:00", timezone="America/New_York"
        ),
        channels=["chat"],
    )
    assert describe_plan(plan).sentence == (
        "Team: we reply to chats within 30 minutes (Mon–Sat 07:00–22:00 New York time) "
        "and aim to resolve within 2 business days."
    )
