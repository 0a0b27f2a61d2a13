"""How the desk words and draws things: durations, reasons, priority factors, SLA clocks, tone.

Pure functions of plain values, so they are tested without a database or an app.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from kb import sla
from kb.models import Escalation, EscalationState, as_utc

REASONS = {
    "customer_request": "Asked for a person",
    "failed_answers": "The bot's answers didn't help",
    "negative_tone": "The customer is upset",
    "repeated_question": "Asked the same thing again",
    "business_rule": "A business rule needs a person",
    "no_answer": "The bot found no answer",
    "bot_unavailable": "The bot was unavailable",
}
TARGETS = {"first_response": "first reply", "resolution": "resolution"}
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 160, 40, 4


def reason_label(reason: str) -> str:
    """'failed_answers' → "The bot's answers didn't help" (unknown codes are shown as they are)."""
    return REASONS.get(reason, reason.replace("_", " ").capitalize())


def duration(seconds: float) -> str:
    """A short human duration: 'under a minute', '12 min', '2 h 5 min', '3 d 4 h'."""
    seconds = abs(seconds)
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@dataclass(frozen=True, slots=True)
class SlaClock:
    """The service-level target that counts now, in words."""

    text: str  # "1 h 5 min left for the first reply", "overdue by 12 min (resolution)"
    breached: bool
    due: datetime | None


def sla_text(target: str | None, seconds_left: float | None, *, breached: bool) -> SlaClock:
    """Words for a queue row's SLA clock (``seconds_left`` negative when overdue)."""
    if target is None or seconds_left is None:
        return SlaClock("No target", False, None)
    what = TARGETS.get(target, target.replace("_", " "))
    if seconds_left < 0 or breached:
        return SlaClock(f"Overdue by {duration(seconds_left)} ({what})", True, None)
    return SlaClock(f"{duration(seconds_left)} left for the {what}", False, None)


def sla_clock(escalation: Escalation, now: datetime) -> SlaClock:
    """The clock for one escalation (kb.sla): the first reply until it is sent, then resolution;
    for a finished one, whether it was resolved in time."""
    if escalation.state in (EscalationState.RESOLVED, EscalationState.BOT):
        late = escalation.resolution_breached_at is not None or (
            escalation.first_response_breached_at is not None
        )
        words = "Resolved, a service-level target was missed" if late else "Resolved in time"
        return SlaClock(words, late, None)
    found = sla.clock(escalation, now)
    if found is None:
        return SlaClock("No target", False, None)
    clock = sla_text(found.target, found.seconds_left, breached=found.breached)
    return SlaClock(clock.text, clock.breached, found.due)


@dataclass(frozen=True, slots=True)
class Factor:
    """One part of an escalation's priority, for the tooltip."""

    label: str
    points: float
    detail: str


def priority_factors(
    factors: Mapping[str, Any], *, waiting_points: float, plans: Mapping[str, str] | None = None
) -> list[Factor]:
    """The parts of a priority (kb.priority's factors) plus what waiting has added so far."""
    plan = str(factors.get("plan") or "")
    topics = factors.get("urgent_topics") or []
    rule = str(factors.get("business_rule") or "")
    urgent = [str(t).replace("_", " ") for t in topics] if isinstance(topics, list) else []
    if rule:
        urgent.append(rule)
    tone = number(factors.get("tone"))
    return [
        Factor("Plan", number(factors.get("plan_points")) or 0.0, (plans or {}).get(plan, plan)),
        Factor(
            "Urgency",
            number(factors.get("urgency_points")) or 0.0,
            ", ".join(urgent) if urgent else "nothing urgent found",
        ),
        Factor(
            "Tone",
            number(factors.get("tone_points")) or 0.0,
            "unknown" if tone is None else f"most negative {signed(tone)}",
        ),
        Factor("Waiting", round(waiting_points, 1), "added for time in the queue"),
    ]


