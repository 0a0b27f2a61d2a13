"""Chat and handoff: customers, conversations, messages, escalations and the agent desk's records."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.models.base import Base, string_enum, utcnow
from kb.models.content import User


class ConversationState(enum.StrEnum):
    """Who answers a chat: the bot, nobody yet (waiting for a person), a person, or nobody (done)."""

    BOT = "bot"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class Sender(enum.StrEnum):
    """Who wrote a chat message."""

    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class EscalationState(enum.StrEnum):
    """Where a handed-over conversation is; ``bot`` once an agent handed it back to the bot."""

    QUEUED = "queued"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"
    BOT = "bot"


class Customer(Base):
    """A customer of the company using Tier0, known from a verified widget identity or an import."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120), default="")
    plan: Mapped[str] = mapped_column(String(32), default="free")
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Conversation(Base):
    """One chat between a website visitor and the bot or the support team.

    ``public_id`` names it in URLs; the visitor proves it is theirs with a token whose SHA-256
    is all that is stored.
    """

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str | None] = mapped_column(String(254))
    state: Mapped[ConversationState] = mapped_column(
        string_enum(ConversationState), default=ConversationState.BOT, index=True
    )
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    asked_email: Mapped[bool] = mapped_column(Boolean, default=False)
    handed_back: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_customer_message_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    customer: Mapped[Customer | None] = relationship(lazy="joined")


class Message(Base):
    """One chat message; ids only grow within a conversation, so clients page with ``after``."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_id_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    sender: Mapped[Sender] = mapped_column(string_enum(Sender))
    text: Mapped[str] = mapped_column(Text, default="")
    # A customer's button payload, or for system messages what the message is (e.g. "availability").
    payload: Mapped[str | None] = mapped_column(String(500))
    buttons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    articles: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column()
    tone: Mapped[float | None] = mapped_column()
    # The agent who wrote an agent message.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Escalation(Base):
    """A conversation handed to the support team, with everything the bot knew at that moment."""

    __tablename__ = "escalations"
    __table_args__ = (
        Index("ix_escalations_state_created_at", "state", "created_at"),
        Index("ix_escalations_state_priority_key", "state", "priority_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[EscalationState] = mapped_column(
        string_enum(EscalationState), default=EscalationState.QUEUED
    )
    reason: Mapped[str] = mapped_column(String(32))
    reason_detail: Mapped[str] = mapped_column(String(500), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    # The handoff payload under "handoff" and the transcript at handoff time under "transcript".
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    plan: Mapped[str] = mapped_column(String(32), default="free")
    assigned_to: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Priority (kb.priority): points from plan, urgency and tone, fixed when queued; the queue's
    # order is ``priority_key`` (points minus ageing × queued time), which waiting cannot reorder.
    priority_points: Mapped[float] = mapped_column(default=0.0)
    priority_key: Mapped[float] = mapped_column(default=0.0)
    priority_factors: Mapped[dict[str, Any]] = mapped_column(default=dict)
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Service levels (kb.sla): when the first reply and the resolution are due, when they happened,
    # and when each target was found missed (flagged once, for counts and the sla.breached webhook).
    first_response_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_response_breached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_breached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    conversation: Mapped[Conversation] = relationship()
    agent: Mapped[User | None] = relationship(lazy="joined")
    events: Mapped[list[EscalationEvent]] = relationship(
        back_populates="escalation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="EscalationEvent.id",
    )


class EscalationEvent(Base):
    """One change of an escalation's state: who (``bot``, ``system``, ``customer``, ``agent:<id>``),
    when and why."""

    __tablename__ = "escalation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[EscalationState | None] = mapped_column(string_enum(EscalationState))
    to_state: Mapped[EscalationState] = mapped_column(string_enum(EscalationState))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    escalation: Mapped[Escalation] = relationship(back_populates="events")


class EscalationNote(Base):
    """An agent's internal note on an escalation; never shown to the customer."""

    __tablename__ = "escalation_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    author: Mapped[User | None] = relationship(lazy="joined")


class CannedResponse(Base):
    """A reply agents reuse, with placeholders such as ``{customer.name}``; admins manage them."""

    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Webhook(Base):
    """An address told about escalation events, each delivery signed with the webhook's secret."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(128))
    events: Mapped[list[str]] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebhookDelivery(Base):
    """One event for one webhook: pending until delivered, retried with backoff, then failed."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    webhook: Mapped[Webhook] = relationship(lazy="joined")
