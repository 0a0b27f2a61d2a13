"""What agents do with an escalation they own: reply, note, release, reassign, resolve, hand back,
save the answer as an article draft; and the customer's rating afterwards.

Every change of state goes through kb.escalations (stored with actor, time and reason) and emits
its webhook event (kb.webhooks). Each action first locks the conversation's row and re-reads the
escalation, so it judges the current state (a colleague may just have released or reassigned it)
and takes locks in the same order as the chat and the queue. Functions take the session
explicitly and flush; the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kb import chat
from kb.articles import ArticleError, save_article
from kb.escalations import escalation_data, transition
from kb.models import (
    Article,
    ArticleStatus,
    Escalation,
    EscalationNote,
    EscalationState,
    Message,
    Role,
    Sender,
    User,
    as_utc,
    utcnow,
)
from kb.webhooks import emit

MAX_REPLY = 5000
MAX_NOTE = 5000
MAX_COMMENT = 2000
MAX_PHRASING = 500
RATING_REQUEST = "rating_request"
HANDED_BACK = "handed_back"
RATING_REQUEST_TEXT = "How did we do? Please rate this conversation from 1 to 5."
HANDED_BACK_TEXT = "You're chatting with our assistant again."
DESK_ROLES = (Role.AGENT, Role.ADMIN)


class DeskError(ValueError):
    """An action the desk refuses (not yours, wrong state, empty text); the message says why."""


def _actor(user: User) -> str:
    """The escalation log's name for a staff member."""
    return f"agent:{user.id}"


def _check_agent(user: User, what: str = "work on escalations") -> None:
    """Only agents and admins who are not suspended work the queue."""
    if user.role not in DESK_ROLES:
        raise DeskError(f"Only agents and admins can {what}; {user.display_name} is {user.role}.")
    if user.suspended:
        raise DeskError(f"{user.display_name} is suspended and cannot {what}.")


def _lock(session: Session, escalation: Escalation) -> Escalation:
    """Lock the conversation row (first, as everywhere), then re-read the escalation."""
    chat.lock_conversation(session=session, conversation=escalation.conversation)
    session.refresh(escalation)
    return escalation


