"""A stand-in for the chat API inside the browser: Playwright answers ``/api/v1/conversations…`` itself.

It follows the contract in docs/chat.md (201 ``{"id", "token"}``; ``{"messages", "state"}``; 403 for a
wrong token, 404 for an unknown id, 400 with a reason, 429) with a tiny scripted bot, so the widget can be
tested before and independently of the real chat API and Rasa. Tests can hold replies (to see the typing
indicator), make the next call fail, and have an agent write.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, Request, Route

API = re.compile(r"/api/v1/conversations(?:/(?P<id>[^/?]+)/messages)?/?(?:\?.*)?$")
MAX_TEXT = 2000


@dataclass
class Conversation:
    """One stubbed conversation."""

    id: str
    token: str
    body: dict[str, Any]
    state: str = "bot"
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ChatStub:
    """The chat API, answered inside the browser; ``origin`` is where the widget thinks the API is."""

    origin: str
    conversations: dict[str, Conversation] = field(default_factory=dict)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    fail_next: str | int | None = None
    hold: bool = False
    held: list[tuple[Route, Request]] = field(default_factory=list)
    _next_id: int = 0

    def install(self, page: Page) -> ChatStub:
        """Answer the page's chat API calls from now on."""
        page.route(re.compile(re.escape(self.origin) + r"/api/v1/conversations.*"), self.handle)
        return self

    # what tests look at and do

    @property
    def only(self) -> Conversation:
        """The single conversation a test started."""
        assert len(self.conversations) == 1, list(self.conversations)
        return next(iter(self.conversations.values()))

    def posted(self) -> list[Any]:
        """Bodies of the messages posted, in order."""
        return [
            body for method, path, body in self.calls if method == "POST" and "/messages" in path
        ]

    def agent_says(self, text: str) -> None:
        """An agent writes in the conversation (it is then assigned)."""
        conversation = self.only
        conversation.state = "assigned"
        self._add(conversation, "agent", text)

    def release(self) -> None:
        """Answer the replies that were held back."""
        self.hold = False
        held, self.held = self.held, []
        for route, request in held:
            self.handle(route, request)

    # the API

    def handle(self, route: Route, request: Request) -> None:
        """Answer one call the way the real chat API would."""
        if request.method == "OPTIONS":
            route.fulfill(status=204, headers=self._cors(request))
            return
        body = request.post_data_json if request.post_data else None
        self.calls.append((request.method, request.url, body))
        if self.hold and request.method == "POST" and "/messages" in request.url:
            self.held.append((route, request))
            return
        if self.fail_next is not None:
            failure, self.fail_next = self.fail_next, None
            if failure == "network":
                route.abort("internetdisconnected")
            else:
                self._reply(route, request, int(failure), _error(int(failure), "Stubbed failure."))
            return
        status, payload = self._answer(request, body)
        self._reply(route, request, status, payload)

    def _answer(self, request: Request, body: Any) -> tuple[int, dict[str, Any]]:
        """Status and JSON body for one call."""
        match = API.search(urlparse(request.url).path)
        if match is None:
            return 404, _error(404, "No such endpoint.")
        if match["id"] is None:
            if request.method != "POST":
                return 405, _error(405, "Use POST.")
            body = body or {}
            if body.get("identity") and body.get("signature") != "good-signature":
                return 403, _error(403, "The identity's signature does not match.")
            if body.get("start") == "expired":
                message = "That chat link has expired or is mistyped."
                return 400, _error(400, message, {"start": message})
            created = Conversation(
                id=str(len(self.conversations) + 1), token=secrets.token_hex(8), body=body
            )
            self.conversations[created.id] = created
            return 201, {"id": created.id, "token": created.token}
        conversation = self.conversations.get(match["id"])
        if conversation is None:
            return 404, _error(404, "That conversation does not exist.")
        if request.all_headers().get("authorization") != f"Bearer {conversation.token}":
            return 403, _error(403, "That token is not for this conversation.")
        if request.method == "GET":
            after = int(parse_qs(urlparse(request.url).query).get("after", ["0"])[0])
            fresh = [message for message in conversation.messages if message["id"] > after]
            return 200, {"messages": fresh, "state": conversation.state}
        return self._post_message(conversation, body or {})

    def _post_message(
        self, conversation: Conversation, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Store the customer's message and the scripted bot's replies."""
        text = str(body.get("payload") or body.get("text") or "").strip()
        if not text:
            return 400, _error(400, "The message is empty: write something first.")
        if len(text) > MAX_TEXT:
            return 400, _error(400, "Messages can be at most 2000 characters.")
        first = self._next_id + 1
        self._add(conversation, "customer", text)
        if conversation.state == "bot":
            self._bot(conversation, text)
        fresh = [message for message in conversation.messages if message["id"] >= first]
        return 200, {"messages": fresh, "state": conversation.state}

    def _bot(self, conversation: Conversation, text: str) -> None:
        """The scripted assistant."""
        if text == "/request_human":
            self._add(conversation, "bot", "I'm bringing in a person from our team.")
            self._add(conversation, "system", "Our team replies within 4 business hours.")
            conversation.state = "queued"
        elif text == "/affirm":
            self._add(conversation, "bot", "Great — glad that helped!")
        elif "return" in text.lower():
            self._add(
                conversation,
                "bot",
                "You can return unworn items within 30 days for a full refund.",
                articles=[
                    {"title": "How to return an item", "url": "/articles/how-to-return-an-item"}
                ],
            )
            self._add(
                conversation,
                "bot",
                "Did that answer your question?",
                buttons=[
                    {"title": "Yes, thanks", "payload": "/affirm"},
                    {"title": "No", "payload": "/deny"},
                ],
            )
        else:
            self._add(conversation, "bot", f"You said: {text}")

    def _add(self, conversation: Conversation, sender: str, text: str, **extra: Any) -> None:
        """Append one message."""
        self._next_id += 1
        conversation.messages.append(
            {
                "id": self._next_id,
                "sender": sender,
                "text": text,
                "buttons": extra.get("buttons", []),
                "articles": [
                    {"title": a["title"], "url": self.origin + a["url"]}
                    for a in extra.get("articles", [])
                ],
                "created_at": datetime.now(UTC).isoformat(),
            }
        )

    def _reply(self, route: Route, request: Request, status: int, payload: dict[str, Any]) -> None:
        """Fulfil with JSON and the CORS headers a cross-origin widget needs."""
        route.fulfill(
            status=status,
            headers={**self._cors(request), "Content-Type": "application/json"},
            body=json.dumps(payload),
        )

    def _cors(self, request: Request) -> dict[str, str]:
        """CORS headers for the page's origin."""
        return {
            "Access-Control-Allow-Origin": request.headers.get("origin", "*"),
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Authorization, Content-Type",
        }


def _error(status: int, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    """The API's error body."""
    detail: dict[str, Any] = {"status": status, "message": message}
    if fields is not None:
        detail["fields"] = fields
    return {"error": detail}