def number(value: object) -> float | None:
    """A JSON number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def points(value: float) -> str:
    """'+20', '+2.5', '0'."""
    shown = f"{value:.1f}".rstrip("0").rstrip(".")
    return shown if value <= 0 else f"+{shown}"


@dataclass(frozen=True, slots=True)
class ToneTrend:
    """The customer's tone over their turns: a small SVG and the same in words."""

    svg: Markup
    text: str


def tone_trend(tones: Sequence[float], trend: str = "") -> ToneTrend | None:
    """A sparkline of tone values (−1 negative … 1 positive), or None without any."""
    values = [max(-1.0, min(1.0, float(t))) for t in tones]
    if not values:
        return None
    inner_w, inner_h = SPARK_WIDTH - 2 * SPARK_PAD, SPARK_HEIGHT - 2 * SPARK_PAD
    step = inner_w / (len(values) - 1) if len(values) > 1 else 0.0

    def xy(index: int, value: float) -> tuple[float, float]:
        """Where a value goes: left to right in time, positive up."""
        x = SPARK_PAD + (index * step if len(values) > 1 else inner_w / 2)
        y = SPARK_PAD + (1 - (value + 1) / 2) * inner_h
        return round(x, 1), round(y, 1)

    coords = [xy(i, v) for i, v in enumerate(values)]
    line = " ".join(f"{x},{y}" for x, y in coords)
    words = describe_tone(values, trend)
    last_x, last_y = coords[-1]
    mid = SPARK_PAD + inner_h / 2
    svg = Markup(
        f'<svg class="tone-spark" width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" '
        f'viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" role="img" aria-label="{escape(words)}" '
        f'focusable="false"><title>{escape(words)}</title>'
        f'<line class="tone-zero" x1="{SPARK_PAD}" y1="{mid}" x2="{SPARK_WIDTH - SPARK_PAD}" '
        f'y2="{mid}"/>'
        f'<polyline class="tone-line" points="{line}" fill="none"/>'
        f'<circle class="tone-last" cx="{last_x}" cy="{last_y}" r="3"/></svg>'
    )
    return ToneTrend(svg, words)


def tone_word(value: float) -> str:
    """'negative', 'neutral' or 'positive' for a VADER compound score."""
    if value <= -0.05:
        return "negative"
    if value >= 0.05:
        return "positive"
    return "neutral"


def describe_tone(values: Sequence[float], trend: str = "") -> str:
    """'Tone over 3 messages: from −0.10 (negative) to −0.60 (negative), worsening.'"""
    first, last = values[0], values[-1]
    if not trend and len(values) > 1:
        trend = (
            "worsening" if last < first - 0.1 else "improving" if last > first + 0.1 else "steady"
        )
    count = f"{len(values)} message{'s' if len(values) != 1 else ''}"
    if len(values) == 1:
        text = f"Tone of 1 message: {signed(last)} ({tone_word(last)})"
    else:
        text = (
            f"Tone over {count}: from {signed(first)} ({tone_word(first)}) "
            f"to {signed(last)} ({tone_word(last)})"
        )
    return f"{text}, {trend}." if trend else f"{text}."


def signed(value: float) -> str:
    """'−0.60', '+0.20', '0.00' (a real minus sign)."""
    if abs(value) < 0.005:
        return "0.00"
    return f"{'+' if value > 0 else '−'}{abs(value):.2f}"


def percent(value: float | None) -> str:
    """A confidence 0…1 as '87%' ('—' when unknown)."""
    return "—" if value is None else f"{round(float(value) * 100)}%"


def actor_label(actor: str, names: Mapping[int, str]) -> str:
    """'agent:5' → the agent's name; 'bot', 'system', 'customer' in words."""
    kind, _, ident = actor.partition(":")
    if kind == "agent" and ident.isdigit():
        return names.get(int(ident), f"Agent #{ident}")
    return {"bot": "The bot", "system": "Tier0", "customer": "The customer"}.get(actor, actor)


def short_title(text: str, limit: int = 120) -> str:
    """A one-line title from a customer's question, cut at a word near ``limit``."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


def iso_utc(value: datetime) -> str:
    """A stored time as ISO 8601 with its UTC offset (SQLite hands times back without one)."""
    return as_utc(value).isoformat()
