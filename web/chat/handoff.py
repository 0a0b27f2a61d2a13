"""Handing a conversation to the team, and what the customer is told while a person has it.

System messages carry what they are in their payload (``availability``, ``waiting``,
``email_request`` …), never shown, so these rules can find them again: the waiting note is added
once per wait, and only the first reply after the email request can give an address.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kb import chat
from kb.accounts import is_email
from kb.availability import availability_notice, plan_for
from kb.config import PriorityPolicy, ServicePlan, Settings
from kb.escalations import escalate, reopen
from kb.models import Conversation, ConversationState, Message, Sender, utcnow
from kb.queue import agents_online

SKIP_EMAIL = "/skip_email"
WAITING_NOTE = "A person from our team will reply here."
UNAVAILABLE_NOTE = (
    "Our assistant isn't available right now, so we've passed your message to our team."
)
EMAIL_REQUEST = (
    "If you'd like us to reach you by email too, type your email address. This is optional."
)
EMAIL_SAVED = "Thanks — we'll also reach you at {email} if we need to."
EMAIL_SKIPPED = "No problem — we'll reply right here in this chat."
# What a system message is, kept in its payload (never shown) so the rules can find it again.
AVAILABILITY, WAITING, UNAVAILABLE = "availability", "waiting", "bot_unavailable"
ASKED_EMAIL, GOT_EMAIL, SKIPPED_EMAIL = "email_request", "email_saved", "email_skipped"
MAX_EMAIL_REPLY = 300
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[A-Za-z]{2,}")


@dataclass(frozen=True, slots=True)
class Team:
    """What a handoff needs to know about the team: the service plans, how the queue is ordered,
    and how recently an agent must have been seen to count as online."""

    plans: Sequence[ServicePlan]
    priority: PriorityPolicy
    online_minutes: int

    @classmethod
    def of(cls, settings: Settings) -> Team:
        """The team as configured."""
        return cls(settings.service_plans, settings.priority, settings.agent_online_minutes)


def unavailable(
    *,
    session: Session,
    conversation: Conversation,
    failure: str,
    team: Team,
    now: datetime | None = None,
) -> None:
    """The bot could not answer: tell the customer and pass the conversation to the team."""
    system_message(session, conversation, UNAVAILABLE_NOTE, UNAVAILABLE)
    turns = [
        {"text": m["text"], "intent": None, "confidence": None, "tone": None, "at": m["created_at"]}
        for m in chat.transcript(session=session, conversation=conversation)
        if m["sender"] == Sender.CUSTOMER.value
    ]
    last = turns[-1]["text"] if turns else ""
    handoff = {
        "reason": "bot_unavailable",
        "reason_detail": failure,
        "summary": f"The assistant could not answer ({failure}). The customer's last message: {last!r}",
        "turns": turns,
        "articles": [],
        "tone": {},
        "details": {},
        "ask_email": conversation.customer is None and not email_known(conversation),
    }
    hand_over(
        session=session,
        conversation=conversation,
        handoff=handoff,
        actor="system",
        team=team,
        now=now,
    )


def hand_over(
    *,
    session: Session,
    conversation: Conversation,
    handoff: dict[str, Any],
    actor: str,
    team: Team,
    now: datetime | None = None,
) -> None:
    """Queue the conversation with the handoff and the transcript; say honestly when people reply."""
    now = now or utcnow()
    plan = customer_plan(conversation, team.plans)
    escalate(
        session=session,
        conversation=conversation,
        reason=handoff["reason"],
        actor=actor,
        reason_detail=handoff.get("reason_detail", ""),
        summary=handoff.get("summary", ""),
        context={
            "handoff": handoff,
            "transcript": chat.transcript(session=session, conversation=conversation),
        },
        plan=plan,
        policy=team.priority,
        now=now,
    )
    notice = availability(session, conversation, team, now)
    system_message(session, conversation, notice, AVAILABILITY)
    if handoff.get("ask_email") and not conversation.asked_email and not email_known(conversation):
        skip = [{"title": "Skip", "payload": SKIP_EMAIL}]
        system_message(session, conversation, EMAIL_REQUEST, ASKED_EMAIL, buttons=skip)
        conversation.asked_email = True
        session.flush()


def email_in(text: str) -> str | None:
    """The one email address in a short reply ("it's ada@example.com"), if there is exactly one."""
    if len(text) > MAX_EMAIL_REPLY:
        return None
    found = _ADDRESS.findall(text)
    if len(found) != 1:
        return None
    address = found[0].strip(".").lower()
    return address if is_email(address) else None


def while_waiting(session: Session, conversation: Conversation, message: Message) -> None:
    """A message while a person has the chat: the answer to the email request, else a note once."""
    asked = chat.latest_message(
        session=session, conversation=conversation, senders=[Sender.SYSTEM], payloads=[ASKED_EMAIL]
    )
    replying = (
        asked is not None
        and conversation.email is None
        and chat.count_messages(
            session=session,
            conversation=conversation,
            sender=Sender.CUSTOMER,
            between=(asked.id, message.id),
        )
        == 0
    )
    if replying and message.payload == SKIP_EMAIL:
        system_message(session, conversation, EMAIL_SKIPPED, SKIPPED_EMAIL)
        return
    address = email_in(message.text) if replying and message.payload is None else None
    if address is not None:
        chat.set_email(session=session, conversation=conversation, email=address)
        system_message(session, conversation, EMAIL_SAVED.format(email=address), GOT_EMAIL)
        return
    if message.payload == SKIP_EMAIL:
        return
    if agent_has_replied(session, conversation):
        return  # a person is already talking with them: "someone will reply" would read oddly
    last_note = chat.latest_message(
        session=session,
        conversation=conversation,
        senders=[Sender.SYSTEM],
        payloads=[AVAILABILITY, WAITING],
    )
    if last_note is None or last_note.payload != WAITING:
        system_message(session, conversation, WAITING_NOTE, WAITING)


def agent_has_replied(session: Session, conversation: Conversation) -> bool:
    """Whether an agent has written since the conversation was last handed to the team."""
    if conversation.state != ConversationState.ASSIGNED:
        return False
    handed = chat.latest_message(
        session=session, conversation=conversation, senders=[Sender.SYSTEM], payloads=[AVAILABILITY]
    )
    agent = chat.latest_message(session=session, conversation=conversation, senders=[Sender.AGENT])
    return agent is not None and (handed is None or agent.id > handed.id)


def system_message(
    session: Session,
    conversation: Conversation,
    text: str,
    kind: str,
    *,
    buttons: Sequence[dict[str, str]] = (),
) -> Message:
    """Add a system message; ``kind`` goes in its payload so the rules can find it later."""
    return chat.add_message(
        session=session,
        conversation=conversation,
        sender=Sender.SYSTEM,
        text=text,
        payload=kind,
        buttons=buttons,
    )


def customer_plan(conversation: Conversation, plans: Sequence[ServicePlan]) -> ServicePlan:
    """The customer's service plan (``free`` for anonymous visitors and unknown plans)."""
    customer = conversation.customer
    return plan_for(plans, customer.plan if customer is not None else None)


def availability(
    session: Session, conversation: Conversation, team: Team, now: datetime | None
) -> str:
    """The availability message for this customer's plan at ``now``, and who is online."""
    now = now or utcnow()
    online = agents_online(session=session, now=now, minutes=team.online_minutes)
    return availability_notice(customer_plan(conversation, team.plans), now, online)


def email_known(conversation: Conversation) -> bool:
    """Whether we can already reach the customer by email."""
    customer = conversation.customer
    return bool(conversation.email or (customer is not None and customer.email))


def reopen_for_customer(
    *,
    session: Session,
    conversation: Conversation,
    team: Team,
    now: datetime | None = None,
) -> None:
    """The customer wrote to a resolved conversation: back to the queue, with the waiting time."""
    now = now or utcnow()
    reopen(
        session=session,
        conversation=conversation,
        reason="the customer wrote again",
        plan=customer_plan(conversation, team.plans),
        policy=team.priority,
        now=now,
    )
    notice = availability(session, conversation, team, now)
    system_message(session, conversation, notice, AVAILABILITY)
