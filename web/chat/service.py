"""The chat's rules: starting a conversation, and what happens to each customer message.

A customer's message is stored and committed before anything else. The bot is asked only while
it has the conversation; once a person owns it (``queued``, ``assigned``) the bot is never asked
again until an agent hands it back. If the bot is down, slow or says nothing, the customer is told
so and the conversation goes to the team with reason ``bot_unavailable`` (see ``handoff``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kb import chat, desk
from kb.config import ServicePlan, Settings
from kb.escalations import latest_escalation
from kb.feedback import mark_chat_started
from kb.models import (
    Conversation,
    ConversationState,
    Escalation,
    EscalationState,
    Message,
    Sender,
)
from web import live
from web.chat.handoff import (
    SKIP_EMAIL,
    Team,
    customer_plan,
    email_known,
    hand_over,
    reopen_for_customer,
    unavailable,
    while_waiting,
)
from web.chat.identity import verify
from web.chat.rasa import BotUnavailable, RasaClient
from web.chat.replies import BotReply, parse_replies
from web.chat.schemas import Identity
from web.help.service import chat_context

NOTHING_TO_RATE = (
    "There is nothing to rate yet: a rating is for a conversation a person from our team has "
    "resolved."
)


class NothingToRate(Exception):
    """The customer rated a conversation no person has resolved (or that is open again): 409."""


@dataclass(frozen=True, slots=True)
class BotRequest:
    """What to send the bot for one customer message."""

    sender: str
    message: str
    metadata: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Exchange:
    """The messages since (and including) the customer's, and who has the conversation now."""

    messages: list[Message]
    state: ConversationState


def start(
    *,
    session: Session,
    settings: Settings,
    identity: Identity | None,
    signed: dict[str, Any] | None,
    signature: str | None,
    start_token: str | None,
) -> chat.NewConversation:
    """Open a conversation: a verified identity is linked to its customer, a chat start kept."""
    customer = None
    if identity is not None and signed is not None:
        verify(signed, signature, settings.identity_secret)
        known = [plan.key for plan in settings.service_plans]
        if identity.plan is not None and identity.plan not in known:
            raise chat.ChatError(f"Unknown plan {identity.plan!r}; this site's plans: {known}.")
        customer = chat.upsert_customer(
            session=session,
            external_id=identity.external_id,
            email=identity.email,
            name=identity.name,
            plan=identity.plan,
        )
    elif signature is not None:
        raise chat.ChatError("'signature' signs an 'identity': send both, or neither.")
    context: dict[str, Any] = {}
    if start_token is not None:
        found = chat_context(session=session, token=start_token)
        mark_chat_started(session=session, chat=found.chat)
        context = {
            "origin": found.chat.origin,
            "article_ref": found.article.slug if found.article else "",
            "article_title": found.article.title if found.article else "",
            "query": found.chat.query,
            "comment": found.chat.comment,
        }
    return chat.start_conversation(session=session, customer=customer, context=context)


def converse(
    *,
    session: Session,
    conversation: Conversation,
    text: str | None,
    payload: str | None,
    bot: RasaClient,
    team: Team,
    now: datetime | None = None,
) -> Exchange:
    """Take a customer's message. Commits it before the bot is asked, then commits the outcome."""
    message, request = receive(
        session=session, conversation=conversation, text=text, payload=payload, team=team, now=now
    )
    session.commit()
    live.notify(conversation.id)
    if request is not None:
        failure, reply = None, BotReply()
        try:
            replies = bot.send(
                sender=request.sender, message=request.message, metadata=request.metadata
            )
            reply = parse_replies(replies)
        except BotUnavailable as error:
            failure = str(error)
        if failure is None and reply.empty:
            failure = "the bot sent an empty reply"
        chat.lock_conversation(session=session, conversation=conversation)
        # A person may have taken the conversation while the bot was thinking: then it stays quiet.
        if conversation.state == ConversationState.BOT:
            if failure is not None:
                unavailable(
                    session=session,
                    conversation=conversation,
                    failure=failure,
                    team=team,
                    now=now,
                )
            else:
                deliver(session=session, conversation=conversation, reply=reply, team=team, now=now)
        session.commit()
        live.notify(conversation.id)
    since = chat.messages_after(session=session, conversation=conversation, after=message.id - 1)
    return Exchange(since, conversation.state)


def receive(
    *,
    session: Session,
    conversation: Conversation,
    text: str | None,
    payload: str | None,
    team: Team,
    now: datetime | None = None,
) -> tuple[Message, BotRequest | None]:
    """Store a customer's message and decide what follows; the request for the bot, if it has the chat."""
    chat.lock_conversation(session=session, conversation=conversation)
    shown = text
    if shown is None:
        shown = chat.button_title(session=session, conversation=conversation, payload=payload or "")
    message = chat.add_message(
        session=session,
        conversation=conversation,
        sender=Sender.CUSTOMER,
        text=shown or payload or "",
        payload=payload,
    )
    state = conversation.state
    if state == ConversationState.RESOLVED:
        reopen_for_customer(session=session, conversation=conversation, team=team, now=now)
        return message, None
    if state in (ConversationState.QUEUED, ConversationState.ASSIGNED):
        while_waiting(session, conversation, message)
        return message, None
    if payload == SKIP_EMAIL:  # an old "Skip" button: nothing to ask the bot
        return message, None
    first = (
        chat.latest_message(
            session=session, conversation=conversation, senders=[Sender.CUSTOMER], before=message.id
        )
        is None
    )
    metadata = bot_metadata(conversation, plans=team.plans, first=first)
    conversation.handed_back = False
    session.flush()
    return message, BotRequest(conversation.public_id, text or payload or "", metadata)


def bot_metadata(
    conversation: Conversation, *, plans: Sequence[ServicePlan], first: bool
) -> dict[str, Any]:
    """What the bot is told about the customer and the conversation (docs/chat.md)."""
    customer = conversation.customer
    metadata: dict[str, Any] = {
        "customer": {
            "verified": customer is not None,
            "plan": customer_plan(conversation, plans).key,
            "name": customer.name if customer is not None else "",
            "email_known": email_known(conversation),
        },
        "handed_back": conversation.handed_back,
    }
    if first and conversation.context:
        metadata["context"] = dict(conversation.context)
    return metadata


def deliver(
    *,
    session: Session,
    conversation: Conversation,
    reply: BotReply,
    team: Team,
    now: datetime | None = None,
) -> None:
    """Store the bot's messages; on a handoff, queue the conversation for the team."""
    for bot_message in reply.messages:
        chat.add_message(
            session=session,
            conversation=conversation,
            sender=Sender.BOT,
            text=bot_message.text,
            buttons=bot_message.buttons,
            articles=bot_message.articles,
        )
    if reply.handoff is not None:
        hand_over(
            session=session,
            conversation=conversation,
            handoff=reply.handoff,
            actor="bot",
            team=team,
            now=now,
        )


def rate(*, session: Session, conversation: Conversation, score: int, comment: str) -> Escalation:
    """The customer's rating of the conversation's resolved escalation; raises NothingToRate."""
    escalation = latest_escalation(session=session, conversation=conversation)
    rateable = (EscalationState.RESOLVED, EscalationState.BOT)
    if escalation is None or escalation.state not in rateable or escalation.resolved_at is None:
        raise NothingToRate(NOTHING_TO_RATE)
    return desk.rate(session=session, escalation=escalation, score=score, comment=comment)