def _text(text: str, limit: int, what: str) -> str:
    """Non-blank text of at most ``limit`` characters, stripped."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise DeskError(f"The {what} is empty; write something first.")
    if len(cleaned) > limit:
        raise DeskError(
            f"The {what} can be at most {limit:,} characters; this is {len(cleaned):,}."
        )
    return cleaned


def _owned(escalation: Escalation, agent: User, what: str, *, admin_too: bool) -> None:
    """The escalation must be assigned, to ``agent`` (or ``agent`` is an admin, if allowed)."""
    if escalation.state != EscalationState.ASSIGNED:
        raise DeskError(
            f"You can only {what} an assigned escalation; escalation {escalation.id} is "
            f"{escalation.state.value}."
        )
    if escalation.assigned_to != agent.id and not (admin_too and agent.role == Role.ADMIN):
        owner = escalation.agent.display_name if escalation.agent else "someone else"
        raise DeskError(f"Escalation {escalation.id} belongs to {owner}; only they can {what} it.")


def reply(
    *, session: Session, escalation: Escalation, agent: User, text: str, now: datetime | None = None
) -> Message:
    """An agent's message to the customer (1–5000 characters); only the owner of an assigned
    escalation may reply. The first reply sets ``first_response_at``."""
    _check_agent(agent, "reply")
    cleaned = _text(text, MAX_REPLY, "reply")
    _lock(session, escalation)
    _owned(escalation, agent, "reply to", admin_too=False)
    message = chat.add_message(
        session=session, conversation=escalation.conversation, sender=Sender.AGENT, text=cleaned
    )
    message.author_id = agent.id
    if escalation.first_response_at is None:
        escalation.first_response_at = now or message.created_at
        late_first_reply(session=session, escalation=escalation)
    escalation.updated_at = now or message.created_at
    session.flush()
    return message


def late_first_reply(*, session: Session, escalation: Escalation) -> None:
    """A first reply after its due time is a breach even if the worker never saw it overdue."""
    due, at = escalation.first_response_due, escalation.first_response_at
    if escalation.first_response_breached_at or due is None or at is None:
        return
    if as_utc(at) > as_utc(due):
        escalation.first_response_breached_at = at
        emit(
            session=session,
            event="sla.breached",
            data={"escalation": escalation_data(escalation), "target": "first_response"},
            now=as_utc(at),
        )


def add_note(*, session: Session, escalation: Escalation, agent: User, text: str) -> EscalationNote:
    """An internal note (never shown to the customer); any agent may add one."""
    _check_agent(agent, "add notes")
    note = EscalationNote(
        escalation_id=escalation.id,
        author_id=agent.id,
        text=_text(text, MAX_NOTE, "note"),
        created_at=utcnow(),
    )
    session.add(note)
    session.flush()
    return note


def release(
    *, session: Session, escalation: Escalation, agent: User, reason: str = ""
) -> Escalation:
    """Put an assigned escalation back in the queue (its owner or an admin)."""
    _check_agent(agent, "release escalations")
    _lock(session, escalation)
    _owned(escalation, agent, "release", admin_too=True)
    transition(
        session=session,
        escalation=escalation,
        to_state=EscalationState.QUEUED,
        actor=_actor(agent),
        reason=reason or "released",
    )
    return escalation


def reassign(
    *, session: Session, escalation: Escalation, agent: User, to: User, reason: str = ""
) -> Escalation:
    """Give an assigned escalation to another agent (its owner or an admin; ``to`` must be an
    agent or admin and not suspended)."""
    _check_agent(agent, "reassign escalations")
    if to.role not in DESK_ROLES or to.suspended:
        state = "suspended" if to.suspended else f"{to.role}, not an agent or admin"
        raise DeskError(
            f"Escalations can only go to agents or admins; {to.display_name} is {state}."
        )
    _lock(session, escalation)
    _owned(escalation, agent, "reassign", admin_too=True)
    if escalation.assigned_to == to.id:
        raise DeskError(f"Escalation {escalation.id} already belongs to {to.display_name}.")
    now = utcnow()
    detail = reason or f"reassigned to {to.display_name}"
    actor = _actor(agent)
    transition(
        session=session,
        escalation=escalation,
        to_state=EscalationState.QUEUED,
        actor=actor,
        reason=detail,
        now=now,
    )
    transition(
        session=session,
        escalation=escalation,
        to_state=EscalationState.ASSIGNED,
        actor=actor,
        reason=detail,
        assigned_to=to.id,
        now=now,
    )
    emit(session=session, event="escalation.assigned", data=escalation_data(escalation), now=now)
    return escalation


def resolve(
    *,
    session: Session,
    escalation: Escalation,
    agent: User,
    note: str = "",
    now: datetime | None = None,
) -> Escalation:
    """Resolve with a note; the customer is asked for a rating (a system message ``rating_request``)."""
    _check_agent(agent, "resolve escalations")
    if len(note) > MAX_NOTE:
        raise DeskError(f"The resolution note can be at most {MAX_NOTE:,} characters.")
    _lock(session, escalation)
    _owned(escalation, agent, "resolve", admin_too=True)
    now = now or utcnow()
    transition(
        session=session,
        escalation=escalation,
        to_state=EscalationState.RESOLVED,
        actor=_actor(agent),
        reason="resolved",
        now=now,
    )
    escalation.resolution_note = note.strip()
    chat.add_message(
        session=session,
        conversation=escalation.conversation,
        sender=Sender.SYSTEM,
        text=RATING_REQUEST_TEXT,
        payload=RATING_REQUEST,
    )
    emit(session=session, event="escalation.resolved", data=escalation_data(escalation), now=now)
    return escalation


def hand_back(
    *,
    session: Session,
    escalation: Escalation,
    agent: User,
    note: str = "",
    now: datetime | None = None,
) -> Escalation:
    """Give the conversation back to the bot (resolving it first if it is assigned); the bot is
    told on the customer's next message that it was handed back."""
    _check_agent(agent, "hand conversations back")
    _lock(session, escalation)
    if escalation.state == EscalationState.ASSIGNED:
        resolve(session=session, escalation=escalation, agent=agent, note=note, now=now)
    elif escalation.state != EscalationState.RESOLVED:
        raise DeskError(
            f"Only an assigned or resolved escalation can be handed back to the bot; escalation "
            f"{escalation.id} is {escalation.state.value}."
        )
    transition(
        session=session,
        escalation=escalation,
        to_state=EscalationState.BOT,
        actor=_actor(agent),
        reason="handed back to the bot",
        now=now,
    )
    chat.add_message(
        session=session,
        conversation=escalation.conversation,
        sender=Sender.SYSTEM,
        text=HANDED_BACK_TEXT,
        payload=HANDED_BACK,
    )
    return escalation


def rate(*, session: Session, escalation: Escalation, score: int, comment: str = "") -> Escalation:
    """The customer's rating of a resolved escalation: 1–5 and an optional comment (once;
    a second rating replaces the first)."""
    if escalation.state not in (EscalationState.RESOLVED, EscalationState.BOT):
        raise DeskError(
            "Only a resolved conversation can be rated; this one is "
            f"{escalation.state.value}, so the team is still working on it."
        )
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise DeskError(f"A rating is a whole number from 1 to 5, not {score!r}.")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise DeskError(
            f"A comment can be at most {MAX_COMMENT:,} characters; this is {len(comment):,}."
        )
    escalation.rating, escalation.rating_comment, escalation.rated_at = score, comment, utcnow()
    session.flush()
    return escalation


def save_as_draft(
    *,
    session: Session,
    escalation: Escalation,
    agent: User,
    title: str,
    question: str,
    answer: str,
) -> Article:
    """An article draft for editors from the customer's question and the agent's answer
    (``origin="conversation"``, ``origin_ref`` the conversation's public id).

    The answer is the body; the question becomes the article's first phrasing (how customers
    ask), cut to 500 characters at a word if longer.
    """
    _check_agent(agent, "save article drafts")
    question = _text(question, chat.MAX_TEXT, "question")
    answer = _text(answer, MAX_REPLY, "answer")
    public_id = escalation.conversation.public_id
    try:
        article = save_article(
            session=session,
            title=title,
            body=answer,
            status=ArticleStatus.DRAFT,
            author=agent,
            note=f"Draft from conversation {public_id} (escalation {escalation.id}).",
            phrasings=[_shorten(question, MAX_PHRASING)],
        ).article
    except ArticleError as error:
        raise DeskError(f"The draft could not be saved: {error}.") from error
    article.origin, article.origin_ref = "conversation", public_id
    session.flush()
    return article


def _shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0]
    return cut if 0 < len(cut) <= limit else text[:limit]
