"""kb.queue: fair order, views and counts, atomic claims, a customer's place and the wait."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb import queue
from kb.config import PriorityPolicy
from kb.escalations import transition
from kb.models import (
    ConversationState,
    EscalationEvent,
    EscalationState,
    Role,
    WebhookDelivery,
)
from kb.queue import AlreadyClaimed, EscalationNotFound, View
from tests.kb.desk_helpers import WEDNESDAY, make_user, queued, subscribe

POLICY = PriorityPolicy()
NOW = WEDNESDAY + timedelta(minutes=10)


def unassigned(session: Session, agent_id: int, now: datetime = NOW) -> list[int]:
    """The ids in the unassigned view, in order."""
    items = queue.list_queue(
        session=session, view="unassigned", agent_id=agent_id, now=now, policy=POLICY
    )
    return [item.escalation.id for item in items]


def test_priority_order_with_ageing(session: Session) -> None:
    """Premium before plus before free; urgency and tone count; waiting long enough wins."""
    agent = make_user(session, "Ann")
    free = queued(session, plan="free")
    plus = queued(session, plan="plus")
    premium = queued(session, plan="premium")
    urgent_free = queued(session, plan="free", texts=["my payment failed"], tones=[-0.5])
    assert unassigned(session, agent.id) == [premium.id, urgent_free.id, plus.id, free.id]
    # A free customer who waited 45 minutes before the premium one arrived is served first.
    old = queued(session, plan="free", at=WEDNESDAY - timedelta(minutes=45))
    assert unassigned(session, agent.id)[:2] == [old.id, premium.id]
    # Equal priority: first come, first served.
    twin = queued(session, plan="free")
    order = unassigned(session, agent.id)
    assert order.index(free.id) < order.index(twin.id)


def test_queue_item_shows_priority_wait_and_sla(session: Session) -> None:
    """Current priority, time waited and the service-level clock, on each row."""
    agent = make_user(session, "Ann")
    escalation = queued(session, plan="plus")  # 20 points, first reply due 4 business hours on
    [item] = queue.list_queue(
        session=session, view="all", agent_id=agent.id, now=NOW, policy=POLICY
    )
    assert item.priority == pytest.approx(30)  # 20 + 10 minutes of waiting
    assert item.waited_seconds == 600
    assert item.sla_target == "first_response"
    assert item.sla_seconds_left == pytest.approx(4 * 3600 - 600)
    assert not item.breached
    queue.claim(session=session, escalation_id=escalation.id, agent_id=agent.id, now=NOW)
    later = NOW + timedelta(hours=5)
    [item] = queue.list_queue(
        session=session, view="mine", agent_id=agent.id, now=later, policy=POLICY
    )
    assert item.waited_seconds == 600  # waiting stopped when it was taken
    assert item.breached and item.sla_seconds_left is not None and item.sla_seconds_left < 0


def test_views_and_counts(session: Session) -> None:
    """unassigned, mine, breached and all hold what they say; counts agree with the lists."""
    ann, bob = make_user(session, "Ann"), make_user(session, "Bob")
    waiting = queued(session, plan="premium")  # first reply due 15 minutes after queueing
    mine = queued(session, plan="plus")
    theirs = queued(session, plan="free")
    flagged = queued(session, plan="free")
    done = queued(session, plan="free")
    queue.claim(session=session, escalation_id=mine.id, agent_id=ann.id, now=NOW)
    queue.claim(session=session, escalation_id=theirs.id, agent_id=bob.id, now=NOW)
    queue.claim(session=session, escalation_id=done.id, agent_id=ann.id, now=NOW)
    transition(session=session, escalation=done, to_state=EscalationState.RESOLVED, actor="system")
    flagged.first_response_breached_at = NOW
    session.flush()
    late = WEDNESDAY + timedelta(minutes=20)  # the premium one is now 5 minutes overdue
    expected: dict[View, set[int]] = {
        "unassigned": {waiting.id, flagged.id},
        "mine": {mine.id},
        "breached": {waiting.id, flagged.id},
        "all": {waiting.id, mine.id, theirs.id, flagged.id},
    }
    for view, ids in expected.items():
        items = queue.list_queue(
            session=session, view=view, agent_id=ann.id, now=late, policy=POLICY
        )
        assert {item.escalation.id for item in items} == ids, view
    assert queue.counts(session=session, agent_id=ann.id, now=late) == {
        view: len(ids) for view, ids in expected.items()
    }
    assert queue.counts(session=session, agent_id=bob.id, now=NOW)["mine"] == 1
    with pytest.raises(ValueError, match="Unknown queue view"):
        queue.list_queue(
            session=session,
            view="later",  # type: ignore[arg-type]
            agent_id=ann.id,
            now=NOW,
            policy=POLICY,
        )
    page = queue.list_queue(
        session=session, view="all", agent_id=ann.id, now=late, policy=POLICY, limit=2, offset=1
    )
    assert len(page) == 2


def test_claim_is_recorded_and_announced(session: Session) -> None:
    """The agent owns it, the log says who took it, the conversation follows, a webhook is queued."""
    subscribe(session)
    agent = make_user(session, "Ann")
    escalation = queued(session)
    taken = queue.claim(session=session, escalation_id=escalation.id, agent_id=agent.id, now=NOW)
    assert taken is escalation
    assert (taken.state, taken.assigned_to, taken.agent) == (
        EscalationState.ASSIGNED,
        agent.id,
        agent,
    )
    assert taken.conversation.state == ConversationState.ASSIGNED
    last = taken.events[-1]
    assert (last.from_state, last.to_state, last.actor) == (
        EscalationState.QUEUED,
        EscalationState.ASSIGNED,
        f"agent:{agent.id}",
    )
    events = [
        d.event for d in session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
    ]
    assert events == ["escalation.created", "escalation.assigned"]
    delivery = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id.desc())).first()
    assert delivery is not None
    assert delivery.payload["data"]["assigned_to"] == {"id": agent.id, "name": "Ann"}


def test_claim_refuses_what_is_not_waiting(session: Session) -> None:
    """A second claim gets AlreadyClaimed naming the state; unknown ids are not found."""
    ann, bob = make_user(session, "Ann"), make_user(session, "Bob")
    escalation = queued(session)
    queue.claim(session=session, escalation_id=escalation.id, agent_id=ann.id)
    with pytest.raises(AlreadyClaimed, match="is not waiting any more: it is assigned"):
        queue.claim(session=session, escalation_id=escalation.id, agent_id=bob.id)
    assert escalation.assigned_to == ann.id
    with pytest.raises(EscalationNotFound, match="no escalation with id 999999"):
        queue.claim(session=session, escalation_id=999999, agent_id=bob.id)
    with pytest.raises(EscalationNotFound):
        queue.get(session=session, escalation_id=999999)
    count = session.scalars(
        select(EscalationEvent).where(EscalationEvent.escalation_id == escalation.id)
    ).all()
    assert len(count) == 2  # queued, assigned: the refused claim left no trace


def test_claim_next_takes_the_top_until_empty(session: Session) -> None:
    """Highest priority first, then the next; None when nothing waits."""
    agent = make_user(session, "Ann")
    assert queue.claim_next(session=session, agent_id=agent.id) is None
    free, premium = queued(session, plan="free"), queued(session, plan="premium")
    plus = queued(session, plan="plus")
    queue.claim(session=session, escalation_id=plus.id, agent_id=agent.id)
    taken = [queue.claim_next(session=session, agent_id=agent.id, now=NOW) for _ in range(3)]
    assert taken == [premium, free, None]
    assert premium.assigned_at is not None and premium.assigned_to == agent.id


def test_place_in_queue_and_wait_estimate(session: Session) -> None:
    """Position counts those ahead; the wait is position × handling time ÷ agents online."""
    ann = make_user(session, "Ann", seen=NOW - timedelta(minutes=1))
    premium, plus = queued(session, plan="premium"), queued(session, plan="plus")
    free = queued(session, plan="free")
    place = queue.place_in_queue(session=session, escalation=free, now=NOW, online_minutes=5)
    assert place == queue.QueuePlace(
        position=3, ahead=2, estimated_wait_minutes=30, agents_online=1
    )
    make_user(session, "Bob", Role.ADMIN, seen=NOW)
    place = queue.place_in_queue(session=session, escalation=free, now=NOW, online_minutes=5)
    assert place is not None and place.estimated_wait_minutes == 15  # 3 × 10 ÷ 2
    first = queue.place_in_queue(session=session, escalation=premium, now=NOW, online_minutes=5)
    assert first is not None and (first.position, first.ahead) == (1, 0)
    # Recent handling times (median 4 minutes) replace the 10-minute default.
    for minutes, escalation in ((2, premium), (4, plus)):
        queue.claim(session=session, escalation_id=escalation.id, agent_id=ann.id, now=NOW)
        escalation.resolved_at, escalation.state = (
            NOW + timedelta(minutes=minutes),
            EscalationState.RESOLVED,
        )
    extra = queued(session, plan="free")
    session.flush()
    assert queue.handling_minutes(session=session) == 3
    place = queue.place_in_queue(session=session, escalation=extra, now=NOW, online_minutes=5)
    assert place is not None and (place.position, place.estimated_wait_minutes) == (2, 3)
    assert (
        queue.place_in_queue(session=session, escalation=premium, now=NOW, online_minutes=5) is None
    )


def test_wait_with_nobody_online_is_the_first_response_target(session: Session) -> None:
    """Nobody on the desk: the honest answer is the time left until the promised first reply."""
    plus = queued(session, plan="plus")  # first reply due 4 business hours after queueing
    place = queue.place_in_queue(session=session, escalation=plus, now=NOW, online_minutes=5)
    assert place == queue.QueuePlace(1, 0, 4 * 60 - 10, 0)
    overdue = queue.place_in_queue(
        session=session, escalation=plus, now=NOW + timedelta(hours=5), online_minutes=5
    )
    assert overdue is not None and overdue.estimated_wait_minutes == 10  # the default heuristic


def test_agents_online(session: Session) -> None:
    """Agents and admins seen recently and not suspended; editors, customers and others not."""
    make_user(session, "Ann", seen=NOW - timedelta(minutes=4))
    make_user(session, "Adam", Role.ADMIN, seen=NOW)
    make_user(session, "Old", seen=NOW - timedelta(minutes=6))
    make_user(session, "Never")
    make_user(session, "Sus", seen=NOW, suspended=True)
    make_user(session, "Eddie", Role.EDITOR, seen=NOW)
    make_user(session, "Cust", Role.CUSTOMER, seen=NOW)
    assert queue.agents_online(session=session, now=NOW, minutes=5) == 2
    assert queue.agents_online(session=session, now=NOW, minutes=10) == 3
