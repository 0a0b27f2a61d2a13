"""Factories for the queue and desk tests: staff, and conversations queued for the team."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from kb import chat
from kb.availability import plan_for
from kb.config import DEFAULT_PLANS, PriorityPolicy
from kb.escalations import escalate
from kb.models import Escalation, Role, User, Webhook
from kb.webhooks import EVENTS

WEDNESDAY = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
"""A working morning (10:00 in London) to queue things at."""


def make_user(
    session: Session,
    name: str,
    role: Role = Role.AGENT,
    *,
    seen: datetime | None = None,
    suspended: bool = False,
) -> User:
    """A staff member (or customer account) named ``name``."""
    user = User(
        display_name=name,
        email=f"{name.lower()}@example.com",
        role=role,
        last_seen_at=seen,
        suspended=suspended,
    )
    session.add(user)
    session.flush()
    return user


def queued(
    session: Session,
    *,
    plan: str = "free",
    texts: Sequence[str] = ("where is my order?",),
    tones: Sequence[float | None] = (),
    reason: str = "failed_answers",
    at: datetime = WEDNESDAY,
    policy: PriorityPolicy | None = None,
) -> Escalation:
    """A conversation whose customer said ``texts`` handed to the team at ``at``."""
    talk = chat.start_conversation(session=session).conversation
    turns: list[dict[str, Any]] = [
        {"text": text, "tone": tones[i] if i < len(tones) else None, "at": at.isoformat()}
        for i, text in enumerate(texts)
    ]
    return escalate(
        session=session,
        conversation=talk,
        reason=reason,
        actor="bot",
        summary=f"The customer asked {texts[0]!r}." if texts else "",
        context={"handoff": {"reason": reason, "turns": turns}, "transcript": []},
        plan=plan_for(DEFAULT_PLANS, plan),
        policy=policy or PriorityPolicy(),
        now=at,
    )


def subscribe(session: Session, events: Sequence[str] = EVENTS) -> Webhook:
    """An active webhook for these events, so emitted events leave deliveries to look at."""
    hook = Webhook(url="https://hooks.example.com/tier0", secret="s" * 32, events=list(events))
    session.add(hook)
    session.flush()
    return hook
