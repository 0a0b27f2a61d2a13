"""The chat API's request and response shapes (pydantic models; they also feed the OpenAPI document)."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from kb.chat import MAX_EXTERNAL_ID, MAX_NAME, MAX_PAYLOAD, MAX_PLAN, MAX_TEXT
from kb.models import ConversationState, Sender
from web.api.schemas import Input, Timestamp

MAX_EMAIL = 254
MAX_START_TOKEN = 64
MAX_AFTER = 2**63 - 1
MAX_WAIT_SECONDS = 25
MAX_RATING_COMMENT = 2000
SIGNATURE_PATTERN = r"^[0-9a-fA-F]{64}$"


class Identity(Input):
    """Who the host site says the visitor is; trusted only with a valid signature."""

    external_id: str = Field(
        min_length=1, max_length=MAX_EXTERNAL_ID, description="The customer's id on the host site."
    )
    email: str | None = Field(None, max_length=MAX_EMAIL)
    name: str | None = Field(None, max_length=MAX_NAME)
    plan: str | None = Field(
        None, min_length=1, max_length=MAX_PLAN, description="A configured service plan key."
    )


class NewConversation(Input):
    """What a chat may start with; send ``{}`` for an anonymous chat."""

    identity: Identity | None = Field(
        None, description="A signed identity from the host site (needs ``signature``)."
    )
    signature: str | None = Field(
        None,
        pattern=SIGNATURE_PATTERN,
        description="Hex HMAC-SHA256 of the identity as canonical JSON (keys sorted, no spaces, "
        "UTF-8), made with the shared identity secret.",
    )
    start: str | None = Field(
        None,
        max_length=MAX_START_TOKEN,
        description="A chat start token from the help centre (the article or search the chat is "
        "about).",
    )


class NewMessage(Input):
    """A customer's message: typed ``text``, or the ``payload`` of a button they pressed."""

    text: str | None = Field(None, min_length=1, max_length=MAX_TEXT)
    payload: str | None = Field(
        None, min_length=2, max_length=MAX_PAYLOAD, pattern=r"^/", description="e.g. /affirm"
    )

    @model_validator(mode="after")
    def one_of_text_or_payload(self) -> NewMessage:
        """Exactly one of the two."""
        if self.text is None and self.payload is None:
            raise ValueError("Send 'text' (what the customer wrote) or 'payload' (a button's).")
        if self.text is not None and self.payload is not None:
            raise ValueError("Send either 'text' or 'payload', not both.")
        return self


class MessagesQuery(Input):
    """Which messages to return."""

    after: int = Field(
        0, ge=0, le=MAX_AFTER, description="Only messages with a higher id (the last id you have)."
    )
    wait: float = Field(
        0,
        ge=0,
        le=MAX_WAIT_SECONDS,
        description="Long polling: wait up to this many seconds for a message after ``after`` or a "
        "change of ``state`` (or of ``position``) before answering; 0 answers at once.",
    )
    state: ConversationState | None = Field(
        None, description="The state you last saw: a different state answers at once."
    )
    position: int | None = Field(
        None,
        ge=1,
        le=MAX_AFTER,
        description="The queue position you last saw: while queued, a new position answers too.",
    )


class NewRating(Input):
    """The customer's rating of the help they got from a person."""

    score: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent).")
    comment: str = Field("", max_length=MAX_RATING_COMMENT, description="Optional, in words.")


class ConversationCreated(BaseModel):
    """A new conversation: keep the token, it is the only way back in."""

    id: str = Field(description="The conversation's public id.")
    token: str = Field(description="Send as Authorization: Bearer <token>; shown only once.")


class Button(BaseModel):
    """A quick reply: show ``title``, send ``payload`` back when pressed."""

    title: str
    payload: str


class ArticleCard(BaseModel):
    """An article the message points to."""

    title: str
    url: str = Field(description="The article's page (absolute URL).")


class MessageOut(BaseModel):
    """One chat message."""

    id: int = Field(description="Grows with every message; page with ?after=<id>.")
    sender: Sender
    text: str
    buttons: list[Button]
    articles: list[ArticleCard]
    created_at: Timestamp
    kind: str | None = Field(
        None,
        description="System messages only: what the message is, e.g. availability, waiting, "
        "rating_request, handed_back; null otherwise.",
    )
    author: str | None = Field(
        None, description="Agent messages only: the agent's display name; null otherwise."
    )


class QueueInfo(BaseModel):
    """Where a waiting customer is in the queue."""

    position: int = Field(description="1 = next to be picked up.")
    estimated_wait_minutes: int = Field(description="A rough estimate, from the queue's pace.")
    agents_online: int = Field(description="People on the team working the queue right now.")


class MessageList(BaseModel):
    """Messages, oldest first, and who the conversation is with now."""

    messages: list[MessageOut]
    state: ConversationState = Field(
        description="bot; queued (waiting for a person); assigned (a person has it); resolved."
    )
    queue: QueueInfo | None = Field(
        None, description="While ``state`` is queued: the place in the queue; null otherwise."
    )


class RatingOut(BaseModel):
    """The rating as stored."""

    rating: int = Field(description="1–5.")
    comment: str
