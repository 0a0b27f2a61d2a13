"""web.chat.handoff with the desk: priority and service levels on handoff, honest availability."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from kb import chat
from kb.config import DEFAULT_PLANS, PriorityPolicy
from kb.escalations import latest_escalation, transition
from kb.models import Conversation, EscalationState, Role, Sender, User, as_utc
from web.chat.handoff import Team, hand_over, reopen_for_customer

WEDNESDAY = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)  # 10:00 in London: the team works
TEAM = Team(plans=DEFAULT_PLANS, priority=PriorityPolicy(), online_minutes=5)


def handed_over(
    session: Session, text: str = "my card declined", tone: float = -0.5
) -> Conversation:
    """A conversation the bot handed to the team at WEDNESDAY."""
    conversation = chat.start_conversation(session=session).conversation
    chat.add_message(session=session, conversation=conversation, sender=Sender.CUSTOMER, text=text)
    handoff = {
        "reason": "failed_answers",
        "summary": "Card trouble.",
        "turns": [{"text": text, "tone": tone, "intent": None, "confidence": None, "at": ""}],
        "ask_email": False,
    }
    hand_over(
        session=session,
        conversation=conversation,
        handoff=handoff,
        actor="bot",
        team=TEAM,
        now=WEDNESDAY,
    )
    return conversation


def last_system_text(session: Session, conversation: Conversation) -> str:
    """The newest system message."""
    message = chat.latest_message(
        session=session, conversation=conversation, senders=[Sender.SYSTEM]
    )
    assert message is not None
    return message.text


def test_handoff_sets_priority_and_due_times(session: Session) -> None:
    """Urgent topic and negative tone count; due times follow the free plan's business hours."""
    conversation = handed_over(session)
    escalation = latest_escalation(session=session, conversation=conversation)
    assert escalation is not None
    assert escalation.priority_points == 40  # urgency 30 + tone 20 × 0.5
    assert escalation.priority_factors["urgent_topics"] == ["payment_failure"]
    due = escalation.first_response_due
    assert due is not None and as_utc(due) == WEDNESDAY + timedelta(days=1)  # next working day


def test_nobody_online_is_said_honestly(session: Session) -> None:
    """In business hours with no agent on the desk, the customer is not told 'available now'."""
    conversation = handed_over(session)
    assert last_system_text(session, conversation).startswith(
        "Nobody from our team is online right now"
    )
    agent = User(display_name="Ann", email="ann@example.com", role=Role.AGENT)
    agent.last_seen_at = WEDNESDAY - timedelta(minutes=1)
    session.add(agent)
    session.flush()
    other = handed_over(session, text="hello", tone=0.2)
    assert last_system_text(session, other).startswith("Our team is available now")


def test_reopen_requeues_with_new_due_times(session: Session) -> None:
    """The customer writes after resolution: queued afresh from that moment."""
    conversation = handed_over(session)
    escalation = latest_escalation(session=session, conversation=conversation)
    assert escalation is not None
    for state in (EscalationState.ASSIGNED, EscalationState.RESOLVED):
        transition(session=session, escalation=escalation, to_state=state, actor="system")
    thursday = WEDNESDAY + timedelta(days=1)
    reopen_for_customer(session=session, conversation=conversation, team=TEAM, now=thursday)
    assert escalation.state == EscalationState.QUEUED
    due = escalation.first_response_due
    assert due is not None and as_utc(due) == thursday + timedelta(days=1)
    assert "aims to reply within 1 business day" in last_system_text(session, conversation)
