"""The desk's conversation page: the whole story on one screen, and what agents do from it."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from kb.knowledge_base import KnowledgeBase
from kb.models import (
    Article,
    ArticleStatus,
    Escalation,
    EscalationNote,
    EscalationState,
    Role,
)
from tests.web.chat_helpers import read
from tests.web.conftest import build_app
from tests.web.desk_helpers import Case, escalated, signed_in


@pytest.fixture
def desk_app(demo_kb: KnowledgeBase) -> Flask:
    """The app with CSRF off, so tests post the desk's forms directly."""
    return build_app(demo_kb, csrf=False)


def load(kb: KnowledgeBase, case: Case) -> Escalation:
    """The escalation as stored now, events loaded."""
    with kb.sessions() as session:
        escalation = session.get(Escalation, case.id)
        assert escalation is not None
        _ = list(escalation.events)
        return escalation


def section(html: str, element_id: str) -> str:
    """The HTML from the element with this id to the end of its section."""
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</section>", start)]


def test_the_page_tells_the_whole_story(desk_app: Flask, demo_kb: KnowledgeBase) -> None:
    """Transcript, handoff, what the bot tried and understood, tone, customer, history, clocks."""
    earlier = escalated(
        demo_kb, name="Ada Lovelace", external_id="ada-story", email="ada@example.com"
    )
    owner, _ = signed_in(desk_app, demo_kb)
    owner.post(f"/desk/escalations/{earlier.id}/claim")
    owner.post(f"/desk/escalations/{earlier.id}/resolve", data={"note": "Refunded the order."})
    case = escalated(
        demo_kb,
        name="Ada Lovelace",
        external_id="ada-story",
        email="ada@example.com",
        plan="plus",
        attributes={"orders": 12, "vip_since": "2021"},
        handoff={
            "turns": [
                {"text": "refund", "intent": "ask_question", "confidence": 0.9, "tone": -0.1},
                {
                    "text": "still broken!",
                    "intent": "express_frustration",
                    "confidence": 0.62,
                    "tone": -0.7,
                },
            ],
        },
    )
    client, _ = signed_in(desk_app, demo_kb)
    page = client.get(f"/desk/escalations/{case.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"<title>#{case.id} Ada Lovelace · Desk" in html

    transcript = section(html, "transcript-title")
    assert 'class="msg msg-customer"' in transcript and 'class="msg msg-bot"' in transcript
    assert "My card payment failed twice" in transcript
    assert "ask_question · 41%" in transcript  # the message's intent and confidence
    assert re.search(r'<time datetime="[^"]+\+00:00" data-local-time>\d\d:\d\d</time>', transcript)

    handoff = section(html, "handoff")
    assert "The bot&#39;s answers didn&#39;t help" in handoff
    assert "Customer wants a refund for a damaged jacket" in handoff
    assert "Order number" in handoff and "A123" in handoff

    tried = section(html, "bot-tried")
    assert "How to return" in tried and "Not helpful" in tried
    assert "express_frustration" in tried and "62%" in tried and "−0.70" in tried
    assert '<svg class="tone-spark"' in tried and 'role="img"' in tried
    assert "Tone over 2 messages: from −0.10 (negative) to −0.70 (negative), worsening." in tried

    customer = section(html, "customer")
    assert "ada@example.com" in customer and "Plus" in customer
    assert "Orders" in customer and "12" in customer and "Vip since" in customer
    assert "Resolved by" in customer and "Refunded the order." in customer

    history = section(html, "history")
    assert "→ queued" in history and "by The bot" in history
    assert "left for the first reply" in html or "Overdue by" in html
    assert 'id="conv-priority"' in html
    assert 'id="take-this"' in html  # queued: anyone may take it
    assert "Take this conversation to reply" in html and 'id="reply-form"' not in html


def test_only_the_owner_can_reply(desk_app: Flask, demo_kb: KnowledgeBase) -> None:
    """Another agent sees why they cannot reply and is refused if they try; the owner's reply
    reaches the customer's chat."""
    case = escalated(demo_kb, name="Reply Test")
    owner, owner_staff = signed_in(desk_app, demo_kb)
    other, _ = signed_in(desk_app, demo_kb)
    owner.post(f"/desk/escalations/{case.id}/claim")

    page = other.get(f"/desk/escalations/{case.id}").get_data(as_text=True)
    assert 'id="reply-form"' not in page and "is handling this conversation" in page
    refused = other.post(f"/desk/escalations/{case.id}/messages", json={"text": "Hi!"})
    assert refused.status_code == 400
    assert "belongs to" in refused.get_json()["error"]["message"]
    as_form = other.post(
        f"/desk/escalations/{case.id}/messages", data={"text": "Hi!"}, follow_redirects=True
    )
    assert as_form.status_code == 200 and "only they can reply to it" in as_form.get_data(
        as_text=True
    )

    assert 'id="reply-form"' in owner.get(f"/desk/escalations/{case.id}").get_data(as_text=True)
    empty = owner.post(f"/desk/escalations/{case.id}/messages", json={"text": "   "})
    assert empty.status_code == 400 and "Write a reply" in empty.get_json()["error"]["message"]
    sent = owner.post(f"/desk/escalations/{case.id}/messages", json={"text": "Hello, I'm on it."})
    assert sent.status_code == 201
    message = sent.get_json()["message"]
    assert message["sender"] == "agent" and message["author"] == owner_staff.email.split("@")[0]
    assert f'id="message-{message["id"]}"' in message["html"]
    form = owner.post(f"/desk/escalations/{case.id}/messages", data={"text": "Form reply"})
    assert form.status_code == 302

    customer = desk_app.test_client()
    seen = read(customer, case.public_id, case.token)
    agent_texts = [m["text"] for m in seen["messages"] if m["sender"] == "agent"]
    assert agent_texts == ["Hello, I'm on it.", "Form reply"]
    assert seen["state"] == "assigned"


def test_internal_notes_never_reach_the_customer(desk_app: Flask, demo_kb: KnowledgeBase) -> None:
    """Any agent may add a note; it is shown as internal and never in the customer's messages."""
    case = escalated(demo_kb, name="Note Test")
    client, agent = signed_in(desk_app, demo_kb)
    secret = "Customer tried the same trick last month — check the order history."
    added = client.post(f"/desk/escalations/{case.id}/notes", data={"text": secret})
    assert added.status_code == 302 and added.headers["Location"].endswith("#notes")
    html = client.get(f"/desk/escalations/{case.id}").get_data(as_text=True)
    notes = section(html, "notes")
    assert "Team only" in notes and "never sees these" in notes
    assert "Customer tried the same trick last month" in notes
    empty = client.post(
        f"/desk/escalations/{case.id}/notes", data={"text": " "}, follow_redirects=True
    )
    assert "Please fill in the note." in empty.get_data(as_text=True)

    customer = desk_app.test_client()
    everything = read(customer, case.public_id, case.token)
    assert all("same trick" not in m["text"] for m in everything["messages"])
    assert "same trick" not in str(everything)
    with demo_kb.sessions() as session:
        stored = session.scalars(
            select(EscalationNote).where(EscalationNote.escalation_id == case.id)
        ).all()
        assert [(n.author_id, n.text) for n in stored] == [(agent.id, secret)]


def test_release_puts_it_back_in_the_queue(desk_app: Flask, demo_kb: KnowledgeBase) -> None:
    """Released: queued again, nobody owns it, the event says who and why."""
    case = escalated(demo_kb, name="Release Test")
    client, agent = signed_in(desk_app, demo_kb)
    client.post(f"/desk/escalations/{case.id}/claim")
    response = client.post(f"/desk/escalations/{case.id}/release", follow_redirects=True)
    assert "back in the queue" in response.get_data(as_text=True)
    escalation = load(demo_kb, case)
    assert (escalation.state, escalation.assigned_to) == (EscalationState.QUEUED, None)
    assert (escalation.events[-1].actor, escalation.events[-1].reason) == (agent.actor, "released")
    again = client.post(f"/desk/escalations/{case.id}/release", follow_redirects=True)
    assert again.status_code == 200
    assert "You can only release an assigned escalation" in again.get_data(as_text=True)


def test_reassign_to_a_colleague(desk_app: Flask, demo_kb: KnowledgeBase) -> None:
    """The select lists agents and admins (not editors); the chosen one owns it afterwards."""
    case = escalated(demo_kb, name="Reassign Test")
    client, _ = signed_in(desk_app, demo_kb)
    _, colleague = signed_in(desk_app, demo_kb)
    _, editor = signed_in(desk_app, demo_kb, Role.EDITOR)
    client.post(f"/desk/escalations/{case.id}/claim")
    html = client.get(f"/desk/escalations/{case.id}").get_data(as_text=True)
    choices = html[
        html.index('id="reassign-to"') : html.index("</select>", html.index('id="reassign-to"'))
    ]
    assert f'value="{colleague.id}"' in choices and f'value="{editor.id}"' not in choices
    missing = client.post(
        f"/desk/escalations/{case.id}/reassign", data={"to": ""}, follow_redirects=True
    )
    assert "Choose the agent" in missing.get_data(as_text=True)
    to_editor = client.post(
        f"/desk/escalations/{case.id}/reassign", data={"to": str(editor.id)}, follow_redirects=True
    )
    assert "can only go to agents or admins" in to_editor.get_data(as_text=True)
    done = client.post(
        f"/desk/escalations/{case.id}/reassign",
        data={"to": str(colleague.id), "reason": "Knows our payment provider"},
        follow_redirects=True,
    )
    assert "Given to" in done.get_data(as_text=True)
    escalation = load(demo_kb, case)
    assert (escalation.state, escalation.assigned_to) == (EscalationState.ASSIGNED, colleague.id)


def test_resolve_asks_the_customer_for_a_rating(desk_app: Flask, demo_kb: KnowledgeBase) -> None:
    """Resolved with a note; the customer's chat gets the rating request."""
    case = escalated(demo_kb, name="Resolve Test")
    client, _ = signed_in(desk_app, demo_kb)
    client.post(f"/desk/escalations/{case.id}/claim")
    done = client.post(
        f"/desk/escalations/{case.id}/resolve",
        data={"note": "Card issuer blocked it; customer retried."},
        follow_redirects=True,
    )
    html = done.get_data(as_text=True)
    assert "Resolved. The customer has been asked to rate" in html
    assert "This conversation is resolved" in html and 'id="hand-back"' in html
    escalation = load(demo_kb, case)
    assert escalation.state == EscalationState.RESOLVED
    assert escalation.resolution_note == "Card issuer blocked it; customer retried."
    customer = read(desk_app.test_client(), case.public_id, case.token)
    assert customer["state"] == "resolved"
    assert "rate this conversation" in customer["messages"][-1]["text"]


def test_hand_back_to_the_bot(desk_app: Flask, demo_kb: KnowledgeBase) -> None:
    """Handed back from assigned: resolved first, then the bot has it; not from the queue."""
    case = escalated(demo_kb, name="Handback Test")
    client, _ = signed_in(desk_app, demo_kb)
    queued = client.post(f"/desk/escalations/{case.id}/handback", follow_redirects=True)
    assert "Only an assigned or resolved escalation can be handed back" in queued.get_data(
        as_text=True
    )
    client.post(f"/desk/escalations/{case.id}/claim")
    done = client.post(f"/desk/escalations/{case.id}/handback", follow_redirects=True)
    assert "Handed back: the bot answers" in done.get_data(as_text=True)
    escalation = load(demo_kb, case)
    assert escalation.state == EscalationState.BOT
    assert [e.to_state for e in escalation.events][-2:] == [
        EscalationState.RESOLVED,
        EscalationState.BOT,
    ]
    assert read(desk_app.test_client(), case.public_id, case.token)["state"] == "bot"


def test_save_as_article_draft(desk_app: Flask, demo_kb: KnowledgeBase) -> None:
    """Prefilled from the customer's question and the agent's last reply; saved as a draft."""
    case = escalated(demo_kb, name="Draft Test", text="Can I return boots I wore once indoors?")
    client, _ = signed_in(desk_app, demo_kb)
    client.post(f"/desk/escalations/{case.id}/claim")
    client.post(f"/desk/escalations/{case.id}/messages", json={"text": "First thoughts"})
    answer = "Yes: unworn outdoors means returnable within 60 days. Start at Orders > Return."
    client.post(f"/desk/escalations/{case.id}/messages", json={"text": answer})
    html = client.get(f"/desk/escalations/{case.id}").get_data(as_text=True)
    assert 'value="Can I return boots I wore once indoors?"' in html
    assert f">{answer.replace('>', '&gt;')}</textarea>" in html

    blank = client.post(
        f"/desk/escalations/{case.id}/draft",
        data={"title": "", "question": "q", "answer": "a"},
        follow_redirects=True,
    )
    assert "Please fill in the title." in blank.get_data(as_text=True)
    saved = client.post(
        f"/desk/escalations/{case.id}/draft",
        data={
            "title": "Returning boots worn indoors",
            "question": "Can I return boots I wore once indoors?",
            "answer": answer,
        },
        follow_redirects=True,
    )
    assert "Saved the draft “Returning boots worn indoors”" in saved.get_data(as_text=True)
    with demo_kb.sessions() as session:
        article = session.scalar(select(Article).where(Article.origin_ref == case.public_id))
        assert article is not None
        assert (article.title, article.status, article.origin) == (
            "Returning boots worn indoors",
            ArticleStatus.DRAFT,
            "conversation",
        )
