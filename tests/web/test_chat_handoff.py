"""Handoffs through the chat API: escalations, the silent bot, bot outages, email, reopening."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from kb import desk, queue
from kb.escalations import escalate, latest_escalation, transition
from kb.knowledge_base import KnowledgeBase
from kb.models import (
    Conversation,
    ConversationState,
    Escalation,
    EscalationEvent,
    EscalationState,
    Role,
    User,
)
from tests.web.chat_helpers import (
    FakeRasa,
    free_port,
    handoff_reply,
    read,
    said,
    send,
    start,
)
from tests.web.conftest import build_app
from tests.web.staff_helpers import make_staff
from web.chat.handoff import (
    EMAIL_REQUEST,
    EMAIL_SKIPPED,
    SKIP_EMAIL,
    UNAVAILABLE_NOTE,
    WAITING_NOTE,
)


def escalation_of(kb: KnowledgeBase, public_id: str) -> Escalation:
    """The conversation's latest escalation, with its events loaded."""
    with kb.sessions() as session:
        conversation = session.scalar(
            select(Conversation).where(Conversation.public_id == public_id)
        )
        assert conversation is not None
        escalation = latest_escalation(session=session, conversation=conversation)
        assert escalation is not None
        _ = list(escalation.events)
        return escalation


def move(kb: KnowledgeBase, public_id: str, *states: EscalationState) -> None:
    """Move the conversation's escalation through states, as the desk (issue 5) will."""
    with kb.sessions() as session:
        conversation = session.scalar(
            select(Conversation).where(Conversation.public_id == public_id)
        )
        assert conversation is not None
        escalation = latest_escalation(session=session, conversation=conversation)
        assert escalation is not None
        for state in states:
            transition(session=session, escalation=escalation, to_state=state, actor="agent:1")
        session.commit()


def handed_over(
    app: Flask, fake_rasa: FakeRasa, **changes: Any
) -> tuple[Any, str, str, dict[str, Any]]:
    """A conversation the bot handed to the team; (client, id, token, the handoff response)."""
    fake_rasa.script(handoff_reply(**changes))
    client = app.test_client()
    conversation, token = start(client)
    status, body = send(client, conversation, token, text="I want a person")
    assert status == 200
    return client, conversation, token, body


def test_handoff_creates_a_queued_escalation_with_context(
    chat_app: Flask, fake_rasa: FakeRasa, demo_kb: KnowledgeBase
) -> None:
    """The payload and the transcript are kept; the customer hears when a person will reply."""
    _, conversation, _, body = handed_over(chat_app, fake_rasa)
    assert body["state"] == "queued"
    assert [m["sender"] for m in body["messages"]] == ["customer", "bot", "system", "system"]
    availability, email_request = body["messages"][2], body["messages"][3]
    assert "aims to reply within 1 business day" in availability["text"]
    assert "Mon–Fri 08:00–18:00 London time" in availability["text"]
    assert email_request["text"] == EMAIL_REQUEST
    assert email_request["buttons"] == [{"title": "Skip", "payload": SKIP_EMAIL}]
    escalation = escalation_of(demo_kb, conversation)
    assert escalation.state == EscalationState.QUEUED
    assert escalation.reason == "failed_answers"
    assert escalation.summary.startswith("Customer wants a refund")
    assert escalation.plan == "free"
    assert escalation.context["handoff"]["details"] == {"order_number": "A123"}
    assert escalation.context["handoff"]["articles"][0]["feedback"] == "not_helpful"
    assert [(m["sender"], m["text"]) for m in escalation.context["transcript"]] == [
        ("customer", "I want a person"),
        ("bot", "I'm bringing in a person from our team."),
    ]
    [event] = escalation.events
    assert (event.from_state, event.to_state, event.actor) == (None, EscalationState.QUEUED, "bot")


@pytest.mark.parametrize("state", [None, EscalationState.ASSIGNED])
def test_bot_stays_silent_while_a_person_owns_the_chat(
    chat_app: Flask, fake_rasa: FakeRasa, demo_kb: KnowledgeBase, state: EscalationState | None
) -> None:
    """Queued or assigned: messages are stored, Rasa receives nothing, one 'we'll reply' note."""
    client, conversation, token, _ = handed_over(chat_app, fake_rasa, ask_email=False)
    if state is not None:
        move(demo_kb, conversation, state)
    calls = len(fake_rasa.requests)
    status, first = send(client, conversation, token, text="hello? anyone?")
    assert status == 200
    assert first["state"] == ("assigned" if state else "queued")
    assert said(first) == ["hello? anyone?", WAITING_NOTE]
    _, second = send(client, conversation, token, text="still here")
    _, third = send(client, conversation, token, payload="/request_human")
    assert said(second) == ["still here"]
    assert [m["sender"] for m in third["messages"]] == ["customer"]
    assert len(fake_rasa.requests) == calls
    texts = said(read(client, conversation, token))
    assert texts.count(WAITING_NOTE) == 1
    assert "still here" in texts


