"""Service levels in plain words: "within 4 business hours (Mon–Fri 08:00–18:00 London time)".

Pure functions over :class:`kb.config.ServicePlan`, shared by the help centre's service
expectations page, the agent desk and the bot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kb.config import BusinessHours, ServicePlan

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CHANNEL_NOUNS = {"chat": "chats", "email": "emails", "phone": "phone calls", "sms": "text messages"}
CHANNEL_NAMES = {"chat": "Chat", "email": "Email", "phone": "Phone", "sms": "Text message"}
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class PlanPromise:
    """One plan's service levels as short phrases, a full sentence, and that sentence without the name."""

    key: str
    name: str
    first_response: str
    resolution: str
    hours: str
    channels: tuple[str, ...]
    sentence: str
    promise: str


def _plural(count: int, unit: str) -> str:
    """'1 hour', '4 hours'."""
    return f"{count} {unit}{'' if count == 1 else 's'}"


def format_duration(minutes: int, *, business: bool = False) -> str:
    """A target as people say it: '15 minutes', '4 business hours', '1 business day', '90 minutes'.

    Whole days are counted in days (business days when ``business``: a day of the support
    team's hours, not 24 clock hours), whole hours in hours, anything else in minutes.
    """
    if minutes < 1:
        raise ValueError(f"a service-level target must be at least 1 minute, got {minutes}")
    prefix = "business " if business else ""
    if minutes % MINUTES_PER_DAY == 0:
        return _plural(minutes // MINUTES_PER_DAY, f"{prefix}day")
    if minutes % 60 == 0:
        return _plural(minutes // 60, f"{prefix}hour")
    return _plural(minutes, "minute")


def format_days(days: Sequence[int]) -> str:
    """Weekdays (0 = Monday) as 'Mon–Fri', 'Mon, Wed and Fri', 'Sat–Sun' or 'every day'."""
    chosen = sorted(set(days))
    if not chosen:
        raise ValueError("business hours need at least one day")
    if any(not 0 <= day <= 6 for day in chosen):
        raise ValueError(f"days are numbered 0 (Monday) to 6 (Sunday), got {chosen}")
    if len(chosen) == 7:
        return "every day"
    runs: list[list[int]] = []
    for day in chosen:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    items: list[str] = []
    for run in runs:
        if len(run) >= 3:
            items.append(f"{DAY_NAMES[run[0]]}–{DAY_NAMES[run[-1]]}")
        else:
            items.extend(DAY_NAMES[day] for day in run)
    return join_words(items)


def format_timezone(timezone: str) -> str:
    """'Europe/London' → 'London time', 'America/New_York' → 'New York time', 'UTC' → 'UTC'."""
    if timezone.upper() in {"UTC", "GMT", "ETC/UTC"}:
        return "UTC"
    city = timezone.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} time"


def format_hours(hours: BusinessHours | None) -> str:
    """'Mon–Fri 08:00–18:00 London time', or '24/7' when there are no business hours."""
    if hours is None:
        return "24/7"
    return f"{format_days(hours.days)} {hours.start}–{hours.end} {format_timezone(hours.timezone)}"


def join_words(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def format_channels(channels: Sequence[str]) -> str:
    """What people send us on these channels: 'chats and emails', 'emails and phone calls'."""
    return join_words([CHANNEL_NOUNS.get(c, f"{c} messages") for c in channels])


def describe_plan(plan: ServicePlan) -> PlanPromise:
    """A plan's promise in words, e.g. 'Plus: we reply to chats and emails within 4 business
    hours (Mon–Fri 08:00–18:00 London time) and aim to resolve within 1 business day.'"""
    business = plan.business_hours is not None
    first = format_duration(plan.first_response_minutes, business=business)
    resolution = format_duration(plan.resolution_minutes, business=business)
    hours = format_hours(plan.business_hours)
    when = f" ({hours})" if business else ", 24 hours a day, every day,"
    promise = (
        f"we reply to {format_channels(plan.channels)} within {first}{when} "
        f"and aim to resolve within {resolution}."
    )
    return PlanPromise(
        key=plan.key,
        name=plan.name,
        first_response=first,
        resolution=resolution,
        hours=hours,
        channels=tuple(CHANNEL_NAMES.get(c, c.capitalize()) for c in plan.channels),
        sentence=f"{plan.name}: {promise}",
        promise=promise[0].upper() + promise[1:],
    )
