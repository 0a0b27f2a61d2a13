"""The widget while a person has the chat: the queue place, agents by name, live updates, the rating.

Mostly against the stubbed chat API (chat_stub.py), which holds long polls until there is news like
the real one, with the test playing the support team through the stub; the last test uses the real
server and staff API end to end (no Rasa needed: "Talk to a person" queues the chat either way).
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kb import api_tokens
from kb.config import Settings
from kb.db import make_engine, make_session_factory
from kb.models import Role, User
from tests.browser.chat_stub import ChatStub
from tests.browser.conftest import screenshot
from tests.browser.test_widget import Chat
from tests.web.people import unique

pytestmark = [pytest.mark.browser, pytest.mark.model]


@pytest.fixture
def stub(page: Page, base_url: str) -> ChatStub:
    """The chat API, stubbed for this page."""
    return ChatStub(origin=base_url).install(page)


def queued(page: Page, base_url: str) -> Chat:
    """The demo page with the chat open and handed to a person."""
    page.goto(base_url + "/widget/demo")
    chat = Chat(page)
    chat.launcher.click()
    chat.human.click()
    expect(chat.state).to_have_text("Waiting for a person — we'll reply here")
    return chat


def test_the_queue_place_is_shown_and_follows_the_queue(
    page: Page, base_url: str, stub: ChatStub
) -> None:
    """Position and wait while queued, updated by long polls; honest when nobody is online."""
    chat = queued(page, base_url)
    place = chat.panel.locator(".t0-queue")
    expect(place).to_have_text("You're number 3 in the queue · about 12 minutes")
    screenshot(page, "widget-queue-place")
    polls = stub.long_polls()
    assert polls and "state=queued" in polls[-1] and "position=3" in polls[-1]
    stub.queue_moves(2, 95, online=0)
    expect(place).to_have_text(
        "You're number 2 in the queue · nobody from our team is online right now, "
        "so it may take about 2 hours"
    )
    stub.queue_moves(1, 4)
    expect(place).to_have_text("You're next in the queue · about 4 minutes")
    stub.agent_says("Hi, I'm Sam — I've got your order here.", author="Sam")
    expect(chat.messages("agent")).to_have_text(["Hi, I'm Sam — I've got your order here."])
    expect(place).to_be_hidden()
    expect(chat.state).to_have_text("You're chatting with a person from our team")


def test_agent_messages_carry_the_agents_name(page: Page, base_url: str, stub: ChatStub) -> None:
    """The name shows above each agent's first message in a row; a colleague is named too."""
    chat = queued(page, base_url)
    stub.agent_says("Hi, I'm Sam.", author="Sam")
    stub.agent_says("Let me look.", author="Sam")
    expect(chat.messages("agent")).to_have_count(2)
    stub.agent_says("Priya here, I'm taking over from Sam.", author="Priya")
    expect(chat.messages("agent")).to_have_count(3)
    labels = chat.log.locator(".t0-from-agent .t0-sender")
    expect(labels).to_have_text(["Sam:", "Sam:", "Priya:"])
    visible = chat.log.locator(".t0-from-agent .t0-sender:not(.t0-sr)")
    expect(visible).to_have_text(["Sam:", "Priya:"])
    assert chat.ids() == [str(message["id"]) for message in stub.only.messages]


def test_a_resolved_chat_asks_for_a_rating_by_keyboard(
    page: Page, base_url: str, stub: ChatStub
) -> None:
    """1–5 radios and a comment, keyboard only; thanks afterwards; not asked again after a reload."""
    chat = queued(page, base_url)
    stub.agent_says("Your refund is on its way.", author="Sam")
    expect(chat.messages("agent")).to_have_count(1)
    stub.resolve()
    form = chat.log.get_by_role("group", name="Rate this conversation")
    expect(form).to_be_visible()
    expect(chat.state).to_contain_text("resolved")
    send = chat.log.get_by_role("button", name="Send rating")
    send.click()
    expect(chat.log.locator(".t0-rating-problem")).to_have_text("Choose a score from 1 to 5 first.")
    expect(form.get_by_role("radio", name="1 – very poor")).to_be_focused()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(form.get_by_role("radio", name="4 – good")).to_be_checked()
    page.keyboard.press("Tab")
    comment = chat.log.get_by_role("textbox", name="Comment (optional)")
    expect(comment).to_be_focused()
    page.keyboard.type("Quick and friendly")
    screenshot(page, "widget-rating")
    page.keyboard.press("Tab")
    expect(send).to_be_focused()
    page.keyboard.press("Enter")
    expect(chat.log.get_by_text("Thanks for your rating!")).to_be_visible()
    expect(chat.log.get_by_text("Thanks for your rating!")).to_be_focused()
    assert stub.only.ratings == [{"score": 4, "comment": "Quick and friendly"}]
    page.reload()
    chat = Chat(page)
    chat.launcher.click()
    expect(chat.messages("system").last).to_contain_text("How did we do?")
    expect(chat.log.locator(".t0-rating")).to_have_count(0)


