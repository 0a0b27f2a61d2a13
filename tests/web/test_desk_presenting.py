"""How the desk words things: durations, SLA clocks, priority factors, the tone sparkline, drafts."""

from __future__ import annotations

import re

import pytest

import web.auth  # noqa: F401  # first: web.roles and web.auth import each other
from kb.models import Message, Sender
from web.desk import presenting
from web.desk.assist import draft_prefill, latest_question


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (12, "under a minute"),
        (60, "1 min"),
        (59 * 60 + 59, "59 min"),
        (3600, "1 h"),
        (2 * 3600 + 5 * 60, "2 h 5 min"),
        (26 * 3600, "1 d 2 h"),
        (-(12 * 60), "12 min"),
    ],
)
def test_durations(seconds: float, words: str) -> None:
    """Short, human, always positive."""
    assert presenting.duration(seconds) == words


def test_sla_text_says_time_left_or_overdue() -> None:
    """Left for a target, or overdue and flagged; no target says so."""
    left = presenting.sla_text("first_response", 3900, breached=False)
    assert (left.text, left.breached) == ("1 h 5 min left for the first reply", False)
    late = presenting.sla_text("resolution", -600, breached=True)
    assert (late.text, late.breached) == ("Overdue by 10 min (resolution)", True)
    assert presenting.sla_text(None, None, breached=False).text == "No target"


def test_priority_factors_from_kb_priority() -> None:
    """Plan (by name), urgency (topics and rule), tone and waiting, each with its points."""
    factors = presenting.priority_factors(
        {
            "plan": "plus",
            "plan_points": 20.0,
            "urgent_topics": ["payment_failure"],
            "business_rule": "rule 'fraud' matched 'chargeback'",
            "urgency_points": 30.0,
            "tone": -0.5,
            "tone_points": 10.0,
        },
        waiting_points=3.25,
        plans={"plus": "Plus"},
    )
    assert [(f.label, f.points, f.detail) for f in factors] == [
        ("Plan", 20.0, "Plus"),
        ("Urgency", 30.0, "payment failure, rule 'fraud' matched 'chargeback'"),
        ("Tone", 10.0, "most negative −0.50"),
        ("Waiting", 3.2, "added for time in the queue"),
    ]
    empty = presenting.priority_factors({}, waiting_points=0)
    assert [f.points for f in empty] == [0, 0, 0, 0] and empty[1].detail == "nothing urgent found"
    assert presenting.points(20) == "+20" and presenting.points(2.5) == "+2.5"
    assert presenting.points(0) == "0"


def test_tone_sparkline_is_an_svg_with_words() -> None:
    """Points left to right, negative down; the same said in the label and the caption."""
    trend = presenting.tone_trend([0.2, -0.1, -0.8])
    assert trend is not None
    assert (
        trend.text == "Tone over 3 messages: from +0.20 (positive) to −0.80 (negative), worsening."
    )
    svg = str(trend.svg)
    assert svg.startswith('<svg class="tone-spark"') and 'role="img"' in svg
    assert f"<title>{trend.text}</title>" in svg
    found = re.search(r'points="([^"]+)"', svg)
    assert found is not None
    points = [tuple(map(float, p.split(","))) for p in found.group(1).split()]
    assert [x for x, _ in points] == sorted(x for x, _ in points)
    assert points[0][1] < points[1][1] < points[2][1]  # more negative is lower (larger y)
    assert presenting.tone_trend([]) is None
    single = presenting.tone_trend([0.0], "steady")
    assert single is not None and single.text == "Tone of 1 message: 0.00 (neutral), steady."


def test_titles_and_actors() -> None:
    """Long questions are cut at a word; actors are named."""
    title = presenting.short_title("word " * 60, limit=30)
    assert title.endswith("…") and len(title) <= 30
    assert presenting.actor_label("agent:7", {7: "Ada"}) == "Ada"
    assert presenting.actor_label("agent:8", {}) == "Agent #8"
    assert presenting.actor_label("bot", {}) == "The bot"


def _message(sender: Sender, text: str, payload: str | None = None) -> Message:
    """An unsaved message."""
    return Message(sender=sender, text=text, payload=payload)


def test_draft_prefill_and_latest_question() -> None:
    """The customer's typed messages before the first agent reply; the agent's last reply."""
    messages = [
        _message(Sender.CUSTOMER, "My boots leak"),
        _message(Sender.BOT, "Try this article"),
        _message(Sender.CUSTOMER, "No", payload="/deny"),
        _message(Sender.CUSTOMER, "They are two months old"),
        _message(Sender.AGENT, "Sorry to hear that"),
        _message(Sender.CUSTOMER, "Thanks"),
        _message(Sender.AGENT, "Send them to us for a free repair."),
    ]
    draft = draft_prefill(messages)
    assert draft.title == "My boots leak"
    assert draft.question == "My boots leak\n\nThey are two months old"
    assert draft.answer == "Send them to us for a free repair."
    question = latest_question(messages)
    assert question is not None and question.text == "Thanks"
    assert latest_question(messages[:3]) is not None
    assert draft_prefill([]).title == ""
