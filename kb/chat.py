"""Conversations, their messages and the customers behind them: the chat's system of record.

Functions take the session explicitly and flush; the caller commits. Adding a message first
updates its conversation's row, which locks that row until the transaction ends: messages of one
conversation are therefore committed in id order, so a client that pages with ``after`` never
misses one that was still being written.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kb.accounts import is_email, normalise_email
from kb.models import Conversation, Customer, Message, Sender, utcnow

MAX_TEXT = 2000
MAX_PAYLOAD = 500
MAX_EXTERNAL_ID = 200
MAX_NAME = 120
MAX_PLAN = 32
PAGE_SIZE = 100
_PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{16,32}")


class ChatError(ValueError):
    """A message or customer record the chat cannot take; the message says what is wrong."""


class ConversationNotFound(LookupError):
    """No conversation has that id."""


class WrongToken(PermissionError):
    """The token does not belong to the conversation."""


@dataclass(frozen=True, slots=True)
class NewConversation:
    """A conversation just started, and the token that proves it is yours (shown only once)."""

    conversation: Conversation
    token: str


def hash_token(token: str) -> str:
    """The SHA-256 of a conversation token, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_conversation(
    *,
    session: Session,
    customer: Customer | None = None,
    context: dict[str, Any] | None = None,
) -> NewConversation:
    """Open a conversation with the bot; only the hash of its new random token is kept."""
    token = secrets.token_urlsafe(32)
    conversation = Conversation(
        public_id=secrets.token_urlsafe(16),
        token_hash=hash_token(token),
        customer_id=customer.id if customer is not None else None,
        context=dict(context or {}),
    )
    session.add(conversation)
    session.flush()
    return NewConversation(conversation, token)


def get_conversation(*, session: Session, public_id: str) -> Conversation:
    """The conversation with this public id; raises ConversationNotFound."""
    conversation = None
    if isinstance(public_id, str) and _PUBLIC_ID.fullmatch(public_id):
        conversation = session.scalar(
            select(Conversation).where(Conversation.public_id == public_id)
        )
    if conversation is None:
        raise ConversationNotFound(f"no conversation with id {public_id!r}")
    return conversation


def open_conversation(*, session: Session, public_id: str, token: str | None) -> Conversation:
    """The conversation, if ``token`` is its token; raises ConversationNotFound or WrongToken."""
    conversation = get_conversation(session=session, public_id=public_id)
    if not token or not hmac.compare_digest(hash_token(token), conversation.token_hash):
        raise WrongToken("that token does not open this conversation")
    return conversation


def lock_conversation(*, session: Session, conversation: Conversation) -> Conversation:
    """Lock the conversation's row until the transaction ends, and reload its current state."""
    conversation.updated_at = utcnow()
    session.flush()
    session.refresh(conversation)
    return conversation


