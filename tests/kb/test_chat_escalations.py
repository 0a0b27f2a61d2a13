"""kb.escalations (the state machine and its log) and kb.availability (honest waiting times)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from kb import chat
from kb.availability import availability_notice, is_open, plan_for
from kb.config import DEFAULT_PLANS, BusinessHours
from kb.escalations import (
    TRANSITIONS,
    EscalationError,
    check_actor,
    escalate,
    latest_escalation,
    reopen,
    transition,
)
from kb.models import Conversation, ConversationState, EscalationState

Q, A, R, B = (
    EscalationState.QUEUED,
    EscalationState.ASSIGNED,
    EscalationState.RESOLVED,
    EscalationState.BOT,
)


def conversation(session: Session) -> Conversation:
    """A new conversation with the bot."""
    return chat.start_conversation(session=session).conversation


def test_escalate_queues_the_conversation(session: Session) -> None:
    """A new queued escalation with its context and a first event; the conversation follows."""
    talk = conversation(session)
    escalation = escalate(
        session=session,
        conversation=talk,
        reason="business_rule",
        actor="bot",
        reason_detail="rule 'fraud' matched 'chargeback'",
        summary="Suspected fraud on order A1.",
        context={"handoff": {"reason": "business_rule"}, "transcript": []},
        plan=plan_for(DEFAULT_PLANS, "plus"),
    )
    assert escalation.state == Q and talk.state == ConversationState.QUEUED
    assert (escalation.reason, escalation.plan, escalation.assigned_to) == (
        "business_rule",
        "plus",
        None,
    )
    assert escalation.context["handoff"] == {"reason": "business_rule"}
    [event] = escalation.events
    assert (event.from_state, event.to_state, event.actor, event.reason) == (
        None,
        Q,
        "bot",
        "business_rule",
    )
    assert latest_escalation(session=session, conversation=talk) is escalation


def test_escalate_refuses_bad_input(session: Session) -> None:
    """Unknown reasons and actors, and conversations a person already has, are refused."""
    talk = conversation(session)
    with pytest.raises(EscalationError, match="Unknown handoff reason"):
        escalate(session=session, conversation=talk, reason="boredom", actor="bot")
    with pytest.raises(EscalationError, match="Unknown actor"):
        escalate(session=session, conversation=talk, reason="no_answer", actor="robot")
    escalate(session=session, conversation=talk, reason="no_answer", actor="bot")
    with pytest.raises(EscalationError, match="this one is queued"):
        escalate(session=session, conversation=talk, reason="no_answer", actor="bot")


@pytest.mark.parametrize("actor", ["bot", "system", "customer", "agent:1", "agent:123456"])
def test_actors(actor: str) -> None:
    """Who may change an escalation: the bot, the system, the customer or an agent by id."""
    assert check_actor(actor) == actor


@pytest.mark.parametrize("actor", ["agent", "agent:", "agent:0", "agent:x", "admin", " bot"])
def test_bad_actors(actor: str) -> None:
    """Anything else is refused."""
    with pytest.raises(EscalationError):
        check_actor(actor)


def test_every_transition_is_checked(session: Session) -> None:
    """Exactly the documented transitions are allowed, each logged; the rest are refused."""
    legal = {(Q, A), (A, R), (A, Q), (R, B), (R, Q)}
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == legal
    for source in EscalationState:
        for target in EscalationState:
            talk = conversation(session)
            escalation = escalate(
                session=session, conversation=talk, reason="no_answer", actor="bot"
            )
            escalation.state = source
            if (source, target) in legal:
                event = transition(
                    session=session,
                    escalation=escalation,
                    to_state=target,
                    actor="agent:7",
                    reason="r",
                )
                assert (event.from_state, event.to_state, event.actor) == (
                    source,
                    target,
                    "agent:7",
                )
                assert escalation.state == target
                assert talk.state.value == target.value
                assert talk.handed_back == (target == B)
            else:
                with pytest.raises(EscalationError, match="cannot go from"):
                    transition(
                        session=session, escalation=escalation, to_state=target, actor="system"
                    )
                assert escalation.state == source


def test_reopen_after_resolution(session: Session) -> None:
    """A resolved escalation goes back to the queue as the customer's doing; others cannot."""
    talk = conversation(session)
    escalation = escalate(
        session=session, conversation=talk, reason="customer_request", actor="bot"
    )
    with pytest.raises(EscalationError, match="Only a resolved"):
        reopen(session=session, conversation=talk, reason="wrote again")
    for state in (A, R):
        transition(session=session, escalation=escalation, to_state=state, actor="agent:1")
    assert reopen(session=session, conversation=talk, reason="wrote again") is escalation
    assert escalation.state == Q and talk.state == ConversationState.QUEUED
    last = escalation.events[-1]
    assert (last.from_state, last.to_state, last.actor, last.reason) == (
        R,
        Q,
        "customer",
        "wrote again",
    )