def test_no_waiting_note_once_an_agent_is_talking(
    chat_app: Flask, fake_rasa: FakeRasa, demo_kb: KnowledgeBase
) -> None:
    """After the agent's first reply, the customer's messages get no "someone will reply" note."""
    client, conversation, token, _ = handed_over(chat_app, fake_rasa, ask_email=False)
    agent = make_staff(demo_kb, Role.AGENT)
    with demo_kb.sessions() as session:
        found = session.scalar(select(Conversation).where(Conversation.public_id == conversation))
        assert found is not None
        escalation = latest_escalation(session=session, conversation=found)
        assert escalation is not None
        queue.claim(session=session, escalation_id=escalation.id, agent_id=agent.id)
        staff = session.get(User, agent.id)
        assert staff is not None
        desk.reply(session=session, escalation=escalation, agent=staff, text="Hi, I'm here.")
        session.commit()
    _, body = send(client, conversation, token, text="great, thanks")
    assert said(body) == ["great, thanks"]


def test_anonymous_customer_leaves_an_email_once(
    chat_app: Flask, fake_rasa: FakeRasa, demo_kb: KnowledgeBase
) -> None:
    """The one reply to the email request is kept as the conversation's email."""
    client, conversation, token, _ = handed_over(chat_app, fake_rasa)
    _, body = send(client, conversation, token, text="sure, it's Ada@Example.com")
    assert said(body, "system") == [
        "Thanks — we'll also reach you at ada@example.com if we need to."
    ]
    _, later = send(client, conversation, token, text="bob@example.com is my colleague")
    assert said(later, "system") == [WAITING_NOTE]
    with demo_kb.sessions() as session:
        row = session.scalar(select(Conversation).where(Conversation.public_id == conversation))
        assert row is not None and row.email == "ada@example.com" and row.asked_email


def test_email_request_can_be_skipped_or_ignored(chat_app: Flask, fake_rasa: FakeRasa) -> None:
    """ "Skip" is acknowledged; a reply that is not an email is just a message."""
    client, conversation, token, _ = handed_over(chat_app, fake_rasa)
    _, body = send(client, conversation, token, payload=SKIP_EMAIL)
    assert said(body) == ["Skip", EMAIL_SKIPPED]
    client2, conversation2, token2, _ = handed_over(chat_app, fake_rasa)
    _, body2 = send(client2, conversation2, token2, text="no thanks, just help me")
    assert said(body2) == ["no thanks, just help me", WAITING_NOTE]


def test_verified_customer_with_email_is_not_asked(
    demo_kb: KnowledgeBase, fake_rasa: FakeRasa
) -> None:
    """No email request when the email is already known, even if the bot asks for one."""
    from tests.web.test_chat_identity import SECRET, signed

    app = build_app(demo_kb, rasa_url=fake_rasa.url, identity_secret=SECRET)
    fake_rasa.script(handoff_reply(ask_email=True))
    client = app.test_client()
    conversation, token = start(
        client, signed({"external_id": "vip-1", "email": "vip@example.com", "plan": "premium"})
    )
    _, body = send(client, conversation, token, text="agent please")
    assert [m["sender"] for m in body["messages"]] == ["customer", "bot", "system"]
    assert "around the clock" in body["messages"][2]["text"]
    assert "15 minutes" in body["messages"][2]["text"]
    assert escalation_of(demo_kb, conversation).plan == "premium"


def outage(fake_rasa: FakeRasa, kind: str) -> str:
    """Break the fake bot in one way; the Rasa URL to use."""
    if kind == "down":
        return f"http://127.0.0.1:{free_port()}"
    if kind == "error":
        fake_rasa.status = 500
    elif kind == "slow":
        fake_rasa.delay = 1.5
    elif kind == "empty":
        fake_rasa.default = []
    elif kind == "not json":
        fake_rasa.raw_body = b"<html>Bad gateway</html>"
    return fake_rasa.url


