"""The agent desk in a real browser: queue, take next, the whole story, assist, live replies.

Staff and escalations are written straight into the served database (as the chat would make
them); the customer's side talks to the real chat API over HTTP.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from kb.knowledge_base import KnowledgeBase
from kb.models import Role, User
from tests.browser.conftest import screenshot
from tests.browser.staff import keep, sign_in
from tests.web.desk_helpers import Case, clear_queue, escalated
from tests.web.staff_helpers import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.model]


def chat_api(base_url: str, case: Case, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The customer's side: POST a message (with ``body``) or GET every message."""
    url = f"{base_url}/api/v1/conversations/{case.public_id}/messages"
    request = urllib.request.Request(
        url if body is not None else url + "?after=0",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {case.token}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def test_an_agent_works_the_queue_and_answers_live(
    page: Page, base_url: str, served_kb: KnowledgeBase
) -> None:
    """Sign in, see the queue update itself, take next, read the story, insert a suggestion,
    reply, and see the customer's next message arrive without reloading."""
    clear_queue(served_kb)
    agent = make_staff(served_kb, Role.AGENT)
    with served_kb.sessions() as session:
        session.execute(update(User).where(User.id == agent.id).values(display_name="Sam Agent"))
        session.commit()
    escalated(
        served_kb,
        name="Frank Free",
        external_id="cus_2001",
        plan="free",
        text="Where is my parcel? It's late.",
        handoff={"summary": "Parcel ordered 9 days ago has not arrived; tracking shows no scan."},
        minutes_ago=9,
    )
    top = escalated(
        served_kb,
        name="Ada Lovelace",
        external_id="cus_1042",
        email="ada@example.com",
        plan="premium",
        attributes={"orders": 14, "member_since": "2019", "country": "UK"},
        text="How do I return hiking boots I wore once indoors?",
        handoff={
            "summary": "Wants to return boots worn once indoors; the returns article didn't help.",
            "turns": [
                {
                    "text": "How do I return hiking boots?",
                    "intent": "ask_question",
                    "confidence": 0.91,
                    "tone": 0.1,
                },
                {
                    "text": "That doesn't answer it",
                    "intent": "deny",
                    "confidence": 0.77,
                    "tone": -0.3,
                },
                {
                    "text": "This is really annoying",
                    "intent": "express_frustration",
                    "confidence": 0.64,
                    "tone": -0.62,
                },
            ],
            "details": {"order_number": "JO-58213"},
        },
        minutes_ago=21,
    )
    escalated(
        served_kb,
        name="Pat Plus",
        external_id="cus_3310",
        plan="plus",
        text="Can I change the colour of my order?",
        handoff={
            "reason": "customer_request",
            "summary": "Asked for a person straight away to change the colour of an order.",
        },
        reason="customer_request",
        minutes_ago=3,
    )

    sign_in(page, base_url, agent, lands_on="/desk")
    rows = page.locator("#queue-rows tr.queue-row")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Ada Lovelace")
    expect(page.locator('[data-count="unassigned"]')).to_have_text("3")
    # A new escalation appears without a reload.
    escalated(
        served_kb,
        name="Nia New",
        external_id="cus_4477",
        plan="free",
        text="My account is locked",
        handoff={"summary": "Locked out after a password reset; the reset email never came."},
    )
    expect(rows).to_have_count(4, timeout=8_000)
    expect(page.locator('[data-count="unassigned"]')).to_have_text("4")
    expect(page).to_have_title(re.compile(r"^\(4\) Queue"))
    expect(rows.first.locator(".sla-breached")).to_contain_text("Overdue by")
    expect(page.locator('[data-count="breached"]')).to_have_text("1")
    page.wait_for_timeout(1_700)  # a poll or two: the rows stay put
    keep(page, "desk-queue")
    page.locator(f"#priority-{top.id} summary").click()
    expect(page.locator(f"#priority-{top.id} .priority-why")).to_contain_text("Premium")
    page.locator(f"#priority-{top.id} summary").click()

    page.locator("#take-next").click()
    page.wait_for_url(re.compile(rf"/desk/escalations/{top.id}$"))
    expect(page.locator("h1")).to_contain_text("Ada Lovelace")
    expect(page.locator("#handoff")).to_contain_text("Wants to return boots worn once indoors")
    expect(page.locator("#bot-tried")).to_contain_text("Not helpful")
    expect(page.locator("#turns")).to_contain_text("express_frustration")
    expect(page.locator("#tone-trend svg")).to_be_visible()
    expect(page.locator("#customer")).to_contain_text("ada@example.com")
    expect(page.locator("#customer")).to_contain_text("Premium")
    expect(page.locator("#transcript .msg-customer").first).to_contain_text("hiking boots")

    insert = page.locator("#suggestions [data-insert]").first
    expect(insert).to_be_visible()
    insert.click()
    box = page.locator("#reply-text")
    expect(box).to_have_value(re.compile(r"^.+: https?://\S+/(articles|community/questions)/\S+$"))
    expect(box).to_be_focused()
    box.press("End")
    box.type("\n\nHi Ada — boots worn once indoors can go back within 60 days.")
    box.press("Control+Enter")  # the keyboard way to send
    agent_messages = page.locator("#transcript .msg-agent")
    expect(agent_messages).to_have_count(1)
    expect(agent_messages.first).to_contain_text("boots worn once indoors can go back")
    expect(box).to_have_value("")
    seen = chat_api(base_url, top)
    agent_texts = [m["text"] for m in seen["messages"] if m["sender"] == "agent"]
    assert len(agent_texts) == 1 and agent_texts[0].endswith("can go back within 60 days.")

    sent_at = time.monotonic()
    chat_api(base_url, top, {"text": "Great, thanks! Do I need the original box?"})
    reply = page.locator("#transcript .msg-customer", has_text="original box")
    expect(reply).to_be_visible(timeout=2_000)
    assert time.monotonic() - sent_at < 2.0
    ids = page.locator("#transcript li[data-id]").evaluate_all(
        "items => items.map(item => item.dataset.id)"
    )
    assert len(ids) == len(set(ids))  # nothing shown twice
    page.wait_for_timeout(1_700)  # let the new messages' highlight fade
    page.evaluate("window.scrollTo(0, 0)")
    keep(page, "desk-conversation")
    screenshot(page, "desk-conversation-full", full_page=True)