def test_handed_back_conversation_can_be_escalated_again(session: Session) -> None:
    """After a handback the bot has it again, and a new handoff makes a new escalation."""
    talk = conversation(session)
    first = escalate(session=session, conversation=talk, reason="customer_request", actor="bot")
    for state in (A, R, B):
        transition(session=session, escalation=first, to_state=state, actor="agent:1")
    assert talk.state == ConversationState.BOT and talk.handed_back
    second = escalate(session=session, conversation=talk, reason="negative_tone", actor="bot")
    assert second.id != first.id and not talk.handed_back
    assert latest_escalation(session=session, conversation=talk) is second


# -- availability ----------------------------------------------------------------------------

FREE, PLUS, PREMIUM = DEFAULT_PLANS
LONDON = BusinessHours()


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 6, 3, 9, 0, tzinfo=UTC), True),  # Wed 10:00 BST
        (datetime(2026, 6, 3, 6, 59, tzinfo=UTC), False),  # Wed 07:59 BST
        (datetime(2026, 6, 3, 7, 0, tzinfo=UTC), True),  # Wed 08:00 BST
        (datetime(2026, 6, 3, 17, 0, tzinfo=UTC), False),  # Wed 18:00 BST: closed
        (datetime(2026, 1, 7, 17, 30, tzinfo=UTC), True),  # Wed 17:30 GMT
        (datetime(2026, 6, 6, 12, 0, tzinfo=UTC), False),  # Saturday
    ],
)
def test_is_open_in_local_time(moment: datetime, expected: bool) -> None:
    """Business hours are judged in the plan's time zone, summer time included."""
    assert is_open(LONDON, moment) is expected


def test_is_open_edge_cases() -> None:
    """No hours means always; naive times are refused; 24:00 closes at midnight."""
    assert is_open(None, datetime(2026, 6, 6, 3, 0, tzinfo=UTC))
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(LONDON, datetime(2026, 6, 3, 9, 0))
    late = BusinessHours(days=[0, 1, 2, 3, 4, 5, 6], start="00:00", end="24:00", timezone="UTC")
    assert is_open(late, datetime(2026, 6, 6, 23, 59, tzinfo=UTC))


def test_availability_notice_wording() -> None:
    """Open now, away now, or around the clock, with the plan's first-response target."""
    open_now = availability_notice(PLUS, datetime(2026, 6, 3, 9, 0, tzinfo=UTC))
    assert open_now == (
        "Our team is available now (Mon–Fri 08:00–18:00 London time) and aims to reply "
        "within 4 business hours, right here in this chat."
    )
    away = availability_notice(FREE, datetime(2026, 6, 6, 12, 0, tzinfo=UTC))
    assert away.startswith(
        "Our team is away right now; we're here Mon–Fri 08:00–18:00 London time."
    )
    assert "within 1 business day" in away and "saved" in away
    always = availability_notice(PREMIUM, datetime(2026, 6, 6, 3, 0, tzinfo=UTC))
    assert always.startswith("Our team is available around the clock")
    assert "15 minutes" in always


def test_availability_notice_is_honest_about_nobody_online() -> None:
    """Open hours but no agent on the desk, or around the clock with nobody there: said plainly."""
    wednesday = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
    nobody = availability_notice(PLUS, wednesday, agents_online=0)
    assert nobody == (
        "Nobody from our team is online right now (we're here Mon–Fri 08:00–18:00 London time). "
        "Your message is saved and the team aims to reply within 4 business hours, right here in "
        "this chat."
    )
    assert availability_notice(PLUS, wednesday, agents_online=2).startswith(
        "Our team is available now"
    )
    assert availability_notice(PLUS, wednesday) == availability_notice(PLUS, wednesday, 1)
    saturday = datetime(2026, 6, 6, 12, 0, tzinfo=UTC)
    assert availability_notice(PLUS, saturday, 0) == availability_notice(PLUS, saturday, 3)
    always = availability_notice(PREMIUM, saturday, agents_online=0)
    assert "nobody is online right this moment" in always and "15 minutes" in always


def test_plan_for_falls_back_to_free() -> None:
    """Unknown or missing plan keys get the free plan."""
    plans = list(DEFAULT_PLANS)
    assert plan_for(plans, "premium") is PREMIUM
    assert plan_for(plans, None) is FREE
    assert plan_for(plans, "gold") is FREE
    assert plan_for([PLUS], "gold") is PLUS
    with pytest.raises(ValueError, match="no service plans"):
        plan_for([], "free")
