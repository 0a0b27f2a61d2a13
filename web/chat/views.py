"""The chat API: /api/v1/conversations, and each conversation's messages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request, url_for
from flask_limiter.util import get_remote_address
from spectree import Response as Responses

from kb import chat
from kb.documents import Source
from kb.models import Conversation, ConversationState, Message, Sender, utcnow
from web import live
from web.api.schemas import ErrorResponse
from web.api.spec import CONVERSATION_TOKEN, api_spec
from web.chat import bot, bp, updates
from web.chat import service as chat_service
from web.chat.handoff import Team
from web.chat.schemas import (
    ArticleCard,
    Button,
    ConversationCreated,
    MessageList,
    MessageOut,
    MessagesQuery,
    NewConversation,
    NewMessage,
    NewRating,
    QueueInfo,
    RatingOut,
)
from web.db import db_session
from web.security import limiter, settings
from web.urls import content_url

F = TypeVar("F", bound=Callable[..., Any])
CONVERSATION_ID = {"conversation_id": "The conversation's public id."}
TAGS = ["chat"]


def _address() -> str:
    """Rate-limit key: the client address."""
    return f"ip:{get_remote_address()}"


def _conversation_key() -> str:
    """Rate-limit key: the conversation in the URL."""
    return f"conversation:{(request.view_args or {}).get('conversation_id', '')}"


per_address = limiter.shared_limit(
    lambda: settings().chat_ip_rate_limit, scope="chat-ip", key_func=_address, methods=["POST"]
)
per_conversation = limiter.limit(
    lambda: settings().chat_rate_limit, key_func=_conversation_key, methods=["POST"]
)
per_conversation_polls = limiter.limit(
    lambda: settings().chat_poll_rate_limit, key_func=_conversation_key, methods=["GET"]
)


def conversation_owner(view: F) -> F:
    """Look the conversation up (404) and check the bearer token (403) before reading the input."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        g.conversation = chat.open_conversation(
            session=db_session(),
            public_id=kwargs["conversation_id"],
            token=token.strip() if scheme.lower() == "bearer" else None,
        )
        return view(*args, **kwargs)

    return cast(F, wrapper)


@bp.post("/conversations")
@per_address
@api_spec.validate(
    json=NewConversation,
    resp=Responses(
        HTTP_201=ConversationCreated,
        HTTP_400=ErrorResponse,
        HTTP_403=ErrorResponse,
        HTTP_429=ErrorResponse,
    ),
    tags=TAGS,
    operation_id="startConversation",
)
def start_conversation(json: NewConversation) -> tuple[ConversationCreated, int, dict[str, str]]:
    """Start a chat, anonymously or as a customer the host site vouches for with a signed identity.

    Keep the returned token: it is shown once and authorises every later call.
    """
    session = db_session()
    raw = request.get_json(silent=True) or {}
    created = chat_service.start(
        session=session,
        settings=settings(),
        identity=json.identity,
        signed=raw.get("identity") if isinstance(raw.get("identity"), dict) else None,
        signature=json.signature,
        start_token=json.start,
    )
    session.commit()
    public_id = created.conversation.public_id
    location = url_for("chat.list_messages", conversation_id=public_id, _external=True)
    return ConversationCreated(id=public_id, token=created.token), 201, {"Location": location}


MESSAGE_RESPONSES = Responses(
    HTTP_200=MessageList,
    HTTP_400=ErrorResponse,
    HTTP_403=ErrorResponse,
    HTTP_404=ErrorResponse,
    HTTP_429=ErrorResponse,
)
"""What both message endpoints may answer."""


@bp.post("/conversations/<conversation_id>/messages")
@per_address
@per_conversation
@conversation_owner
@api_spec.validate(
    json=NewMessage,
    resp=MESSAGE_RESPONSES,
    tags=TAGS,
    operation_id="sendMessage",
    security=CONVERSATION_TOKEN,
    path_parameter_descriptions=CONVERSATION_ID,
)
def send_message(conversation_id: str, json: NewMessage) -> MessageList:
    """Send the customer's message (typed text, or a button's payload).

    Answers with every message from this one on (the bot's replies, or a note that a person will
    reply) and who has the conversation now. While a person has it the bot stays silent.
    """
    conversation: Conversation = g.conversation
    exchange = chat_service.converse(
        session=db_session(),
        conversation=conversation,
        text=json.text,
        payload=json.payload,
        bot=bot(),
        team=Team.of(settings()),
    )
    return _message_list(exchange.messages, exchange.state)


