"""The staff escalations API's request and response shapes (they also feed the OpenAPI document)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from kb.models import ConversationState, EscalationState, Sender
from kb.queue import View
from web.api.schemas import Input, PageInfo, PageQuery, Timestamp
from web.chat.schemas import Button

MAX_REPLY = 5000
MAX_NOTE = 5000
MAX_REASON = 500

# Requests


class EscalationListQuery(PageQuery):
    """Which escalations to list."""

    view: View = Field(
        "all",
        description="unassigned (waiting), mine (assigned to you), breached (a service level "
        "missed) or all (waiting or with someone); highest priority first.",
    )
    state: EscalationState | None = Field(
        None,
        description="Only escalations in this state (resolved and bot: most recent first). "
        "Combines with view mine, unassigned and breached.",
    )


class AgentReply(Input):
    """An agent's message to the customer."""

    text: str = Field(min_length=1, max_length=MAX_REPLY, description="Shown to the customer.")


class Resolution(Input):
    """How the escalation was resolved."""

    note: str = Field(
        "", max_length=MAX_NOTE, description="For the team; not shown to the customer."
    )


class Release(Input):
    """Why an agent puts an escalation back in the queue."""

    reason: str = Field("", max_length=MAX_REASON)


class NewNote(Input):
    """An internal note: the team sees it, the customer never does."""

    text: str = Field(min_length=1, max_length=MAX_NOTE)


# Responses


class AgentRef(BaseModel):
    """A member of the support team."""

    id: int
    name: str


class SlaClockOut(BaseModel):
    """The service level that counts now."""

    target: Literal["first_response", "resolution"]
    due: Timestamp
    seconds_left: float = Field(description="Negative when overdue.")
    breached: bool


class EscalationSummary(BaseModel):
    """An escalation as the queue shows it."""

    id: int
    conversation_id: str = Field(description="The conversation's public id.")
    state: EscalationState
    reason: str = Field(description="Why the bot handed over (docs/chat.md).")
    reason_detail: str
    summary: str = Field(description="What the customer wants and what the bot tried.")
    plan: str = Field(description="The customer's service plan.")
    priority: float = Field(description="Priority points now, waiting included (docs/desk.md).")
    waited_seconds: float = Field(description="Time in the queue (until picked up, if it was).")
    sla: SlaClockOut | None = Field(description="While queued or assigned: the clock that counts.")
    assigned_to: AgentRef | None
    customer_name: str | None = Field(description="Verified customers only.")
    queued_at: Timestamp
    assigned_at: Timestamp | None
    resolved_at: Timestamp | None


class EscalationPage(PageInfo):
    """A page of escalations."""

    items: list[EscalationSummary]


class ArticleRef(BaseModel):
    """An article a bot message pointed to."""

    ref: str = Field(description="Article slug, or community question id.")
    title: str
    source: str


class TranscriptMessage(BaseModel):
    """A message of the conversation, with what the bot understood of customer messages."""

    id: int
    sender: Sender
    text: str
    kind: str | None = Field(description="System messages: what it is (e.g. availability).")
    author: str | None = Field(description="Agent messages: the agent's display name.")
    payload: str | None = Field(description="Customer messages: the button pressed, if any.")
    buttons: list[Button]
    articles: list[ArticleRef]
    intent: str | None
    confidence: float | None
    tone: float | None = Field(description="VADER compound, −1 (angry) … 1 (happy).")
    created_at: Timestamp


class EventOut(BaseModel):
    """A change of state."""

    from_state: EscalationState | None
    to_state: EscalationState
    actor: str = Field(description="bot, system, customer or agent:<user id>.")
    reason: str
    at: Timestamp


class NoteOut(BaseModel):
    """An internal note."""

    id: int
    author: str | None
    text: str
    created_at: Timestamp


class CustomerOut(BaseModel):
    """The customer record the company's systems keep current."""

    external_id: str
    email: str | None
    name: str
    plan: str
    attributes: dict[str, Any]


class PastConversationOut(BaseModel):
    """One of the customer's other conversations and how it ended."""

    id: str = Field(description="The conversation's public id.")
    started_at: Timestamp
    state: ConversationState
    outcome: str = Field(description="bot, queued, assigned, resolved or handed_back.")
    reason: str
    agent: str | None
    resolution_note: str
    rating: int | None


class EscalationDetail(EscalationSummary):
    """An escalation with everything an agent needs on one screen."""

    priority_factors: dict[str, Any] = Field(description="How the fixed points were made up.")
    handoff: dict[str, Any] = Field(
        description="The bot's handoff payload: turns, articles tried, tone, details (docs/chat.md)."
    )
    email: str | None = Field(description="How to reach the customer by email, if known.")
    transcript: list[TranscriptMessage] = Field(description="Every message so far, oldest first.")
    events: list[EventOut]
    notes: list[NoteOut] = Field(description="Internal notes, never shown to the customer.")
    customer: CustomerOut | None
    previous_conversations: list[PastConversationOut] = Field(
        description="The customer's other conversations, newest first."
    )
    first_response_due: Timestamp | None
    resolution_due: Timestamp | None
    first_response_at: Timestamp | None
    resolution_note: str
    rating: int | None = Field(description="The customer's rating, 1–5, once given.")
    rating_comment: str
