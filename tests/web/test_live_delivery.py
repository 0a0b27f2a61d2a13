"""Live delivery through the chat API: long polls wake on agent replies, never lose or repeat one.

A writer thread plays the agent (the staff API, or the database directly as another process
would); the test plays the widget, long-polling with its last message id.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from kb import chat
from kb.models import Conversation, Message, Role, Sender
from tests.web.escalation_desk import Desk, Waiting, desk, escalate_chat
from tests.web.staff_helpers import Staff, make_staff
from web import live
from web.chat import updates

__all__ = ["desk"]  # the module's fixture


def poll(
    client: FlaskClient, waiting: Waiting, after: int, wait: float, **extra: Any
) -> dict[str, Any]:
    """One long poll, as the widget makes it."""
    query = {"after": after, "wait": wait, **extra}
    response = client.get(waiting.messages_url, query_string=query, headers=waiting.headers)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def last_id(client: FlaskClient, waiting: Waiting) -> int:
    """The newest message id the customer has."""
    return int(poll(client, waiting, 0, 0)["messages"][-1]["id"])


def in_thread(delay: float, action: Callable[[], Any]) -> tuple[threading.Thread, list[float]]:
    """Run ``action`` after ``delay`` seconds in a thread; the list gets the time it finished."""
    done: list[float] = []

    def run() -> None:
        time.sleep(delay)
        action()
        done.append(time.monotonic())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


def reply_as(desk: Desk, staff: Staff, escalation: int, text: str) -> int:
    """The agent replies through the staff API; the message id."""
    response = desk.app.test_client().post(
        f"/api/v1/escalations/{escalation}/messages", json={"text": text}, headers=staff.headers
    )
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


@pytest.fixture
def agent(desk: Desk) -> Staff:
    """An agent with a token."""
    return make_staff(desk.kb, Role.AGENT)


@pytest.fixture
def assigned(desk: Desk, agent: Staff) -> Waiting:
    """A conversation the agent has taken."""
    client = desk.app.test_client()
    waiting = escalate_chat(desk, client)
    response = client.post(f"/api/v1/escalations/{waiting.escalation}/claim", headers=agent.headers)
    assert response.status_code == 200
    return waiting


def test_a_long_poll_returns_within_a_second_of_an_agent_reply(
    desk: Desk, agent: Staff, assigned: Waiting, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The widget waits; the agent writes after a moment; the notify hands it over at once."""
    monkeypatch.setattr(updates, "POLL_SECONDS", 30.0)  # only the notify can wake it in time
    client = desk.app.test_client()
    after = last_id(client, assigned)
    writer, done = in_thread(
        0.4, lambda: reply_as(desk, agent, assigned.escalation, "Hello from Sam")
    )
    started = time.monotonic()
    body = poll(client, assigned, after, 10, state="assigned")
    answered = time.monotonic()
    writer.join(timeout=10)
    assert [(m["sender"], m["text"]) for m in body["messages"]] == [("agent", "Hello from Sam")]
    assert answered - started >= 0.3  # it really waited for the reply
    assert answered - done[0] < 0.5
    assert live.waiting() == {}


def test_a_long_poll_with_nothing_new_times_out_empty(desk: Desk, assigned: Waiting) -> None:
    """No news: an empty answer after ``wait`` seconds, with the state."""
    client = desk.app.test_client()
    after = last_id(client, assigned)
    started = time.monotonic()
    body = poll(client, assigned, after, 0.5, state="assigned")
    assert 0.45 <= time.monotonic() - started < 3
    assert body["messages"] == [] and body["state"] == "assigned"


def test_a_long_poll_answers_at_once_when_there_is_news(desk: Desk, assigned: Waiting) -> None:
    """Messages after ``after``, or a state other than the one seen: no waiting at all."""
    client = desk.app.test_client()
    started = time.monotonic()
    assert poll(client, assigned, 0, 20)["messages"]
    after = last_id(client, assigned)
    assert poll(client, assigned, after, 20, state="queued")["state"] == "assigned"
    assert time.monotonic() - started < 2


