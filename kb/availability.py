"""Is the support team in, and what may a waiting customer honestly expect? Pure functions.

The words come from :mod:`kb.service_levels`, so the chat promises what the service levels page
promises.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from zoneinfo import ZoneInfo

from kb.config import BusinessHours, ServicePlan
from kb.service_levels import describe_plan, format_hours

DEFAULT_PLAN = "free"


def plan_for(plans: Sequence[ServicePlan], key: str | None) -> ServicePlan:
    """The plan with this key; unknown or missing keys get the ``free`` plan (else the first)."""
    if not plans:
        raise ValueError("no service plans are configured")
    by_key = {plan.key: plan for plan in plans}
    return by_key.get(key or DEFAULT_PLAN) or by_key.get(DEFAULT_PLAN) or plans[0]


def _clock(value: str) -> time:
    """'08:00' → 08:00; '24:00' → the last instant of the day."""
    if value == "24:00":
        return time.max
    return time.fromisoformat(value)


def is_open(hours: BusinessHours | None, at: datetime) -> bool:
    """Whether the team works at the moment ``at`` (always, when there are no business hours)."""
    if hours is None:
        return True
    if at.tzinfo is None:
        raise ValueError("is_open needs a timezone-aware time")
    local = at.astimezone(ZoneInfo(hours.timezone))
    start, end = _clock(hours.start), _clock(hours.end)
    return local.weekday() in hours.days and start <= local.time() < end


def availability_notice(plan: ServicePlan, at: datetime, agents_online: int | None = None) -> str:
    """What a customer handed to the team is told: are people in now, and when to expect a reply.

    ``agents_online`` is how many agents are on the desk right now (None: unknown); when the team
    should be working but nobody is online, the customer is told so rather than "available now".
    """
    first = describe_plan(plan).first_response
    nobody = agents_online == 0
    if plan.business_hours is None:
        if nobody:
            return (
                "Our team works around the clock, but nobody is online right this moment. Your "
                f"message is saved and the team aims to reply within {first}, right here in this "
                "chat."
            )
        return (
            f"Our team is available around the clock and aims to reply within {first}, "
            "right here in this chat."
        )
    hours = format_hours(plan.business_hours)
    if is_open(plan.business_hours, at):
        if nobody:
            return (
                f"Nobody from our team is online right now (we're here {hours}). Your message is "
                f"saved and the team aims to reply within {first}, right here in this chat."
            )
        return (
            f"Our team is available now ({hours}) and aims to reply within {first}, "
            "right here in this chat."
        )
    return (
        f"Our team is away right now; we're here {hours}. Your message is saved and the team "
        f"aims to reply within {first}, right here in this chat — come back to this page to see it."
    )
