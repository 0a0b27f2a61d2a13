"""A stand-in for the chat API inside the browser: Playwright answers ``/api/v1/conversations…`` itself.

It follows the contract in docs/chat.md (201 ``{"id", "token"}``; ``{"messages", "state", "queue"}``; 403
for a wrong token, 404 for an unknown id, 400 with a reason, 429) with a tiny scripted bot, so the widget can
be tested before and independently of the real chat API and Rasa. Tests can hold replies (to see the typing
indicator), make the next post fail, have an agent write, move the queue, and resolve the chat. Long polls
(``wait``) are held until there is news for them, as the real API does (without its time limit).
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Error, Page, Request, Route

API = re.compile(r"/api/v1/conversations(?:/(?P<id>[^/?]+)/(?P<what>messages|rating))?/?(?:\?.*)?$")
MAX_TEXT = 2000


@dataclass
class Conversation:
    """One stubbed conversation."""

    id: str
    token: str
    body: dict[str, Any]
    state: str = "bot"
    messages: list[dict[str, Any]] = field(default_factory=list)
    queue: dict[str, int] | None = None
    ratings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ChatStub:
    """The chat API, answered inside the browser; ``origin`` is where the widget thinks the API is."""

    origin: str
    conversations: dict[str, Conversation] = field(default_factory=dict)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    fail_next: str | int | None = None  # the next POST fails: "network" or a status
    fail_polls: int = 0  # this many long polls answer 503
    hold: bool = False
    held: list[tuple[Route, Request]] = field(default_factory=list)
    polls: list[tuple[Route, Request, Conversation]] = field(default_factory=list)
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

    def agent_says(self, text: str, author: str | None = None) -> None:
        """An agent writes in the conversation (it is then assigned)."""
        conversation = self.only
        conversation.state = "assigned"
        self._add(conversation, "agent", text, author=author)
        self._wake()

    def queue_moves(self, position: int, minutes: int, online: int = 1) -> None:
        """The waiting customer's place in the queue changes."""
        self.only.queue = {
            "position": position,
            "estimated_wait_minutes": minutes,
            "agents_online": online,
        }
        self._wake()

    def resolve(self) -> None:
        """The agent resolves the chat: the customer is asked for a rating."""
        conversation = self.only
        conversation.state = "resolved"
        self._add(
            conversation,
            "system",
            "How did we do? Please rate this conversation from 1 to 5.",
            kind="rating_request",
        )
        self._wake()

    def long_polls(self) -> list[str]:
        """URLs of the GETs that asked to wait."""
        return [url for method, url, _ in self.calls if method == "GET" and "wait=" in url]

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
        if self.fail_polls and request.method == "GET" and "wait=" in request.url:
            self.fail_polls -= 1
            self._reply(route, request, 503, _error(503, "Stubbed outage."))
            return
        if self.fail_next is not None and request.method == "POST":
            failure, self.fail_next = self.fail_next, None
            if failure == "network":
                route.abort("internetdisconnected")
            else:
                self._reply(route, request, int(failure), _error(int(failure), "Stubbed failure."))
            return
        conversation = self._waiting_for_news(request)
        if conversation is not None:
            self.polls.append((route, request, conversation))
            return
        status, payload = self._answer(request, body)
        self._reply(route, request, status, payload)
        if request.method == "POST":
            self._wake()

    def _waiting_for_news(self, request: Request) -> Conversation | None:
        """The conversation a long poll must wait on, or None when it can be answered now."""
        match = API.search(urlparse(request.url).path)
        query = parse_qs(urlparse(request.url).query)
        if request.method != "GET" or match is None or not match["id"] or "wait" not in query:
            return None
        conversation = self.conversations.get(match["id"])
        if conversation is None:
            return None
        # Asking Playwright for the headers lets other handlers and the test run meanwhile, so the
        # news is looked at after it, just before the poll is parked.
        if request.all_headers().get("authorization") != f"Bearer {conversation.token}":
            return None
        return None if self._news(conversation, query) else conversation

    @staticmethod
    def _news(conversation: Conversation, query: dict[str, list[str]]) -> bool:
        """Whether a long poll with this query has something to answer."""
        after = int(query.get("after", ["0"])[0])
        if any(message["id"] > after for message in conversation.messages):
            return True
        if "state" in query and query["state"][0] != conversation.state:
            return True
        position = (conversation.queue or {}).get("position")
        return "position" in query and str(position) != query["position"][0]

    def _wake(self) -> None:
        """Answer the held long polls that have news now."""
        waiting, self.polls = self.polls, []
        for route, request, conversation in waiting:
            if not self._news(conversation, parse_qs(urlparse(request.url).query)):
                self.polls.append((route, request, conversation))
                continue
            status, payload = self._answer(request, None)
            with contextlib.suppress(Error):  # the page went away (a reload) while it waited
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
        if match["what"] == "rating":
            return self._rate(conversation, body or {})
        if request.method == "GET":
            after = int(parse_qs(urlparse(request.url).query).get("after", ["0"])[0])
            fresh = [message for message in conversation.messages if message["id"] > after]
            return 200, self._list(conversation, fresh)
        return self._post_message(conversation, body or {})

    @staticmethod
    def _list(conversation: Conversation, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The body of a message list."""
        queue = conversation.queue if conversation.state == "queued" else None
        return {"messages": messages, "state": conversation.state, "queue": queue}

    @staticmethod
    def _rate(conversation: Conversation, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """A rating: only once the chat was resolved."""
        if conversation.state not in ("resolved", "bot"):
            return 409, _error(409, "There is nothing to rate yet.")
        score = body.get("score")
        if not isinstance(score, int) or not 1 <= score <= 5:
            return 400, _error(400, "'score' must be 1 to 5.", {"score": "1 to 5"})
        conversation.ratings.append(body)
        return 200, {"rating": score, "comment": str(body.get("comment", ""))}

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
        return 200, self._list(conversation, fresh)

    def _bot(self, conversation: Conversation, text: str) -> None:
        """The scripted assistant."""
        if text == "/request_human":
            self._add(conversation, "bot", "I'm bringing in a person from our team.")
            self._add(
                conversation,
                "system",
                "Our team replies within 4 business hours.",
                kind="availability",
            )
            conversation.state = "queued"
            conversation.queue = {"position": 3, "estimated_wait_minutes": 12, "agents_online": 2}
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
                "kind": extra.get("kind"),
                "author": extra.get("author"),
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