def test_a_claim_wakes_the_waiting_customer(
    desk: Desk, agent: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Queued → assigned answers the long poll though no message came."""
    monkeypatch.setattr(updates, "POLL_SECONDS", 30.0)
    client = desk.app.test_client()
    waiting = escalate_chat(desk, client)
    after = last_id(client, waiting)
    writer, done = in_thread(
        0.3,
        lambda: desk.app.test_client().post(
            f"/api/v1/escalations/{waiting.escalation}/claim", headers=agent.headers
        ),
    )
    body = poll(client, waiting, after, 10, state="queued")
    answered = time.monotonic()
    writer.join(timeout=10)
    assert body["state"] == "assigned" and body["messages"] == [] and body["queue"] is None
    assert answered - done[0] < 0.5


def test_a_write_by_another_process_is_seen_without_a_notify(
    desk: Desk, agent: Staff, assigned: Waiting
) -> None:
    """Committed straight to the database (no notify in this process): seen within a second."""
    client = desk.app.test_client()
    after = last_id(client, assigned)

    def other_process() -> None:
        with desk.kb.sessions() as session:
            conversation = session.scalar(
                select(Conversation).where(Conversation.public_id == assigned.conversation)
            )
            assert conversation is not None
            message = chat.add_message(
                session=session, conversation=conversation, sender=Sender.AGENT, text="From afar"
            )
            message.author_id = agent.id
            session.commit()

    writer, done = in_thread(0.3, other_process)
    body = poll(client, assigned, after, 10, state="assigned")
    answered = time.monotonic()
    writer.join(timeout=10)
    assert [m["text"] for m in body["messages"]] == ["From afar"]
    assert body["messages"][0]["author"] == agent.email.split("@")[0]
    assert answered - done[0] < 1.5


def test_reconnects_never_lose_or_repeat_a_message(
    desk: Desk, agent: Staff, assigned: Waiting
) -> None:
    """An agent writes 40 messages at uneven pace while the widget long-polls with short waits
    (many time out and reconnect with the last id): every message arrives exactly once, in order."""
    client = desk.app.test_client()
    after = last_id(client, assigned)
    sent: list[int] = []

    def agent_writes() -> None:
        for number in range(40):
            sent.append(reply_as(desk, agent, assigned.escalation, f"Message {number}"))
            time.sleep((0.0, 0.01, 0.05, 0.35)[number % 4])  # bursts and pauses

    writer, done = in_thread(0.05, agent_writes)
    received: list[int] = []
    polls = empty = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (done and len(received) >= len(sent)):
        body = poll(client, assigned, after, 0.3, state="assigned")
        polls += 1
        ids = [int(m["id"]) for m in body["messages"]]
        empty += not ids
        received.extend(ids)
        after = ids[-1] if ids else after
    writer.join(timeout=10)
    assert len(sent) == 40
    assert received == sent  # all of them, once each, in order
    assert len(set(received)) == len(received)
    assert empty >= 1 and polls > 5  # it really timed out and reconnected along the way
    with desk.kb.sessions() as session:
        stored = session.scalars(
            select(Message.id).where(Message.sender == Sender.AGENT, Message.id.in_(sent))
        )
        assert sorted(stored) == sent


def test_a_waiting_customer_is_told_when_their_place_moves(
    desk: Desk, agent: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Queued second; the one ahead is taken; the long poll answers with position 1."""
    monkeypatch.setattr(updates, "QUEUE_CHECK_SECONDS", 0.2)
    client = desk.app.test_client()
    drainer = make_staff(desk.kb, Role.AGENT)
    while client.post("/api/v1/escalations/next", headers=drainer.headers).status_code == 200:
        pass
    ahead = escalate_chat(desk, client)
    behind = escalate_chat(desk, client)
    first = poll(client, behind, 0, 0)
    assert first["state"] == "queued"
    assert first["queue"]["position"] == 2
    after = int(first["messages"][-1]["id"])
    writer, done = in_thread(
        0.3,
        lambda: client.post(f"/api/v1/escalations/{ahead.escalation}/claim", headers=agent.headers),
    )
    body = poll(desk.app.test_client(), behind, after, 10, state="queued", position=2)
    answered = time.monotonic()
    writer.join(timeout=10)
    assert body["messages"] == [] and body["state"] == "queued"
    assert body["queue"]["position"] == 1
    assert answered - done[0] < 1.5


@pytest.mark.parametrize(
    ("query", "field"),
    [({"wait": 26}, "wait"), ({"wait": -1}, "wait"), ({"state": "gone"}, "state")],
)
def test_bad_long_poll_parameters_are_400(
    desk: Desk, assigned: Waiting, query: dict[str, Any], field: str
) -> None:
    """wait is 0–25 seconds; state one of the four."""
    response = desk.app.test_client().get(
        assigned.messages_url, query_string=query, headers=assigned.headers
    )
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]
