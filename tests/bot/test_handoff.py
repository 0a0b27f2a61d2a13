"""The handoff payload builder and the tone it reports."""

from __future__ import annotations

import pytest

from bot.escalation import Escalation
from bot.handoff import collect_details, handoff_payload, summarise_conversation
from bot.tone import score, summarise, trend
from tests.bot.chat import START, conversation, slot, user

PAYLOAD_FIELDS = {
    "reason",
    "reason_detail",
    "summary",
    "turns",
    "articles",
    "tone",
    "details",
    "ask_email",
}
SHOWN = [
    {
        "ref": "track-your-order",
        "title": "Track your order",
        "source": "official",
        "feedback": "not_helpful",
    },
    {"ref": "12", "title": "Late parcel?", "source": "community", "feedback": "none"},
]


def test_payload_has_the_contract_fields() -> None:
    chat = conversation(
        user(
            "Where is my order?", metadata={"customer": {"verified": False, "email_known": False}}
        ),
        slot("shown", SHOWN),
        slot("failures", 1),
        user("/deny"),
        user("my email is ada@example.com and the order number is JO-48213"),
    )
    payload = handoff_payload(chat, Escalation("failed_answers", "2 failed answers"))
    assert set(payload) == PAYLOAD_FIELDS
    assert payload["reason"] == "failed_answers"
    assert payload["reason_detail"] == "2 failed answers"
    assert payload["articles"] == SHOWN
    assert payload["details"] == {"email": "ada@example.com", "order_number": "JO-48213"}
    assert payload["ask_email"] is False  # the customer gave one
    first = payload["turns"][0]
    assert first == {
        "text": "Where is my order?",
        "intent": "ask_question",
        "confidence": 0.95,
        "tone": 0.0,
        "at": first["at"],
    }
    assert first["at"].endswith("+00:00") and first["at"] > "2025"
    assert payload["turns"][1]["tone"] == 0.0  # a button
    assert set(payload["tone"]) == {"latest", "average", "trend"}


def test_summary_is_the_first_question_and_what_was_tried() -> None:
    chat = conversation(user("Where is my order?"), slot("shown", SHOWN), user("no", "deny"))
    assert summarise_conversation(chat) == (
        "The customer asked “Where is my order?”. "
        "The bot showed “Track your order” (not helpful), “Late parcel?” (no feedback)."
    )


def test_summary_before_anything_was_tried() -> None:
    chat = conversation(user("I want to dispute a charge. Talk to a person.", "ask_question"))
    assert summarise_conversation(chat) == (
        "The customer asked “I want to dispute a charge. Talk to a person.”. "
        "The bot has not suggested anything yet."
    )


def test_summary_shortens_long_questions() -> None:
    chat = conversation(user("why " * 100))
    assert len(summarise_conversation(chat)) < 250


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("order #123456 never came", {"order_number": "123456"}),
        ("My order number is A-99871.", {"order_number": "A-99871"}),
        ("order: jo48213", {"order_number": "JO48213"}),
        ("I ordered 3 tents 5 days ago", {}),
        (
            "write to me at ada.l+chat@mail.example.co.uk please",
            {"email": "ada.l+chat@mail.example.co.uk"},
        ),
        ("it's 2 for 1", {}),
    ],
)
def test_details(text: str, expected: dict[str, str]) -> None:
    assert collect_details(conversation(user(text)).turns) == expected


def test_handoff_turn_times_come_from_event_timestamps() -> None:
    chat = conversation(user("hello", "greet"))
    assert START == 1_750_000_000.0  # 2025-06-15T15:06:40 UTC
    assert chat.turns[0].at.startswith("2025-06-15T")


def test_tone_scores() -> None:
    assert score("") == 0.0
    assert score("Thank you, that's great!") > 0.5
    assert score("This is awful and I'm angry") < -0.5


def test_trend() -> None:
    assert trend([0.0, -0.2, -0.6]) == "worsening"
    assert trend([-0.6, -0.5, -0.1]) == "improving"
    assert trend([-0.3, -0.3, -0.32]) == "steady"
    assert trend([-0.5]) == "steady"
    assert trend([0.5, 0.4, -0.9, -0.3, -0.35], window=2) == "steady"


def test_summarise() -> None:
    assert summarise([]).as_dict() == {"latest": 0.0, "average": 0.0, "trend": "steady"}
    assert summarise([0.0, -0.3, -0.6]).as_dict() == {
        "latest": -0.6,
        "average": -0.3,
        "trend": "worsening",
    }