def test_polls_recover_from_an_outage_without_losing_or_repeating(
    page: Page, base_url: str, stub: ChatStub
) -> None:
    """Long polls fail for a while (503): the widget backs off, then gets every message once."""
    chat = queued(page, base_url)
    for _ in range(100):  # until the widget's long poll waits at the stub
        if stub.polls:
            break
        page.wait_for_timeout(50)
    assert stub.polls
    stub.fail_polls = 2  # the polls after the one now waiting
    stub.agent_says("First, as the outage starts.", author="Sam")
    expect(chat.messages("agent")).to_have_text(["First, as the outage starts."])
    stub.agent_says("Second, during the outage.", author="Sam")
    expect(chat.messages("agent")).to_have_text(
        ["First, as the outage starts.", "Second, during the outage."], timeout=20_000
    )
    assert stub.fail_polls == 0
    stub.agent_says("Third, after it.", author="Sam")
    expect(chat.messages("agent")).to_have_count(3)
    assert chat.ids() == [str(message["id"]) for message in stub.only.messages]
    page.problems[:] = [p for p in page.problems if "503" not in p]  # type: ignore[attr-defined]


@pytest.fixture
def agent_token(server_env: dict[str, str]) -> Iterator[tuple[str, str]]:
    """An agent on the served database: their display name and API token."""
    settings = Settings(data_dir=Path(server_env["TIER0_DATA_DIR"]))
    engine = make_engine(settings.resolved_database_url)
    name = unique("Sam")
    with make_session_factory(engine)() as session:
        user = User(email=f"{name}@example.com", display_name=name, role=Role.AGENT)
        session.add(user)
        session.flush()
        secret = api_tokens.issue(session=session, user=user, name="widget test").secret
        session.commit()
    yield name, secret
    engine.dispose()


def staff_api(base_url: str, token: str, method: str, path: str, body: Any = None) -> Any:
    """Call the real staff API; the JSON answer."""
    request = urllib.request.Request(
        f"{base_url}/api/v1/escalations{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def test_with_the_real_api_an_agent_reply_arrives_within_two_seconds(
    page: Page, base_url: str, agent_token: tuple[str, str]
) -> None:
    """Real server, no stub: queued with a place, the agent's reply shows (by name) within 2 s of
    being sent, and the rating after resolving reaches the escalation."""
    name, token = agent_token
    page.goto(base_url + "/widget/demo")
    chat = Chat(page)
    chat.launcher.click()
    chat.human.click()
    expect(chat.state).to_have_text("Waiting for a person — we'll reply here", timeout=20_000)
    expect(chat.panel.locator(".t0-queue")).to_have_text(
        re.compile(r"^You're (next|number \d+) in the queue · ")
    )
    record = page.evaluate(
        "JSON.parse(Object.entries(localStorage).find(([k]) => k.startsWith('tier0-chat:'))[1])"
    )
    waiting = staff_api(base_url, token, "GET", "?view=unassigned&per_page=100")["items"]
    escalation = next(item["id"] for item in waiting if item["conversation_id"] == record["id"])
    staff_api(base_url, token, "POST", f"/{escalation}/claim")
    expect(chat.state).to_have_text("You're chatting with a person from our team")
    staff_api(base_url, token, "POST", f"/{escalation}/messages", {"text": "Hi, I'm on it."})
    expect(chat.messages("agent")).to_have_text(["Hi, I'm on it."], timeout=2_000)
    expect(chat.log.locator(".t0-from-agent .t0-sender")).to_have_text([f"{name}:"])
    staff_api(base_url, token, "POST", f"/{escalation}/resolve", {"note": "Sorted."})
    form = chat.log.get_by_role("group", name="Rate this conversation")
    expect(form).to_be_visible()
    form.locator("label[for='t0-score-5']").click()  # the visible button-like label
    expect(form.get_by_role("radio", name="5 – excellent")).to_be_checked()
    chat.log.get_by_role("button", name="Send rating").click()
    expect(chat.log.get_by_text("Thanks for your rating!")).to_be_visible()
    assert staff_api(base_url, token, "GET", f"/{escalation}")["rating"] == 5
    screenshot(page, "widget-real-rating")
