"""Turning the bot's reply list into stored messages, and spotting an email in a reply (pure)."""

from __future__ import annotations

import pytest

from web.chat.handoff import email_in
from web.chat.replies import clean_handoff, parse_replies


def test_text_buttons_and_articles_are_grouped() -> None:
    """Cards join the text before them; text with custom data arrives as two messages."""
    reply = parse_replies(
        [
            {"recipient_id": "c", "text": "Try these:"},
            {
                "recipient_id": "c",
                "custom": {
                    "articles": [
                        {"ref": "returns", "title": "Returns", "source": "official"},
                        {"ref": "7", "title": "Gift returns?", "source": "community"},
                    ]
                },
            },
            {
                "recipient_id": "c",
                "text": "Did that help?",
                "buttons": [
                    {"title": "Yes", "payload": "/affirm"},
                    {"title": "", "payload": "/x"},
                    {"title": "No payload"},
                    "junk",
                ],
            },
        ]
    )
    assert [m.text for m in reply.messages] == ["Try these:", "Did that help?"]
    assert [a["ref"] for a in reply.messages[0].articles] == ["returns", "7"]
    assert reply.messages[1].buttons == [{"title": "Yes", "payload": "/affirm"}]
    assert reply.handoff is None and not reply.empty


def test_articles_without_text_get_a_message_of_their_own() -> None:
    """Cards first (no text before them) still reach the customer."""
    reply = parse_replies([{"custom": {"articles": [{"ref": "returns", "title": "Returns"}]}}])
    assert len(reply.messages) == 1
    assert reply.messages[0].text == ""
    assert reply.messages[0].articles == [
        {"ref": "returns", "title": "Returns", "source": "official"}
    ]


@pytest.mark.parametrize(
    "card",
    [
        {"ref": "Not A Slug", "title": "x"},
        {"ref": "abc", "title": "x", "source": "community"},
        {"ref": "returns", "title": 3},
        {"ref": "returns", "title": "x", "source": "blog"},
        "returns",
    ],
)
def test_malformed_article_cards_are_dropped(card: object) -> None:
    """Cards that could not link anywhere are not shown."""
    assert parse_replies([{"text": "t", "custom": {"articles": [card]}}]).messages[0].articles == []


def test_empty_and_whitespace_replies_are_empty() -> None:
    """Nothing to show and no handoff: the caller treats the bot as unavailable."""
    assert parse_replies([]).empty
    assert parse_replies([{"text": "   "}, {"custom": "x"}, {"image": "http://x"}]).empty


def test_handoff_payload_is_cleaned() -> None:
    """Unknown reasons become no_answer with the original in the detail; ask_email is a bool."""
    reply = parse_replies([{"custom": {"handoff": {"reason": "customer_request", "summary": 3}}}])
    assert reply.handoff == {
        "reason": "customer_request",
        "summary": "",
        "reason_detail": "",
        "ask_email": False,
    }
    cleaned = clean_handoff({"reason": "vibes", "reason_detail": "because", "ask_email": "yes"})
    assert cleaned["reason"] == "no_answer"
    assert cleaned["reason_detail"] == "unknown reason 'vibes' from the bot. because"
    assert cleaned["ask_email"] is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ada@example.com", "ada@example.com"),
        ("Sure: Ada.Lovelace@Example.co.uk.", "ada.lovelace@example.co.uk"),
        ("it's <ada@example.com>", "ada@example.com"),
        ("no thanks", None),
        ("a@example.com or b@example.com", None),
        ("ada@localhost", None),
        ("x" * 300 + " ada@example.com", None),
    ],
)
def test_email_in_a_reply(text: str, expected: str | None) -> None:
    """Exactly one address in a short reply counts as the customer's email."""
    assert email_in(text) == expected
