"""A desk of its own for staff API and live-delivery tests: an empty database, a fake bot, an app.

The queue is shared by everything in a database, so these tests get a fresh one per module
instead of the demo database other modules fill with their own escalations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.escalations import latest_escalation
from kb.knowledge_base import KnowledgeBase
from kb.models import Conversation
from tests.web.chat_helpers import FakeRasa, handoff_reply, send, start
from tests.web.conftest import build_app
from tests.web.kbs import fresh_kb


@dataclass(frozen=True)
class Desk:
    """The app, its knowledge base and its fake Rasa server."""

    kb: KnowledgeBase
    app: Flask
    rasa: FakeRasa


@dataclass(frozen=True)
class Waiting:
    """A customer's conversation handed to the team."""

    conversation: str
    token: str
    escalation: int

    @property
    def headers(self) -> dict[str, str]:
        """The customer's bearer header."""
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def messages_url(self) -> str:
        """The customer's messages endpoint."""
        return f"/api/v1/conversations/{self.conversation}/messages"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """An app (CSRF on, as in production) on a fresh, empty database with a fake bot."""
    kb = fresh_kb(tmp_path_factory.mktemp("desk"), content=(), index=False)
    rasa = FakeRasa()
    app = build_app(kb, rasa_url=rasa.url, bot_timeout_seconds=2)
    yield Desk(kb, app, rasa)
    rasa.close()
    kb.close()


def escalate_chat(
    desk: Desk, client: FlaskClient, text: str = "My refund never arrived", **handoff: Any
) -> Waiting:
    """A new conversation whose first message the bot hands to the team (queued)."""
    conversation, token = start(client)
    desk.rasa.script(handoff_reply(**handoff))
    status, body = send(client, conversation, token, text=text)
    assert status == 200, body
    assert body["state"] == "queued", body
    with desk.kb.sessions() as session:
        row = session.scalar(select(Conversation).where(Conversation.public_id == conversation))
        assert row is not None
        escalation = latest_escalation(session=session, conversation=row)
        assert escalation is not None
        return Waiting(conversation, token, escalation.id)
