"""kb.priority: plan, urgency and tone points, and a queue key that ageing cannot reorder."""

from __future__ import annotations

import inspect
import random
from datetime import UTC, datetime, timedelta

import pytest

from kb.config import PriorityPolicy
from kb.priority import assess, current, negativity, queue_key, urgent_topics

POLICY = PriorityPolicy()
NOW = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)


def points(
    plan: str = "free",
    texts: tuple[str, ...] = ("hello",),
    reason: str = "failed_answers",
    tone: float | None = None,
) -> float:
    """The points with the default policy."""
    return assess(
        plan=plan, texts=texts, reason=reason, reason_detail="", tone=tone, policy=POLICY
    ).points


def test_plan_points_from_the_policy() -> None:
    """Each plan's configured points; plans the policy does not list get none."""
    assert [points(plan) for plan in ("free", "plus", "premium", "gold")] == [0, 20, 40, 0]


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("My PAYMENT FAILED at checkout", ["payment_failure"]),
        ("I can’t log in since yesterday", ["account_locked"]),  # typographic apostrophe
        ("i am   locked\nout of my account", ["account_locked"]),
        ("the heater caught fire!", ["safety"]),
        ("card declined and I think it's fraud", ["fraud", "payment_failure"]),
        ("it is unsafely packed", []),  # "unsafe" only as a whole word
        ("the firewall blocks it", []),
        ("where is my order?", []),
    ],
)
def test_urgent_topics_are_whole_phrases(text: str, topics: list[str]) -> None:
    """Phrases match case-insensitively as whole words, across any spacing."""
    assert urgent_topics([text], POLICY.urgent_topics) == topics


def test_urgency_counts_once() -> None:
    """One urgent topic or several, or a business rule: the urgency points once."""
    assert points(texts=("payment failed",)) == 30
    assert points(texts=("payment failed", "I was hacked", "it caught fire")) == 30
    assert points(reason="business_rule") == 30
    assert points(reason="business_rule", texts=("payment failed",)) == 30
    assert points(reason="negative_tone") == 0


@pytest.mark.parametrize(
    ("tone", "expected"),
    [(None, 0.0), (0.6, 0.0), (0.0, 0.0), (-0.25, 5.0), (-0.5, 10.0), (-1.0, 20.0), (-3.0, 20.0)],
)
def test_tone_points_scale_with_negativity(tone: float | None, expected: float) -> None:
    """Tone points × how negative the most negative message was (0 to 1)."""
    assert points(tone=tone) == pytest.approx(expected)
    assert 0 <= negativity(tone) <= 1


def test_factors_explain_the_points() -> None:
    """Every part is recorded for the desk to show, and they add up."""
    result = assess(
        plan="plus",
        texts=["my card declined twice", "this is useless"],
        reason="business_rule",
        reason_detail="rule 'fraud' matched 'chargeback'",
        tone=-0.75,
        policy=POLICY,
    )
    assert result.factors == {
        "plan": "plus",
        "plan_points": 20.0,
        "urgent_topics": ["payment_failure"],
        "business_rule": "rule 'fraud' matched 'chargeback'",
        "urgency_points": 30.0,
        "tone": -0.75,
        "tone_points": 15.0,
    }
    assert result.points == 65.0


def test_weights_come_from_the_policy() -> None:
    """A site's own weights and topics are used."""
    policy = PriorityPolicy(
        plan_points={"gold": 5},
        urgency_points=7,
        urgent_topics={"outage": ["site is down"]},
        tone_points=0,
    )
    result = assess(
        plan="gold",
        texts=["The site is down"],
        reason="no_answer",
        reason_detail="",
        tone=-1,
        policy=policy,
    )
    assert result.points == 12
    assert result.factors["urgent_topics"] == ["outage"]


def test_who_the_customer_is_is_not_an_input() -> None:
    """Only the plan, the customer's words, the reason and the tone go in: no identity, no reach."""
    assert set(inspect.signature(assess).parameters) == {
        "plan",
        "texts",
        "reason",
        "reason_detail",
        "tone",
        "policy",
    }


def test_ageing_makes_the_longest_waiting_first_eventually() -> None:
    """Premium (40 points) queued now vs free queued 41 minutes earlier: free is ahead."""
    free = queue_key(0, NOW - timedelta(minutes=41), POLICY)
    premium = queue_key(40, NOW, POLICY)
    assert free > premium
    assert queue_key(0, NOW - timedelta(minutes=39), POLICY) < premium
    assert current(0, NOW - timedelta(minutes=41), NOW, POLICY) == pytest.approx(41)


def test_ordering_by_key_is_ordering_by_current_priority() -> None:
    """For random escalations and moments, sorting by key equals sorting by priority now."""
    rng = random.Random(5)
    policy = PriorityPolicy(ageing_points_per_minute=0.7)
    rows = [
        (round(rng.uniform(0, 90), 1), NOW - timedelta(seconds=rng.randint(0, 6 * 3600)))
        for _ in range(200)
    ]
    for minutes_later in (0, 17, 600):
        now = NOW + timedelta(minutes=minutes_later)
        by_key = sorted(rows, key=lambda r: queue_key(r[0], r[1], policy), reverse=True)
        by_now = sorted(rows, key=lambda r: current(r[0], r[1], now, policy), reverse=True)
        assert [current(p, q, now, policy) for p, q in by_key] == pytest.approx(
            [current(p, q, now, policy) for p, q in by_now]
        )


def test_naive_times_are_refused() -> None:
    """Stored times must be made aware first (kb.models.as_utc)."""
    with pytest.raises(ValueError, match="timezone-aware"):
        queue_key(1, datetime(2026, 6, 3, 9, 0), POLICY)
    with pytest.raises(ValueError, match="timezone-aware"):
        current(1, datetime(2026, 6, 3, 9, 0), NOW, POLICY)
