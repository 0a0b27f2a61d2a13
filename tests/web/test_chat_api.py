"""The chat API: starting conversations, sending and reading messages, auth, input checks, limits."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.knowledge_base import KnowledgeBase
from kb.models import Conversation, ConversationState, Message, Sender
from tests.web.chat_helpers import (
    FakeRasa,
    read,
    said,
    send,
    start,
)
from tests.web.conftest import build_app


def stored(kb: KnowledgeBase, public_id: str) -> list[Message]:
    """The conversation's stored messages, oldest first."""
    with kb.sessions() as session:
        conversation = session.scalar(
            select(Conversation).where(Conversation.public_id == public_id)
        )
        assert conversation is not None
        query = select(Message).where(Message.conversation_id == conversation.id)
        return list(session.scalars(query.order_by(Message.id)))


def test_start_anonymous_conversation(chat_app: Flask, demo_kb: KnowledgeBase) -> None:
    """An empty body starts an anonymous chat: 201 with an id, a token and a Location."""
    client = chat_app.test_client()
    response = client.post("/api/v1/conversations", json={})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "token"}
    assert len(body["id"]) >= 16 and len(body["token"]) >= 40
    assert response.headers["Location"].endswith(f"/api/v1/conversations/{body['id']}/messages")
    with demo_kb.sessions() as session:
        row = session.scalar(select(Conversation).where(Conversation.public_id == body["id"]))
        assert row is not None
        assert row.state == ConversationState.BOT and row.customer_id is None
        assert body["token"] not in row.token_hash and len(row.token_hash) == 64
    assert read(client, body["id"], body["token"]) == {
        "messages": [],
        "state": "bot",
        "queue": None,
    }


def test_answered_question_stores_both_sides(
    chat_app: Flask, fake_rasa: FakeRasa, demo_kb: KnowledgeBase
) -> None:
    """The customer's message and the bot's replies are stored and returned, in order."""
    fake_rasa.script(
        [
            {"recipient_id": "x", "text": "You can return items within 30 days."},
            {
                "recipient_id": "x",
                "text": "Did that answer your question?",
                "buttons": [
                    {"title": "Yes, thanks", "payload": "/affirm"},
                    {"title": "No", "payload": "/deny"},
                ],
            },
        ]
    )
    client = chat_app.test_client()
    conversation, token = start(client)
    status, body = send(client, conversation, token, text="  How do I return a jacket?  ")
    assert status == 200
    assert body["state"] == "bot"
    assert [m["sender"] for m in body["messages"]] == ["customer", "bot", "bot"]
    assert said(body) == [
        "How do I return a jacket?",
        "You can return items within 30 days.",
        "Did that answer your question?",
    ]
    assert body["messages"][2]["buttons"] == [
        {"title": "Yes, thanks", "payload": "/affirm"},
        {"title": "No", "payload": "/deny"},
    ]
    first = body["messages"][0]
    assert set(first) == {
        "id",
        "sender",
        "text",
        "buttons",
        "articles",
        "created_at",
        "kind",
        "author",
    }
    assert first["kind"] is None and first["author"] is None
    assert first["created_at"].endswith(("Z", "+00:00"))
    request = fake_rasa.requests[-1]
    assert request["path"] == "/webhooks/rest/webhook"
    assert request["sender"] == conversation
    assert request["message"] == "How do I return a jacket?"
    assert request["metadata"]["customer"] == {
        "verified": False,
        "plan": "free",
        "name": "",
        "email_known": False,
    }
    assert request["metadata"]["handed_back"] is False
    assert "context" not in request["metadata"]
    rows = stored(demo_kb, conversation)
    assert [(m.sender, m.text) for m in rows] == [
        (m["sender"], m["text"]) for m in body["messages"]
    ]


def test_button_payload_is_sent_and_stored_with_its_title(
    chat_app: Flask, fake_rasa: FakeRasa, demo_kb: KnowledgeBase
) -> None:
    """Pressing a button sends its payload to the bot; the transcript shows the button's title."""
    fake_rasa.script(
        [
            {
                "recipient_id": "x",
                "text": "Did that help?",
                "buttons": [{"title": "Yes, thanks", "payload": "/affirm"}],
            }
        ],
        [{"recipient_id": "x", "text": "Great!"}],
    )
    client = chat_app.test_client()
    conversation, token = start(client)
    send(client, conversation, token, text="returns")
    status, body = send(client, conversation, token, payload="/affirm")
    assert status == 200
    assert said(body) == ["Yes, thanks", "Great!"]
    assert fake_rasa.requests[-1]["message"] == "/affirm"
    assert stored(demo_kb, conversation)[-2].payload == "/affirm"


