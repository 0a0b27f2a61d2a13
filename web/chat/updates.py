"""What the widget is told besides messages, and what a long poll waits for.

A long poll (``GET …/messages?wait=20&after=<last id>&state=<state seen>&position=<place seen>``)
answers as soon as there is a message after ``after``, the conversation's state is not the one the
client saw, or, while queued, its place in the queue moved; else after ``wait`` seconds with
nothing new. Messages and state are re-read on every notify (``web.live``) and every
``POLL_SECONDS``; the queue place, which costs more to work out, at most every
``QUEUE_CHECK_SECONDS``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb import queue
from kb.models import (
    Conversation,
    ConversationState,
    Escalation,
    Message,
    Sender,
    User,
    utcnow,
)
from web import live

POLL_SECONDS = 0.5
"""How often a long poll re-reads without a notify (writes by other processes)."""
QUEUE_CHECK_SECONDS = 5.0
"""How often it works out the queue place again."""


def queue_place(
    *, session: Session, conversation_id: int, now: datetime, online_minutes: int
) -> queue.QueuePlace | None:
    """The conversation's place in the queue while it is queued, else None."""
    escalation = session.scalar(
        select(Escalation)
        .where(Escalation.conversation_id == conversation_id)
        .order_by(Escalation.id.desc())
        .limit(1)
    )
    if escalation is None:
        return None
    return queue.place_in_queue(
        session=session, escalation=escalation, now=now, online_minutes=online_minutes
    )


def authors(*, session: Session, messages: Sequence[Message]) -> dict[int, str]:
    """Display names of the agents who wrote these messages, by user id."""
    ids = {m.author_id for m in messages if m.sender == Sender.AGENT and m.author_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def wait_for_news(
    *,
    session: Session,
    conversation_id: int,
    after: int,
    state: ConversationState | None,
    position: int | None,
    timeout: float,
    online_minutes: int,
) -> bool:
    """Block until there is something new for the client (True) or ``timeout`` passes (False).

    Ends the session's transaction first and after every check, so no connection is held and
    every check sees what other requests and processes committed.
    """
    session.rollback()
    next_queue_check = 0.0

    def ready() -> bool:
        nonlocal next_queue_check
        try:
            newer = session.scalar(
                select(Message.id)
                .where(Message.conversation_id == conversation_id, Message.id > after)
                .limit(1)
            )
            if newer is not None:
                return True
            current = session.scalar(
                select(Conversation.state).where(Conversation.id == conversation_id)
            )
            if current is None or (state is not None and current != state):
                return True
            if position is None or current != ConversationState.QUEUED:
                return False
            if time.monotonic() < next_queue_check:
                return False
            next_queue_check = time.monotonic() + QUEUE_CHECK_SECONDS
            place = queue_place(
                session=session,
                conversation_id=conversation_id,
                now=utcnow(),
                online_minutes=online_minutes,
            )
            return place is not None and place.position != position
        finally:
            session.rollback()

    return live.wait(conversation_id, timeout=timeout, ready=ready, poll_interval=POLL_SECONDS)
