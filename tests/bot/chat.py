"""Helpers for action tests: tracker events built from data, a stub knowledge base, running actions."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import AssistantAction
from bot.conversation import Conversation, read_conversation
from bot.tone import score
from kb.documents import PassageKind, Source
from kb.results import Decision, SearchHit, SearchResult

START = 1_750_000_000.0


class Clock:
    """Event timestamps one second apart."""

    def __init__(self) -> None:
        """Start at a fixed time."""
        self.now = START

    def tick(self) -> float:
        """The next timestamp."""
        self.now += 1.0
        return self.now


_clock = Clock()


def user(
    text: str,
    intent: str | None = None,
    *,
    confidence: float = 0.95,
    metadata: Mapping[str, Any] | None = None,
    entities: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A customer message; a ``/intent{...}`` payload sets the intent and entities itself."""
    entities = list(entities)
    if intent is None:
        match = re.fullmatch(r"/(\w+)(\{.*\})?", text)
        if match:
            intent = match.group(1)
            data = json.loads(match.group(2)) if match.group(2) else {}
            entities += [{"entity": k, "value": v} for k, v in data.items()]
        else:
            intent = "ask_question"
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities,
        "metadata": dict(metadata or {}),
    }
    return {
        "event": "user",
        "timestamp": _clock.tick(),
        "text": text,
        "parse_data": parse,
        "metadata": dict(metadata or {}),
        "input_channel": "rest",
    }


def action(name: str) -> dict[str, Any]:
    """An action started."""
    return {"event": "action", "timestamp": _clock.tick(), "name": name}


def bot(text: str) -> dict[str, Any]:
    """A bot message."""
    return {"event": "bot", "timestamp": _clock.tick(), "text": text, "data": {}}


def slot(name: str, value: Any) -> dict[str, Any]:
    """A slot set."""
    return {"event": "slot", "timestamp": _clock.tick(), "name": name, "value": value}


def tracker(events: Sequence[Mapping[str, Any]], slots: Mapping[str, Any] | None = None) -> Tracker:
    """A tracker as the action server builds it: slots from the slot events unless given."""
    events = [dict(e) for e in events]
    if slots is None:
        slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    users = [e for e in events if e["event"] == "user"]
    latest = users[-1]["parse_data"] if users else {}
    return Tracker.from_dict(
        {"sender_id": "test", "slots": dict(slots), "latest_message": latest, "events": events}
    )


def conversation(*events: Mapping[str, Any], **slots: Any) -> Conversation:
    """A Conversation read from events (and slots, if given)."""
    t = tracker(events, slots or None)
    return read_conversation(t.events, t.slots, t.latest_message, tone=score)


@dataclass
class Ran:
    """What an action did: its messages and the slots it set."""

    messages: list[dict[str, Any]]
    events: list[dict[str, Any]]

    @property
    def slots(self) -> dict[str, Any]:
        """The slots the action set."""
        return {e["name"]: e["value"] for e in self.events if e["event"] == "slot"}

    @property
    def texts(self) -> list[str]:
        """Texts of the messages."""
        return [m["text"] for m in self.messages if m.get("text")]

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """All buttons sent."""
        return [b for m in self.messages for b in m.get("buttons") or []]

    @property
    def custom(self) -> list[dict[str, Any]]:
        """The custom payloads sent."""
        return [m["custom"] for m in self.messages if m.get("custom")]

    @property
    def handoff(self) -> dict[str, Any] | None:
        """The handoff payload, if the action handed over."""
        return next((c["handoff"] for c in self.custom if "handoff" in c), None)


def run(act: AssistantAction, events: Sequence[Mapping[str, Any]], **slots: Any) -> Ran:
    """Run an action on a tracker of ``events`` with a real CollectingDispatcher."""
    dispatcher = CollectingDispatcher()
    t = tracker(events, slots or None)
    out = asyncio.run(act.run(dispatcher, t, {}))
    return Ran(dispatcher.messages, out)


def after(ran: Ran, name: str) -> list[dict[str, Any]]:
    """The events Rasa records for an action run: the action, its messages and its slots."""
    return [action(name), *(bot(t) for t in ran.texts), *(slot(k, v) for k, v in ran.slots.items())]


def hit(
    ref: str,
    title: str,
    snippet: str,
    *,
    source: Source = Source.OFFICIAL,
    kind: PassageKind = PassageKind.BODY,
    score: float = 1.0,
) -> SearchHit:
    """A search hit."""
    prefix = "article" if source == Source.OFFICIAL else "question"
    return SearchHit(
        key=f"{prefix}:{ref}",
        ref=ref,
        title=title,
        source=source,
        category=None,
        status="published",
        score=score,
        dense_score=score,
        keyword_score=0.0,
        snippet=snippet,
        passage_kind=kind,
    )


def result(query: str, decision: Decision, confidence: float, *hits: SearchHit) -> SearchResult:
    """A search result."""
    return SearchResult(query, list(hits), confidence, decision, None, len(hits))


RETURNS = hit("how-to-return-an-item", "How to return an item", "Start a return in My Account .")
REFUNDS = hit("when-will-i-get-my-refund", "When will I get my refund?", "Refunds take 5–10 days.")
LABELS = hit("return-labels", "Return labels", "Print the prepaid label.")
SHIPPING = hit("shipping-options", "Shipping options", "Standard delivery takes 3–5 days.")
ABROAD = hit("international-shipping", "International shipping", "We ship to Canada and the EU.")


@dataclass
class StubKnowledge:
    """A knowledge base of canned results: unknown queries find nothing."""

    results: dict[str, SearchResult] = field(default_factory=dict)
    searches: list[str] = field(default_factory=list)
    confirmed: list[tuple[str, str]] = field(default_factory=list)
    events: list[tuple[str, str, str]] = field(default_factory=list)

    def search(self, query: str, *, limit: int = 10) -> SearchResult:
        """The canned result for ``query``."""
        self.searches.append(query)
        found = self.results.get(query.lower())
        if found is None:
            return result(query, Decision.HANDOVER, 0.05)
        return SearchResult(
            found.query, found.hits[:limit], found.confidence, found.decision, None, found.total
        )

    def confirm_resolution(self, *, ref: str, question: str) -> bool:
        """Remember the confirmation."""
        self.confirmed.append((ref, question))
        return True

    def record_event(self, *, ref: str, kind: str, conversation_ref: str = "") -> None:
        """Remember the article event."""
        self.events.append((kind, ref, conversation_ref))


def stub() -> StubKnowledge:
    """A stub with a few canned questions."""
    return StubKnowledge(
        {
            "how do i return an item?": result(
                "how do i return an item?", Decision.ANSWER, 0.9, RETURNS, LABELS, REFUNDS
            ),
            "refund": result("refund", Decision.SUGGEST, 0.45, REFUNDS, RETURNS, LABELS, SHIPPING),
            "how long does shipping take?": result(
                "how long does shipping take?", Decision.ANSWER, 0.8, SHIPPING, ABROAD
            ),
            "what about international orders?": result(
                "what about international orders?", Decision.SUGGEST, 0.4, ABROAD
            ),
            "how long does shipping take? what about international orders?": result(
                "…", Decision.ANSWER, 0.85, ABROAD, SHIPPING
            ),
        }
    )