def test_article_cards_get_absolute_urls(chat_app: Flask, fake_rasa: FakeRasa) -> None:
    """custom.articles become cards on the text before them, linking to the help centre."""
    fake_rasa.script(
        [
            {"recipient_id": "x", "text": "These might help:"},
            {
                "recipient_id": "x",
                "custom": {
                    "articles": [
                        {
                            "ref": "how-to-return-an-item",
                            "title": "How to return an item",
                            "source": "official",
                        },
                        {"ref": "12", "title": "Returning a gift?", "source": "community"},
                        {"ref": "../../etc/passwd", "title": "Bad", "source": "official"},
                    ]
                },
            },
            {"recipient_id": "x", "text": "Did that answer your question?"},
        ]
    )
    client = chat_app.test_client()
    conversation, token = start(client)
    _, body = send(client, conversation, token, text="return a gift")
    cards = body["messages"][1]["articles"]
    assert cards == [
        {
            "title": "How to return an item",
            "url": "http://localhost/articles/how-to-return-an-item",
        },
        {"title": "Returning a gift?", "url": "http://localhost/community/questions/12"},
    ]
    assert body["messages"][2]["articles"] == []
    assert read(client, conversation, token)["messages"][1]["articles"] == cards


def test_paging_with_after(chat_app: Flask, fake_rasa: FakeRasa) -> None:
    """GET ?after= returns only newer messages; ids grow."""
    client = chat_app.test_client()
    conversation, token = start(client)
    send(client, conversation, token, text="one")
    send(client, conversation, token, text="two")
    everything = read(client, conversation, token)["messages"]
    ids = [m["id"] for m in everything]
    assert ids == sorted(ids) and len(ids) == 4
    newer = read(client, conversation, token, after=ids[1])
    assert [m["id"] for m in newer["messages"]] == ids[2:]
    assert said(newer) == ["two", "Hello! How can I help?"]
    assert read(client, conversation, token, after=ids[-1])["messages"] == []