@pytest.mark.parametrize("kind", ["down", "error", "slow", "empty", "not json"])
def test_bot_unavailable_escalates_and_keeps_the_message(
    demo_kb: KnowledgeBase, fake_rasa: FakeRasa, kind: str
) -> None:
    """Down, 500, timeout, empty or garbled reply: a clear message, nothing lost, escalated."""
    app = build_app(demo_kb, rasa_url=outage(fake_rasa, kind), bot_timeout_seconds=0.5)
    client = app.test_client()
    conversation, token = start(client)
    status, body = send(client, conversation, token, text="where is my order A123?")
    assert status == 200
    assert body["state"] == "queued"
    assert said(body)[:2] == ["where is my order A123?", UNAVAILABLE_NOTE]
    assert [m["sender"] for m in body["messages"]][:3] == ["customer", "system", "system"]
    assert body["messages"][-1]["text"] == EMAIL_REQUEST
    escalation = escalation_of(demo_kb, conversation)
    assert escalation.reason == "bot_unavailable"
    assert escalation.reason_detail
    assert escalation.events[0].actor == "system"
    handoff = escalation.context["handoff"]
    assert handoff["turns"][0]["text"] == "where is my order A123?"
    assert "where is my order A123?" in escalation.summary
    assert said(read(client, conversation, token))[0] == "where is my order A123?"
    fake_rasa.status, fake_rasa.delay, fake_rasa.raw_body = 200, 0, None
    calls = len(fake_rasa.requests)
    send(client, conversation, token, text="hello?")
    assert len(fake_rasa.requests) == calls


def test_resolved_conversation_reopens_when_the_customer_writes(
    chat_app: Flask, fake_rasa: FakeRasa, demo_kb: KnowledgeBase
) -> None:
    """resolved → queued, recorded as the customer's doing; the bot is not asked."""
    client, conversation, token, _ = handed_over(chat_app, fake_rasa, ask_email=False)
    move(demo_kb, conversation, EscalationState.ASSIGNED, EscalationState.RESOLVED)
    assert read(client, conversation, token)["state"] == "resolved"
    calls = len(fake_rasa.requests)
    _, body = send(client, conversation, token, text="actually it broke again")
    assert body["state"] == "queued"
    assert [m["sender"] for m in body["messages"]] == ["customer", "system"]
    assert "aims to reply" in body["messages"][1]["text"]
    assert len(fake_rasa.requests) == calls
    escalation = escalation_of(demo_kb, conversation)
    last: EscalationEvent = escalation.events[-1]
    assert (last.from_state, last.to_state, last.actor) == (
        EscalationState.RESOLVED,
        EscalationState.QUEUED,
        "customer",
    )


def test_handed_back_conversation_goes_to_the_bot_again(
    chat_app: Flask, fake_rasa: FakeRasa, demo_kb: KnowledgeBase
) -> None:
    """After a handback the bot answers again, told once that it was handed back."""
    client, conversation, token, _ = handed_over(chat_app, fake_rasa, ask_email=False)
    move(
        demo_kb,
        conversation,
        EscalationState.ASSIGNED,
        EscalationState.RESOLVED,
        EscalationState.BOT,
    )
    _, body = send(client, conversation, token, text="one more question")
    assert body["state"] == "bot"
    assert said(body, "bot") == ["Hello! How can I help?"]
    assert fake_rasa.requests[-1]["metadata"]["handed_back"] is True
    send(client, conversation, token, text="and another")
    assert fake_rasa.requests[-1]["metadata"]["handed_back"] is False
    with demo_kb.sessions() as session:
        row = session.scalar(select(Conversation).where(Conversation.public_id == conversation))
        assert row is not None and row.state == ConversationState.BOT


def test_unknown_handoff_reason_is_kept_as_detail(
    chat_app: Flask, fake_rasa: FakeRasa, demo_kb: KnowledgeBase
) -> None:
    """A reason outside the contract still escalates (as no_answer), saying what was sent."""
    _, conversation, _, body = handed_over(chat_app, fake_rasa, reason="moon_phase")
    assert body["state"] == "queued"
    escalation = escalation_of(demo_kb, conversation)
    assert escalation.reason == "no_answer"
    assert "moon_phase" in escalation.reason_detail


def test_replies_arriving_after_a_person_took_over_are_dropped(
    chat_app: Flask, fake_rasa: FakeRasa, demo_kb: KnowledgeBase
) -> None:
    """If the chat is handed over while the bot is still thinking, its late answer is dropped."""
    client = chat_app.test_client()
    conversation, token = start(client)

    def handed_over_meanwhile(_body: dict[str, Any]) -> list[dict[str, Any]]:
        """A concurrent message of the same customer got the conversation handed over."""
        with demo_kb.sessions() as session:
            row = session.scalar(select(Conversation).where(Conversation.public_id == conversation))
            assert row is not None
            escalate(session=session, conversation=row, reason="customer_request", actor="bot")
            session.commit()
        return [{"recipient_id": "x", "text": "late bot answer"}]

    fake_rasa.script(handed_over_meanwhile)
    status, body = send(client, conversation, token, text="hi")
    assert status == 200
    assert body["state"] == "queued"
    assert said(body) == ["hi"]
    assert "late bot answer" not in said(read(client, conversation, token))
