"""The whole stack for end-to-end tests: demo data, action server, Rasa server and web app."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import select

from kb.db import make_engine, make_session_factory
from kb.models import Conversation, Escalation

TIER0 = str(Path(sys.executable).with_name("tier0"))


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_environment(folder: Path) -> dict[str, str]:
    """Environment variables of a data dir holding the migrated demo help centre (real model)."""
    env = {**os.environ, "TIER0_DATA_DIR": str(folder), "HF_HUB_OFFLINE": "1"}
    env.pop("TIER0_DATABASE_URL", None)
    for args in (["db", "upgrade"], ["demo"]):
        done = subprocess.run([TIER0, *args], env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
    return env


def http_json(
    method: str, url: str, body: dict[str, Any] | None = None, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    """Send a JSON request; returns the status and the decoded body (errors included)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


class Chat:
    """A customer's conversation through the chat API."""

    def __init__(self, base_url: str) -> None:
        """Start a conversation."""
        self.base_url = base_url
        status, body = http_json("POST", f"{base_url}/api/v1/conversations", {})
        assert status == 201, body
        self.id: str = body["id"]
        self.token: str = body["token"]
        self.state = "bot"

    def send(self, text: str | None = None, *, payload: str | None = None) -> list[dict[str, Any]]:
        """Send a message (or press a button); returns the new messages."""
        body = {"text": text} if text is not None else {"payload": payload}
        status, reply = http_json(
            "POST", f"{self.base_url}/api/v1/conversations/{self.id}/messages", body, self.token
        )
        assert status == 200, reply
        self.state = reply["state"]
        return list(reply["messages"])

    def history(self) -> list[dict[str, Any]]:
        """Every message of the conversation."""
        status, reply = http_json(
            "GET",
            f"{self.base_url}/api/v1/conversations/{self.id}/messages?after=0",
            None,
            self.token,
        )
        assert status == 200, reply
        return list(reply["messages"])


def escalation_of(env: dict[str, str], public_id: str) -> Escalation | None:
    """The newest escalation of a conversation, read from the stack's database."""
    folder = Path(env["TIER0_DATA_DIR"])
    engine = make_engine(f"sqlite:///{(folder / 'tier0.sqlite3').resolve()}")
    try:
        with make_session_factory(engine)() as session:
            return session.scalars(
                select(Escalation)
                .join(Conversation, Escalation.conversation_id == Conversation.id)
                .where(Conversation.public_id == public_id)
                .order_by(Escalation.id.desc())
            ).first()
    finally:
        engine.dispose()


def bot_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only the bot's messages."""
    return [m for m in messages if m["sender"] == "bot"]


def payloads(messages: list[dict[str, Any]]) -> list[str]:
    """Every button payload offered in these messages."""
    return [b["payload"] for m in messages for b in m.get("buttons") or []]