def auth(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


def test_wrong_or_missing_token_is_403(chat_app: Flask, fake_rasa: FakeRasa) -> None:
    """Only the conversation's own token opens it, for reading and for writing."""
    client = chat_app.test_client()
    conversation, token = start(client)
    _, other_token = start(client)
    url = f"/api/v1/conversations/{conversation}/messages"
    for headers in ({}, auth(other_token), auth(token[:-1]), {"Authorization": token}):
        assert client.get(url, headers=headers).status_code == 403
        response = client.post(url, json={"text": "hi"}, headers=headers)
        assert response.status_code == 403
        assert "Bearer" in response.get_json()["error"]["message"]
    assert fake_rasa.requests == []


def test_unknown_conversation_is_404(chat_app: Flask) -> None:
    """An id nobody was given answers 404, whatever the token."""
    client = chat_app.test_client()
    _, token = start(client)
    for conversation in ("A" * 22, "not-a-real-id", "x"):
        url = f"/api/v1/conversations/{conversation}/messages"
        assert client.get(url, headers=auth(token)).status_code == 404
        response = client.post(url, json={"text": "hi"}, headers=auth(token))
        assert response.status_code == 404
        assert response.get_json()["error"]["status"] == 404


def test_bad_messages_are_400_with_a_reason(chat_app: Flask, fake_rasa: FakeRasa) -> None:
    """Empty, over-long, both or neither, unknown fields, malformed payloads: 400 saying why."""
    client = chat_app.test_client()
    conversation, token = start(client)
    cases: list[tuple[Any, str]] = [
        ({"text": ""}, "'text' must not be empty."),
        ({"text": "   "}, "'text' must not be empty."),
        ({"text": "x" * 2001}, "'text' is too long: 2001 characters, at most 2000 allowed."),
        ({}, "Send 'text' (what the customer wrote) or 'payload' (a button's)."),
        ({"text": "hi", "payload": "/affirm"}, "Send either 'text' or 'payload', not both."),
        ({"text": "hi", "html": "<b>"}, "'html' is not a field here"),
        ({"payload": "affirm"}, "'payload'"),
        (["hi"], "The body must be a JSON object"),
    ]
    for body, reason in cases:
        status, answer = send_raw(client, conversation, token, body)
        assert status == 400, body
        assert reason in answer["error"]["message"], (body, answer)
    assert send(client, conversation, token, text="x" * 2000)[0] == 200
    assert len(fake_rasa.requests) == 1


def send_raw(client: FlaskClient, conversation: str, token: str, body: Any) -> tuple[int, Any]:
    """POST any JSON body as a message."""
    response = client.post(
        f"/api/v1/conversations/{conversation}/messages", json=body, headers=auth(token)
    )
    return response.status_code, response.get_json()


def test_bad_queries_and_starts_are_400(chat_app: Flask) -> None:
    """?after must be a whole number ≥ 0; unknown fields in a start are refused."""
    client = chat_app.test_client()
    conversation, token = start(client)
    for after in ("-1", "abc"):
        response = client.get(
            f"/api/v1/conversations/{conversation}/messages?after={after}", headers=auth(token)
        )
        assert response.status_code == 400
        assert "'after'" in response.get_json()["error"]["message"]
    response = client.post("/api/v1/conversations", json={"visitor": "me"})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {
        "visitor": "'visitor' is not a field here; use identity, signature, start."
    }
    response = client.post("/api/v1/conversations", data="x", content_type="text/plain")
    assert response.status_code == 400


def test_messages_are_rate_limited_per_conversation(
    demo_kb: KnowledgeBase, fake_rasa: FakeRasa
) -> None:
    """Past the per-conversation budget: 429 with Retry-After; another conversation still works."""
    app = build_app(demo_kb, rasa_url=fake_rasa.url, chat_rate_limit="2 per minute")
    client = app.test_client()
    conversation, token = start(client)
    assert send(client, conversation, token, text="one")[0] == 200
    assert send(client, conversation, token, text="two")[0] == 200
    response = client.post(
        f"/api/v1/conversations/{conversation}/messages", json={"text": "3"}, headers=auth(token)
    )
    assert response.status_code == 429
    assert response.get_json()["error"]["status"] == 429
    assert int(response.headers["Retry-After"]) > 0
    other, other_token = start(client)
    assert send(client, other, other_token, text="hello")[0] == 200
    assert read(client, conversation, token)["messages"][-1]["text"] != "3"


def test_starts_and_messages_are_rate_limited_per_address(
    demo_kb: KnowledgeBase, fake_rasa: FakeRasa
) -> None:
    """One address shares one budget for starting chats and sending messages."""
    app = build_app(demo_kb, rasa_url=fake_rasa.url, chat_ip_rate_limit="3 per minute")
    client = app.test_client()
    conversation, token = start(client)
    start(client)
    assert send(client, conversation, token, text="hi")[0] == 200
    assert client.post("/api/v1/conversations", json={}).status_code == 429
    assert send(client, conversation, token, text="again")[0] == 429
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert elsewhere.post("/api/v1/conversations", json={}).status_code == 201


def test_polling_is_rate_limited(demo_kb: KnowledgeBase, fake_rasa: FakeRasa) -> None:
    """Reading has its own, more generous, per-conversation budget."""
    app = build_app(demo_kb, rasa_url=fake_rasa.url, chat_poll_rate_limit="2 per minute")
    client = app.test_client()
    conversation, token = start(client)
    read(client, conversation, token)
    read(client, conversation, token)
    url = f"/api/v1/conversations/{conversation}/messages"
    assert client.get(url, headers=auth(token)).status_code == 429


def test_customer_message_is_stored_as_customer(
    chat_app: Flask, fake_rasa: FakeRasa, demo_kb: KnowledgeBase
) -> None:
    """The stored customer row records when the customer last wrote."""
    client = chat_app.test_client()
    conversation, token = start(client)
    send(client, conversation, token, text="hello")
    rows = stored(demo_kb, conversation)
    assert rows[0].sender == Sender.CUSTOMER
    with demo_kb.sessions() as session:
        row = session.scalar(select(Conversation).where(Conversation.public_id == conversation))
        assert row is not None and row.last_customer_message_at is not None
