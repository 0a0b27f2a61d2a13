"""A fake Rasa server (a real HTTP server on a loopback port) and helpers for chat API tests.

The ``fake_rasa`` and ``chat_app`` fixtures in ``tests/web/conftest.py`` use it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer, make_server

Reply = list[dict[str, Any]]


class FakeRasa:
    """Answers POST /webhooks/rest/webhook with scripted replies and records every request.

    ``script(...)`` queues replies (a list of messages, or a callable taking the request body);
    once they run out it answers ``default``. ``status`` and ``delay`` force errors and timeouts.
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.default: Reply = [{"recipient_id": "x", "text": "Hello! How can I help?"}]
        self.status = 200
        self.delay = 0.0
        self.raw_body: bytes | None = None
        self._script: deque[Reply | Callable[[dict[str, Any]], Reply]] = deque()
        self._lock = threading.Lock()
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def script(self, *replies: Reply | Callable[[dict[str, Any]], Reply]) -> None:
        """Queue the next replies, in order."""
        self._script.extend(replies)

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """The WSGI app: record, wait, answer."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}")
        with self._lock:
            self.requests.append({"path": environ["PATH_INFO"], **body})
            scripted = self._script.popleft() if self._script else self.default
        if self.delay:
            time.sleep(self.delay)
        reply = scripted(body) if callable(scripted) else scripted
        payload = self.raw_body if self.raw_body is not None else json.dumps(reply).encode()
        status = "200 OK" if self.status == 200 else f"{self.status} Error"
        start_response(status, [("Content-Type", "application/json")])
        return [payload]


def free_port() -> int:
    """A loopback port nobody listens on (bound and released at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(
    client: FlaskClient, body: dict[str, Any] | None = None, **headers: str
) -> tuple[str, str]:
    """Start a conversation; its id and token."""
    response = client.post("/api/v1/conversations", json=body or {}, headers=headers)
    assert response.status_code == 201, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data["id"], data["token"]


def send(
    client: FlaskClient, conversation: str, token: str, **body: Any
) -> tuple[int, dict[str, Any]]:
    """POST a message; the status and the JSON body."""
    response = client.post(
        f"/api/v1/conversations/{conversation}/messages",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.status_code, response.get_json()


def read(client: FlaskClient, conversation: str, token: str, after: int = 0) -> dict[str, Any]:
    """GET the messages after an id (asserting 200)."""
    response = client.get(
        f"/api/v1/conversations/{conversation}/messages?after={after}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def said(body: dict[str, Any], sender: str | None = None) -> list[str]:
    """The texts of the messages in a response, optionally from one sender."""
    return [m["text"] for m in body["messages"] if sender is None or m["sender"] == sender]


HANDOFF = {
    "reason": "failed_answers",
    "reason_detail": "",
    "summary": "Customer wants a refund for a damaged jacket; two articles did not help.",
    "turns": [
        {"text": "refund", "intent": "ask_question", "confidence": 0.9, "tone": -0.2, "at": "x"}
    ],
    "articles": [
        {
            "ref": "how-to-return-an-item",
            "title": "How to return",
            "source": "official",
            "feedback": "not_helpful",
        }
    ],
    "tone": {"latest": -0.2, "average": -0.1, "trend": "worsening"},
    "details": {"order_number": "A123"},
    "ask_email": True,
}


def handoff_reply(**changes: Any) -> Reply:
    """What the bot answers when it hands over (the short line, then the payload)."""
    return [
        {"recipient_id": "x", "text": "I'm bringing in a person from our team."},
        {"recipient_id": "x", "custom": {"handoff": {**HANDOFF, **changes}}},
    ]
