"""What agents do with an escalation they own: reply, note, release, reassign, resolve, hand back,
save the answer as an article draft; and the customer's rating afterwards.

Every change of state goes through kb.escalations (stored with actor, time and reason) and emits
its webhook event (kb.webhooks). Functions take the session explicitly and flush; the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kb.models import Article, Escalation, EscalationNote, Message, User


class DeskError(ValueError):
    """An action the desk refuses (not yours, wrong state, empty text); the message says why."""


def reply(
    *, session: Session, escalation: Escalation, agent: User, text: str, now: datetime | None = None
) -> Message:
    """An agent's message to the customer (1–5000 characters); only the owner of an assigned
    escalation may reply. The first reply sets ``first_response_at``."""
    raise NotImplementedError


def add_note(*, session: Session, escalation: Escalation, agent: User, text: str) -> EscalationNote:
    """An internal note (never shown to the customer); any agent may add one."""
    raise NotImplementedError


def release(
    *, session: Session, escalation: Escalation, agent: User, reason: str = ""
) -> Escalation:
    """Put an assigned escalation back in the queue (its owner or an admin)."""
    raise NotImplementedError


def reassign(
    *, session: Session, escalation: Escalation, agent: User, to: User, reason: str = ""
) -> Escalation:
    """Give an assigned escalation to another agent (its owner or an admin; ``to`` must be an
    agent or admin and not suspended)."""
    raise NotImplementedError


def resolve(
    *,
    session: Session,
    escalation: Escalation,
    agent: User,
    note: str = "",
    now: datetime | None = None,
) -> Escalation:
    """Resolve with a note; the customer is asked for a rating (a system message ``rating_request``)."""
    raise NotImplementedError


def hand_back(*, session: Session, escalation: Escalation, agent: User) -> Escalation:
    """Give the conversation back to the bot (resolving it first if it is assigned); the bot is
    told on the customer's next message that it was handed back."""
    raise NotImplementedError


def rate(*, session: Session, escalation: Escalation, score: int, comment: str = "") -> Escalation:
    """The customer's rating of a resolved escalation: 1–5 and an optional comment (once;
    a second rating replaces the first)."""
    raise NotImplementedError


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
    (``origin="conversation"``, ``origin_ref`` the conversation's public id)."""
    raise NotImplementedError
