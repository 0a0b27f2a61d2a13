"""The handoff loop end to end, through the real Rasa server, action server and web app.

A customer's question defeats the bot twice, the conversation is queued, an agent takes the next
escalation with the staff API, replies, the customer reads the reply in the chat API, the agent
resolves, the customer rates, the agent hands back, and the bot answers the next question.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from kb.db import make_engine, make_session_factory
from kb.models import EscalationEvent
from tests.stack import TIER0, Chat, bot_messages, escalation_of, http_json
from web.stack import Stack

pytestmark = [pytest.mark.rasa, pytest.mark.model]

TOKEN = re.compile(r"\bt0_[A-Za-z0-9_-]{20,}")


def agent_token(env: dict[str, str], email: str) -> str:
    """Create an agent with the CLI (no password: API only) and return the token it printed."""
    done = subprocess.run(
        [TIER0, "users", "create", email, "--role", "agent", "--api-token", "--no-password"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = TOKEN.search(done.stdout)
    assert found, done.stdout
    return found.group(0)


def clear_queue(api: str, token: str) -> None:
    """Take and resolve whatever is waiting, so "take next" below gets this test's conversation."""
    for _ in range(100):
        status, taken = http_json("POST", f"{api}/escalations/next", {}, token)
        if status == 204:
            return
        assert status == 200, taken
        status, body = http_json("POST", f"{api}/escalations/{taken['id']}/resolve", {}, token)
        assert status == 200, body
    raise AssertionError("the queue never emptied")


def transitions(env: dict[str, str], escalation_id: int) -> list[tuple[str | None, str]]:
    """The escalation's state changes, oldest first, read from the stack's database."""
    engine = make_engine(f"sqlite:///{Path(env['TIER0_DATA_DIR']) / 'tier0.sqlite3'}")
    try:
        with make_session_factory(engine)() as session:
            events = session.scalars(
                select(EscalationEvent)
                .where(EscalationEvent.escalation_id == escalation_id)
                .order_by(EscalationEvent.id)
            )
            return [
                (e.from_state.value if e.from_state else None, e.to_state.value) for e in events
            ]
    finally:
        engine.dispose()


def test_bot_fails_twice_agent_answers_resolves_and_hands_back(
    stack: Stack, stack_env: dict[str, str]
) -> None:
    """customer asks → bot fails twice → queued → take next → reply → seen → resolve → rating →
    hand back → the bot answers again."""
    api = f"{stack.web_url}/api/v1"
    token = agent_token(stack_env, "flow-agent@example.com")
    clear_queue(api, token)  # other test modules share this stack's database

    chat = Chat(stack.web_url)
    chat.send("How long does shipping take to my house?")
    chat.send(payload="/deny")
    chat.send(payload="/deny")
    assert chat.state == "queued"
    escalation = escalation_of(stack_env, chat.id)
    assert escalation is not None and escalation.reason == "failed_answers"

    # The customer waiting sees where they are in the queue.
    status, waiting = http_json(
        "GET", f"{api}/conversations/{chat.id}/messages?after=0", None, chat.token
    )
    assert status == 200 and waiting["state"] == "queued"
    assert waiting["queue"]["position"] >= 1

    status, taken = http_json("POST", f"{api}/escalations/next", {}, token)
    assert status == 200, taken
    assert taken["id"] == escalation.id and taken["state"] == "assigned"
    status, detail = http_json("GET", f"{api}/escalations/{escalation.id}", None, token)
    assert status == 200 and detail["reason"] == "failed_answers"

    last_id = chat.history()[-1]["id"]
    reply = "Standard delivery takes 3-5 working days; yours left our warehouse today."
    status, sent = http_json(
        "POST", f"{api}/escalations/{escalation.id}/messages", {"text": reply}, token
    )
    assert status in (200, 201), sent
    status, seen = http_json(
        "GET", f"{api}/conversations/{chat.id}/messages?after={last_id}", None, chat.token
    )
    assert status == 200 and seen["state"] == "assigned"
    assert [m["text"] for m in seen["messages"] if m["sender"] == "agent"] == [reply]

    status, resolved = http_json(
        "POST",
        f"{api}/escalations/{escalation.id}/resolve",
        {"note": "Explained delivery times."},
        token,
    )
    assert status == 200 and resolved["state"] == "resolved", resolved
    kinds = [m.get("kind") for m in chat.history() if m["sender"] == "system"]
    assert "rating_request" in kinds
    status, rated = http_json(
        "POST",
        f"{api}/conversations/{chat.id}/rating",
        {"score": 5, "comment": "Quick, thanks"},
        chat.token,
    )
    assert status == 200, rated

    status, back = http_json("POST", f"{api}/escalations/{escalation.id}/handback", {}, token)
    assert status == 200 and back["state"] == "bot", back
    answer = bot_messages(chat.send("How do I return hiking boots I wore once indoors?"))
    assert chat.state == "bot"
    assert any(card for m in answer for card in m["articles"]), answer

    final = escalation_of(stack_env, chat.id)
    assert final is not None and final.rating == 5 and final.state.value == "bot"
    assert transitions(stack_env, final.id) == [
        (None, "queued"),
        ("queued", "assigned"),
        ("assigned", "resolved"),
        ("resolved", "bot"),
    ]
