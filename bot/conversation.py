"""A conversation as the actions see it, read from a Rasa tracker's events and slots.

Everything here is plain data: :func:`read_conversation` takes the tracker's ``events``, ``slots``
and ``latest_message`` (as rasa-sdk hands them over) and :class:`Reply` collects what an action
says and which slots it sets, so the decisions can be tested without Rasa.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

Feedback = str  # "helpful" | "not_helpful" | "none"

NOT_QUESTIONS = frozenset(
    {"affirm", "deny", "greet", "goodbye", "thanks", "choose_article", "request_human"}
)
"""Intents whose messages are never a support question (for repeat detection)."""

OFFER_REASONS = {
    "action_answer": "no_answer",
    "action_feedback": "failed_answers",
    "action_frustration": "negative_tone",
    "action_out_of_scope": "no_answer",
}
"""Why a person was offered, by the action that offered it (the reason if the customer accepts)."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One customer message: what was said, how the NLU read it, its tone and when."""

    text: str
    intent: str = ""
    confidence: float = 0.0
    tone: float | None = None
    at: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def typed(self) -> bool:
        """Typed by the customer, not a button payload such as ``/affirm``."""
        return not self.text.startswith("/")

    @property
    def handed_back(self) -> bool:
        """The first message after an agent handed the conversation back to the bot."""
        return bool(self.metadata.get("handed_back"))

    def as_dict(self) -> dict[str, Any]:
        """The turn as a handoff payload lists it."""
        return {
            "text": self.text,
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "tone": self.tone if self.tone is not None else 0.0,
            "at": self.at,
        }


@dataclass(frozen=True, slots=True)
class State:
    """The slots the actions keep (docs/chat.md, "Actions and slots")."""

    question: str = ""
    candidates: tuple[str, ...] = ()
    candidate_index: int = 0
    awaiting_feedback: bool = False
    failures: int = 0
    shown: tuple[Mapping[str, str], ...] = ()
    handoff_offered: bool = False
    handed_over: bool = False

    @classmethod
    def from_slots(cls, slots: Mapping[str, Any]) -> State:
        """Read the slots, tolerating unset (None) and oddly typed values."""
        candidates = slots.get("candidates") or []
        shown = slots.get("shown") or []
        return cls(
            question=str(slots.get("question") or ""),
            candidates=tuple(str(c) for c in candidates if isinstance(c, str | int)),
            candidate_index=int(slots.get("candidate_index") or 0),
            awaiting_feedback=bool(slots.get("awaiting_feedback")),
            failures=int(slots.get("failures") or 0),
            shown=tuple(dict(s) for s in shown if isinstance(s, Mapping) and "ref" in s),
            handoff_offered=bool(slots.get("handoff_offered")),
            handed_over=bool(slots.get("handed_over")),
        )

    @property
    def current(self) -> str | None:
        """The ref of the article whose answer awaits feedback (or was shown last)."""
        if 0 <= self.candidate_index < len(self.candidates):
            return self.candidates[self.candidate_index]
        return None

    def article(self, ref: str) -> Mapping[str, str] | None:
        """The shown article with ``ref``, if it was shown."""
        return next((s for s in self.shown if s["ref"] == ref), None)


def show(
    shown: Sequence[Mapping[str, str]], articles: Sequence[Mapping[str, str]]
) -> list[dict[str, str]]:
    """``shown`` plus ``articles`` (ref, title, source) not shown before, feedback ``none``."""
    result = [dict(s) for s in shown]
    known = {s["ref"] for s in result}
    for article in articles:
        if article["ref"] not in known:
            known.add(article["ref"])
            result.append({**article, "feedback": "none"})
    return result


def with_feedback(
    shown: Sequence[Mapping[str, str]], ref: str, feedback: Feedback
) -> list[dict[str, str]]:
    """``shown`` with the customer's feedback on ``ref`` recorded."""
    return [{**s, "feedback": feedback} if s["ref"] == ref else dict(s) for s in shown]