@bp.get("/conversations/<conversation_id>/messages")
@per_conversation_polls
@conversation_owner
@api_spec.validate(
    query=MessagesQuery,
    resp=MESSAGE_RESPONSES,
    tags=TAGS,
    operation_id="listMessages",
    security=CONVERSATION_TOKEN,
    path_parameter_descriptions=CONVERSATION_ID,
)
def list_messages(conversation_id: str, query: MessagesQuery) -> MessageList:
    """Read the conversation's messages after the one with id ``after`` (all when 0), oldest first.

    At most 100 at a time: ask again with the last id until none come back. With ``wait`` (long
    polling) the answer waits up to that many seconds until there is a message after ``after``,
    the state differs from ``state``, or (while queued) the place differs from ``position``.
    """
    conversation: Conversation = g.conversation
    session = db_session()
    if query.wait > 0:
        updates.wait_for_news(
            session=session,
            conversation_id=conversation.id,
            after=query.after,
            state=query.state,
            position=query.position,
            timeout=query.wait,
            online_minutes=settings().agent_online_minutes,
        )
    messages = chat.messages_after(session=session, conversation=conversation, after=query.after)
    return _message_list(messages, conversation.state)


@bp.post("/conversations/<conversation_id>/rating")
@per_address
@per_conversation
@conversation_owner
@api_spec.validate(
    json=NewRating,
    resp=Responses(
        HTTP_200=RatingOut,
        HTTP_400=ErrorResponse,
        HTTP_403=ErrorResponse,
        HTTP_404=ErrorResponse,
        HTTP_409=ErrorResponse,
        HTTP_429=ErrorResponse,
    ),
    tags=TAGS,
    operation_id="rateConversation",
    security=CONVERSATION_TOKEN,
    path_parameter_descriptions=CONVERSATION_ID,
)
def rate_conversation(conversation_id: str, json: NewRating) -> RatingOut:
    """Rate the help from the team, 1–5 with an optional comment, once a person resolved the chat.

    Rating again replaces the earlier rating. 409 while there is nothing to rate (no person has
    resolved the conversation, or the customer has written again since).
    """
    conversation: Conversation = g.conversation
    session = db_session()
    escalation = chat_service.rate(
        session=session, conversation=conversation, score=json.score, comment=json.comment
    )
    session.commit()
    live.notify(conversation.id)
    return RatingOut(rating=escalation.rating or json.score, comment=escalation.rating_comment)


def _message_list(messages: list[Message], state: ConversationState) -> MessageList:
    """Messages as the widget shows them, the state, and while queued the place in the queue."""
    session = db_session()
    names = updates.authors(session=session, messages=messages)
    place = None
    if state == ConversationState.QUEUED:
        place = updates.queue_place(
            session=session,
            conversation_id=g.conversation.id,
            now=utcnow(),
            online_minutes=settings().agent_online_minutes,
        )
    return MessageList(
        messages=[_message(m, names) for m in messages],
        state=state,
        queue=None
        if place is None
        else QueueInfo(
            position=place.position,
            estimated_wait_minutes=place.estimated_wait_minutes,
            agents_online=place.agents_online,
        ),
    )


def _message(message: Message, names: dict[int, str]) -> MessageOut:
    """A message as the widget shows it, with absolute links to the articles."""
    return MessageOut(
        id=message.id,
        sender=message.sender,
        text=message.text,
        buttons=[Button(title=b["title"], payload=b["payload"]) for b in message.buttons],
        articles=[
            ArticleCard(
                title=card["title"],
                url=content_url(Source(card["source"]), card["ref"], external=True),
            )
            for card in message.articles
        ],
        created_at=message.created_at,
        kind=message.payload if message.sender == Sender.SYSTEM else None,
        author=names.get(message.author_id or 0) if message.sender == Sender.AGENT else None,
    )