def add_message(
    *,
    session: Session,
    conversation: Conversation,
    sender: Sender,
    text: str = "",
    payload: str | None = None,
    buttons: Sequence[dict[str, Any]] = (),
    articles: Sequence[dict[str, Any]] = (),
    intent: str | None = None,
    confidence: float | None = None,
    tone: float | None = None,
) -> Message:
    """Store one message; a customer's must have text (1–2000 characters) or a button payload."""
    sender = Sender(sender)
    if sender == Sender.CUSTOMER:
        if not text.strip() and not payload:
            raise ChatError("A message needs text or a button payload.")
        if len(text) > MAX_TEXT:
            raise ChatError(
                f"A message can be at most {MAX_TEXT:,} characters; this is {len(text):,}."
            )
    if payload is not None and len(payload) > MAX_PAYLOAD:
        raise ChatError(f"A button payload can be at most {MAX_PAYLOAD} characters.")
    now = utcnow()
    conversation.updated_at = now
    if sender == Sender.CUSTOMER:
        conversation.last_customer_message_at = now
    session.flush()  # the conversation row is locked from here until commit
    message = Message(
        conversation_id=conversation.id,
        sender=sender,
        text=text,
        payload=payload,
        buttons=[dict(button) for button in buttons],
        articles=[dict(article) for article in articles],
        intent=intent,
        confidence=confidence,
        tone=tone,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def messages_after(
    *, session: Session, conversation: Conversation, after: int = 0, limit: int = PAGE_SIZE
) -> list[Message]:
    """The conversation's messages with an id above ``after``, oldest first, at most ``limit``."""
    query = (
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.id > after)
        .order_by(Message.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def latest_message(
    *,
    session: Session,
    conversation: Conversation,
    senders: Iterable[Sender] | None = None,
    payloads: Iterable[str] | None = None,
    before: int | None = None,
) -> Message | None:
    """The newest message, optionally only from these senders, with these payloads, below an id."""
    query = select(Message).where(Message.conversation_id == conversation.id)
    if senders is not None:
        query = query.where(Message.sender.in_(list(senders)))
    if payloads is not None:
        query = query.where(Message.payload.in_(list(payloads)))
    if before is not None:
        query = query.where(Message.id < before)
    return session.scalar(query.order_by(Message.id.desc()).limit(1))


def count_messages(
    *, session: Session, conversation: Conversation, sender: Sender, between: tuple[int, int]
) -> int:
    """How many messages ``sender`` wrote with ids strictly between the two given."""
    low, high = between
    query = select(func.count(Message.id)).where(
        Message.conversation_id == conversation.id,
        Message.sender == sender,
        Message.id > low,
        Message.id < high,
    )
    return int(session.scalar(query) or 0)


def button_title(
    *, session: Session, conversation: Conversation, payload: str, lookback: int = 20
) -> str | None:
    """The title of the most recent button offered with this payload, if any."""
    query = (
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.sender != Sender.CUSTOMER)
        .order_by(Message.id.desc())
        .limit(lookback)
    )
    for message in session.scalars(query):
        for button in message.buttons:
            if button.get("payload") == payload and isinstance(button.get("title"), str):
                return str(button["title"])
    return None


def transcript(*, session: Session, conversation: Conversation) -> list[dict[str, Any]]:
    """Every message so far as plain data (for an escalation's snapshot)."""
    query = select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)
    return [message_record(message) for message in session.scalars(query)]


def message_record(message: Message) -> dict[str, Any]:
    """A message as plain JSON-ready data."""
    record: dict[str, Any] = {
        "id": message.id,
        "sender": message.sender.value,
        "text": message.text,
        "created_at": message.created_at.isoformat(),
    }
    optional = {
        "payload": message.payload,
        "buttons": message.buttons,
        "articles": message.articles,
        "intent": message.intent,
        "confidence": message.confidence,
        "tone": message.tone,
    }
    record.update({key: value for key, value in optional.items() if value not in (None, [])})
    return record


def set_email(*, session: Session, conversation: Conversation, email: str) -> Conversation:
    """Keep the email address a visitor gave in the chat; raises ChatError if it is not one."""
    email = normalise_email(email)
    if not is_email(email):
        raise ChatError(f"{email!r} does not look like an email address.")
    conversation.email = email
    session.flush()
    return conversation


def upsert_customer(
    *,
    session: Session,
    external_id: str,
    email: str | None = None,
    name: str | None = None,
    plan: str | None = None,
) -> Customer:
    """Create or update the customer with this external id; fields given as None are kept.

    One INSERT … ON CONFLICT statement, so two first chats at once cannot create two customers.
    """
    external_id = external_id.strip()
    if not 1 <= len(external_id) <= MAX_EXTERNAL_ID:
        raise ChatError(f"A customer's external id must be 1 to {MAX_EXTERNAL_ID} characters.")
    if email is not None:
        email = normalise_email(email)
        if not is_email(email):
            raise ChatError(f"{email!r} does not look like an email address.")
    if name is not None and len(name) > MAX_NAME:
        raise ChatError(f"A customer's name can be at most {MAX_NAME} characters.")
    if plan is not None and not 1 <= len(plan) <= MAX_PLAN:
        raise ChatError(f"A plan key must be 1 to {MAX_PLAN} characters.")
    now = utcnow()
    given = {"email": email, "name": name, "plan": plan}
    changes: dict[str, Any] = {key: value for key, value in given.items() if value is not None}
    values: dict[str, Any] = {
        "external_id": external_id,
        "name": "",
        "plan": "free",
        "attributes": {},
        "created_at": now,
        **changes,
        "updated_at": now,
    }
    module: Any = {"postgresql": postgresql, "sqlite": sqlite}.get(session.get_bind().dialect.name)
    if module is None:
        raise NotImplementedError("customers support SQLite and PostgreSQL only")
    insert = module.insert(Customer).values(values)
    statement = insert.on_conflict_do_update(
        index_elements=[Customer.external_id],
        set_={column: insert.excluded[column] for column in [*changes, "updated_at"]},
    )
    customer: Customer = session.scalars(
        statement.returning(Customer), execution_options={"populate_existing": True}
    ).one()
    return customer
