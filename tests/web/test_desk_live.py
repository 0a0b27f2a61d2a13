"""The desk live: the messages long poll, replies reaching the chat, agent assist."""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask

from kb.canned import create_canned
from kb.knowledge_base import KnowledgeBase
from tests.web.chat_helpers import send
from tests.web.conftest import build_app
from tests.web.desk_helpers import escalated, signed_in


@pytest.fixture
def desk_app(demo_kb: KnowledgeBase) -> Flask:
    """The app with CSRF off, so tests post the desk's forms directly."""
    return build_app(demo_kb, csrf=False)


def test_messages_json_pages_with_after(desk_app: Flask, demo_kb: KnowledgeBase) -> None:
    """Everything after an id, oldest first, each with its rendered HTML, and who has the chat."""
    case = escalated(demo_kb, name="Poll Test")
    client, _ = signed_in(desk_app, demo_kb)
    everything = client.get(f"/desk/escalations/{case.id}/messages.json?after=0").get_json()
    assert [m["sender"] for m in everything["messages"]] == ["customer", "bot"]
    assert everything["state"] == "queued" and everything["owner"] is None
    assert everything["seen"] == "queued:0" and everything["can_reply"] is False
    first, second = (m["id"] for m in everything["messages"])
    assert 'class="msg msg-customer"' in everything["messages"][0]["html"]
    after = client.get(f"/desk/escalations/{case.id}/messages.json?after={first}").get_json()
    assert [m["id"] for m in after["messages"]] == [second]
    assert "suggestions_html" not in after  # no new customer message, nothing to suggest
    bad = client.get(f"/desk/escalations/{case.id}/messages.json?after=-1")
    assert (
        bad.status_code == 400
        and "'after' must be a whole number" in bad.get_json()["error"]["message"]
    )


def test_a_customer_message_wakes_the_long_poll_at_once(
    desk_app: Flask, demo_kb: KnowledgeBase
) -> None:
    """The agent's poll waits; the customer's message through the chat API ends it within 2 s."""
    case = escalated(demo_kb, name="Live Test")
    client, _ = signed_in(desk_app, demo_kb)
    client.post(f"/desk/escalations/{case.id}/claim")
    now = client.get(f"/desk/escalations/{case.id}/messages.json").get_json()
    last, seen = now["messages"][-1]["id"], now["seen"]
    customer = desk_app.test_client()
    results: dict[str, float | int] = {}

    def write() -> None:
        time.sleep(0.5)
        results["sent_at"] = time.monotonic()
        results["status"] = send(customer, case.public_id, case.token, text="Are you there?")[0]

    writer = threading.Thread(target=write)
    started = time.monotonic()
    writer.start()
    poll = client.get(f"/desk/escalations/{case.id}/messages.json?after={last}&wait=15&seen={seen}")
    finished = time.monotonic()
    writer.join()
    assert results["status"] == 200 and poll.status_code == 200
    body = poll.get_json()
    texts = [m["text"] for m in body["messages"] if m["sender"] == "customer"]
    assert texts == ["Are you there?"]
    assert finished - started >= 0.5  # it waited for the message …
    assert finished - results["sent_at"] < 2.0  # … and had it within 2 seconds
    assert "suggestions_html" in body


def test_the_long_poll_waits_and_returns_empty(desk_app: Flask, demo_kb: KnowledgeBase) -> None:
    """Nothing new: the poll holds for ``wait`` seconds, then answers with no messages."""
    case = escalated(demo_kb, name="Quiet Test")
    client, _ = signed_in(desk_app, demo_kb)
    everything = client.get(f"/desk/escalations/{case.id}/messages.json").get_json()
    last, seen = everything["messages"][-1]["id"], everything["seen"]
    started = time.monotonic()
    body = client.get(
        f"/desk/escalations/{case.id}/messages.json?after={last}&wait=1&seen={seen}"
    ).get_json()
    assert body["messages"] == [] and time.monotonic() - started >= 0.9


