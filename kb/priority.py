"""Fair queue priority: points for the customer's plan, urgency and tone, plus time waited.

    priority = plan points + urgency points (once, if an urgent topic or a business rule is found)
               + tone points × negativity + ageing points per minute × minutes waited

The fixed part (plan, urgency, tone) is assessed once, when the conversation is queued. Waiting
raises every queued escalation at the same rate, so the order is kept as one number per row,
``queue_key`` = points − ageing × (queue time in minutes since the epoch): sorting by it
(highest first) at any moment is sorting by the current priority. The formula and its defaults
are documented in docs/desk.md; the weights are :class:`kb.config.PriorityPolicy`.

Nothing about who the customer is goes in beyond their plan: not their name, history, spend,
social reach or follower count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from kb.config import PriorityPolicy

URGENT_REASONS = frozenset({"business_rule"})
"""Handoff reasons that count as urgent by themselves (the bot matched a business rule)."""


@dataclass(frozen=True, slots=True)
class Priority:
    """An escalation's fixed priority points and how they were made up (for the desk to show)."""

    points: float
    factors: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=512)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A case-insensitive whole-word pattern for a phrase; any run of spaces matches a space."""
    words = [re.escape(word) for word in _normalise(phrase).split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def _normalise(text: str) -> str:
    """Typographic apostrophes as plain ones, so "can’t log in" matches "can't log in"."""
    return text.replace("\u2019", "'").replace("\u2018", "'")


def urgent_topics(texts: Sequence[str], topics: dict[str, list[str]]) -> list[str]:
    """The topics (sorted) any of whose phrases occurs in the texts, as whole words."""
    joined = _normalise("\n".join(texts))
    found = []
    for topic, phrases in topics.items():
        if any(phrase.strip() and _phrase_pattern(phrase).search(joined) for phrase in phrases):
            found.append(topic)
    return sorted(found)


def negativity(tone: float | None) -> float:
    """How negative a VADER compound score is: 0 (neutral or positive, or unknown) to 1."""
    if tone is None:
        return 0.0
    return min(1.0, max(0.0, -float(tone)))


def assess(
    *,
    plan: str,
    texts: Sequence[str],
    reason: str,
    reason_detail: str,
    tone: float | None,
    policy: PriorityPolicy,
) -> Priority:
    """The fixed priority points of a conversation being queued, with each part recorded.

    ``plan`` is the customer's plan key; ``texts`` are the customer's messages; ``tone`` is the
    most negative VADER compound score of those messages (None when unknown). The customer's
    identity beyond the plan is deliberately not an input.
    """
    plan_points = float(policy.plan_points.get(plan, 0.0))
    topics = urgent_topics(texts, policy.urgent_topics)
    business_rule = reason in URGENT_REASONS
    urgency_points = policy.urgency_points if (topics or business_rule) else 0.0
    tone_points = policy.tone_points * negativity(tone)
    factors: dict[str, Any] = {
        "plan": plan,
        "plan_points": round(plan_points, 2),
        "urgent_topics": topics,
        "business_rule": reason_detail if business_rule else "",
        "urgency_points": round(urgency_points, 2),
        "tone": None if tone is None else round(float(tone), 4),
        "tone_points": round(tone_points, 2),
    }
    return Priority(points=round(plan_points + urgency_points + tone_points, 4), factors=factors)


def queue_key(points: float, queued_at: datetime, policy: PriorityPolicy) -> float:
    """The number the queue is sorted by (highest first): points minus ageing × queue time.

    For two escalations at any moment ``now``, comparing keys compares
    ``points + ageing × minutes waited``, because both gain ``ageing × (now − queued_at)``.
    """
    if queued_at.tzinfo is None:
        raise ValueError("queue_key needs a timezone-aware queue time")
    return points - policy.ageing_points_per_minute * (queued_at.timestamp() / 60)


def current(points: float, queued_at: datetime, now: datetime, policy: PriorityPolicy) -> float:
    """The priority at ``now``: the fixed points plus the ageing points earned by waiting."""
    if queued_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("current needs timezone-aware times")
    waited = max(0.0, (now - queued_at).total_seconds() / 60)
    return points + policy.ageing_points_per_minute * waited