@dataclass(frozen=True)
class Conversation:
    """The customer's turns, the slots, and what the latest message carried."""

    turns: tuple[Turn, ...]
    state: State = field(default_factory=State)
    entities: tuple[Mapping[str, Any], ...] = ()
    offer: str | None = None
    """If the bot offered a person in reply to the previous message: why (see OFFER_REASONS)."""
    sender: str = ""
    """Who the conversation is with, as Rasa knows it (web sends the conversation's public id)."""

    @property
    def latest(self) -> Turn:
        """The message being answered (an empty turn if there is none)."""
        return self.turns[-1] if self.turns else Turn(text="")

    @property
    def handed_back(self) -> bool:
        """The latest message is the first after an agent handed the conversation back."""
        return self.latest.handed_back

    @property
    def recent(self) -> tuple[Turn, ...]:
        """The turns since the conversation was last handed back to the bot (all if never)."""
        starts = [i for i, turn in enumerate(self.turns) if turn.handed_back]
        return self.turns[starts[-1] :] if starts else self.turns

    @property
    def customer(self) -> Mapping[str, Any]:
        """What web knows of the customer (``metadata.customer`` of the newest turn with it)."""
        for turn in reversed(self.turns):
            customer = turn.metadata.get("customer")
            if isinstance(customer, Mapping):
                return customer
        return {}

    @property
    def context(self) -> Mapping[str, Any]:
        """Where the chat was opened from (``metadata.context``, sent with the first message)."""
        for turn in self.turns:
            context = turn.metadata.get("context")
            if isinstance(context, Mapping):
                return context
        return {}

    def entity(self, name: str) -> str | None:
        """The first value of entity ``name`` in the latest message."""
        for entity in self.entities:
            if entity.get("entity") == name and entity.get("value") is not None:
                return str(entity["value"])
        return None

    def with_state(self, **changes: Any) -> Conversation:
        """The same conversation with some slots changed."""
        return replace(self, state=replace(self.state, **changes))


def iso_time(timestamp: object) -> str:
    """An event's UNIX timestamp as an ISO 8601 UTC time ("" when missing)."""
    if not isinstance(timestamp, int | float):
        return ""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def _turn(event: Mapping[str, Any], tone: Callable[[str], float]) -> Turn:
    """A user event as a Turn."""
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    text = str(event.get("text") or parse.get("text") or "")
    metadata = event.get("metadata") or parse.get("metadata") or {}
    return Turn(
        text=text,
        intent=str(intent.get("name") or ""),
        confidence=float(intent.get("confidence") or 0.0),
        tone=None if text.startswith("/") else tone(text),
        at=iso_time(event.get("timestamp")),
        metadata=metadata if isinstance(metadata, Mapping) else {},
    )


def _offer(events: Sequence[Mapping[str, Any]]) -> str | None:
    """Why a person was offered between the previous customer message and the latest one."""
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if not users:
        return None
    start = users[-2] if len(users) > 1 else 0
    action, offer = "", None
    for event in events[start : users[-1]]:
        if event.get("event") == "action":
            action = str(event.get("name") or "")
        elif event.get("event") == "slot" and event.get("name") == "handoff_offered":
            offer = OFFER_REASONS.get(action, "customer_request") if event.get("value") else None
    return offer


def read_conversation(
    events: Sequence[Mapping[str, Any]],
    slots: Mapping[str, Any],
    latest_message: Mapping[str, Any] | None = None,
    *,
    tone: Callable[[str], float],
    sender: str = "",
) -> Conversation:
    """Read a tracker's data; ``tone`` scores each typed customer message."""
    turns = [_turn(e, tone) for e in events if e.get("event") == "user"]
    latest = latest_message or {}
    if latest.get("text") and not turns:
        turns.append(_turn({"text": latest["text"], "parse_data": latest}, tone))
    if turns and isinstance(latest.get("metadata"), Mapping) and latest["metadata"]:
        turns[-1] = replace(turns[-1], metadata={**turns[-1].metadata, **latest["metadata"]})
    entities = latest.get("entities") or []
    return Conversation(
        turns=tuple(turns),
        state=State.from_slots(slots),
        entities=tuple(e for e in entities if isinstance(e, Mapping)),
        offer=_offer(events),
        sender=sender,
    )


@dataclass
class Reply:
    """What an action says (``utter_message`` arguments, in order) and the slots it sets."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)

    def say(self, text: str, buttons: Sequence[Mapping[str, str]] = ()) -> Reply:
        """Add a text message, with quick-reply buttons if given."""
        message: dict[str, Any] = {"text": text}
        if buttons:
            message["buttons"] = [dict(b) for b in buttons]
        self.messages.append(message)
        return self

    def attach(self, data: Mapping[str, Any]) -> Reply:
        """Add a custom payload (article cards, a handoff) for the message before it."""
        self.messages.append({"json_message": dict(data)})
        return self

    def set(self, **slots: Any) -> Reply:
        """Set slots (later calls win)."""
        self.slots.update(slots)
        return self