def test_the_long_poll_returns_when_a_colleague_takes_it(
    desk_app: Flask, demo_kb: KnowledgeBase
) -> None:
    """A change of owner ends the wait, so the page can say the conversation was taken."""
    case = escalated(demo_kb, name="Taken Test")
    watcher, _ = signed_in(desk_app, demo_kb)
    taker, staff = signed_in(desk_app, demo_kb)
    everything = watcher.get(f"/desk/escalations/{case.id}/messages.json").get_json()
    last = everything["messages"][-1]["id"]

    def take() -> None:
        time.sleep(0.3)
        taker.post(f"/desk/escalations/{case.id}/claim")

    thread = threading.Thread(target=take)
    started = time.monotonic()
    thread.start()
    body = watcher.get(
        f"/desk/escalations/{case.id}/messages.json?after={last}&wait=10&seen=queued:0"
    ).get_json()
    thread.join()
    assert time.monotonic() - started < 3
    assert body["state"] == "assigned" and body["seen"] == f"assigned:{staff.id}"
    assert body["owner"] == staff.email.split("@")[0]


def test_suggested_articles_for_the_latest_customer_message(
    desk_app: Flask, demo_kb: KnowledgeBase
) -> None:
    """The help centre's search finds articles; each can be inserted as a link or a snippet."""
    case = escalated(demo_kb, name="Assist Test", text="How do I return an item I bought?")
    client, _ = signed_in(desk_app, demo_kb)
    queued = client.get(f"/desk/escalations/{case.id}").get_data(as_text=True)
    suggestions = queued[
        queued.index('id="suggestions"') : queued.index(
            "</section>", queued.index('id="suggestions"')
        )
    ]
    assert "http://localhost/articles/how-to-return-an-item" in suggestions
    assert "data-insert" not in suggestions  # not theirs yet: nothing to insert into
    client.post(f"/desk/escalations/{case.id}/claim")
    html = client.get(f"/desk/escalations/{case.id}").get_data(as_text=True)
    assert (
        'data-insert="How to return an item: http://localhost/articles/how-to-return-an-item"'
        in html
    )
    assert "Insert snippet" in html and "More in “How to return an item”" in html


def test_canned_responses_are_filled_in_for_this_customer(
    desk_app: Flask, demo_kb: KnowledgeBase
) -> None:
    """The picker lists canned responses; the endpoint fills in customer and agent."""
    with demo_kb.sessions() as session:
        canned = create_canned(
            session=session,
            title=f"Greeting {time.time_ns()}",
            body="Hi {customer.first_name}, I'm {agent.first_name} from the {customer.plan} team.",
        )
        session.commit()
        canned_id = canned.id
    case = escalated(demo_kb, name="Grace Hopper", plan="premium")
    client, agent = signed_in(desk_app, demo_kb)
    client.post(f"/desk/escalations/{case.id}/claim")
    html = client.get(f"/desk/escalations/{case.id}").get_data(as_text=True)
    assert f'<option value="{canned_id}">Greeting' in html
    filled = client.get(f"/desk/escalations/{case.id}/canned/{canned_id}").get_json()
    agent_name = agent.email.split("@")[0]
    assert filled["text"] == f"Hi Grace, I'm {agent_name} from the Premium team."
    missing = client.get(
        f"/desk/escalations/{case.id}/canned/987654", headers={"Accept": "application/json"}
    )
    assert missing.status_code == 404 and "deleted" in missing.get_json()["error"]["message"]


def test_beyond_the_long_poll_limit_the_poll_is_answered_at_once(
    demo_kb: KnowledgeBase,
) -> None:
    """TIER0_LONG_POLL_MAX=1: while one poll waits, another is answered plainly and at once."""
    from web import live

    app = build_app(demo_kb, csrf=False, long_poll_max=1)
    try:
        case = escalated(demo_kb, name="Busy Test")
        client, _ = signed_in(app, demo_kb)
        colleague, _ = signed_in(app, demo_kb)
        everything = client.get(f"/desk/escalations/{case.id}/messages.json").get_json()
        last, seen = everything["messages"][-1]["id"], everything["seen"]
        url = f"/desk/escalations/{case.id}/messages.json?after={last}&wait=3&seen={seen}"
        holder = threading.Thread(target=lambda: colleague.get(url))
        holder.start()
        deadline = time.monotonic() + 5
        while not live.waiting() and time.monotonic() < deadline:
            time.sleep(0.02)
        started = time.monotonic()
        busy = client.get(url)
        assert busy.status_code == 200 and busy.get_json()["messages"] == []
        assert time.monotonic() - started < 1.5
        holder.join()
    finally:
        live.limit(32)
