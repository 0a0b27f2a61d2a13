"""kb.desk: what agents do with escalations, who may do it in which state, and what is logged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb import chat, desk, queue
from kb.articles import list_revisions
from kb.desk import DeskError
from kb.escalations import EscalationError, reopen, transition
from kb.models import (
    ArticleStatus,
    ConversationState,
    Escalation,
    EscalationState,
    Message,
    Role,
    Sender,
    User,
    WebhookDelivery,
    as_utc,
)
from tests.kb.desk_helpers import WEDNESDAY, make_user, queued, subscribe

Q, A, R, B = (
    EscalationState.QUEUED,
    EscalationState.ASSIGNED,
    EscalationState.RESOLVED,
    EscalationState.BOT,
)


def taken(session: Session, agent: User, **kwargs: Any) -> Escalation:
    """A queued escalation claimed by ``agent``."""
    escalation = queued(session, **kwargs)
    queue.claim(session=session, escalation_id=escalation.id, agent_id=agent.id)
    return escalation


def messages(session: Session, escalation: Escalation) -> list[Message]:
    """Everything in the escalation's conversation."""
    return chat.messages_after(session=session, conversation=escalation.conversation)


def webhook_events(session: Session) -> list[str]:
    """The events queued for webhooks, in order."""
    return [d.event for d in session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))]


def log(escalation: Escalation) -> list[tuple[str | None, str, str]]:
    """(from, to, actor) of every recorded change."""
    return [
        (e.from_state.value if e.from_state else None, e.to_state.value, e.actor)
        for e in escalation.events
    ]


def test_reply_by_the_owner(session: Session) -> None:
    """An agent message with its author; the first reply sets first_response_at, once."""
    ann = make_user(session, "Ann")
    escalation = taken(session, ann)
    first = desk.reply(session=session, escalation=escalation, agent=ann, text="  Hello!  ")
    assert (first.sender, first.text, first.author_id) == (Sender.AGENT, "Hello!", ann.id)
    answered = escalation.first_response_at
    assert answered is not None
    desk.reply(
        session=session,
        escalation=escalation,
        agent=ann,
        text="More",
        now=WEDNESDAY + timedelta(hours=9),
    )
    assert escalation.first_response_at is not None
    assert as_utc(escalation.first_response_at) == as_utc(answered)
    assert [m.text for m in messages(session, escalation) if m.sender == Sender.AGENT] == [
        "Hello!",
        "More",
    ]


def test_a_late_first_reply_is_a_breach(session: Session) -> None:
    """A first reply after the due time flags the breach once and tells the webhooks, even if
    the worker never saw the escalation overdue; an on-time reply flags nothing."""
    hook = subscribe(session, ["sla.breached"])
    ann = make_user(session, "Ann")
    on_time = taken(session, ann, plan="premium")
    desk.reply(session=session, escalation=on_time, agent=ann, text="Hi", now=WEDNESDAY)
    assert on_time.first_response_breached_at is None
    late = taken(session, ann, plan="premium")
    due = late.first_response_due
    assert due is not None
    at = as_utc(due) + timedelta(minutes=1)
    desk.reply(session=session, escalation=late, agent=ann, text="Sorry for the wait", now=at)
    desk.reply(session=session, escalation=late, agent=ann, text="Still here", now=at)
    assert late.first_response_breached_at is not None
    assert as_utc(late.first_response_breached_at) == at
    sent = session.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id))
    assert [(d.payload["data"]["target"], d.payload["data"]["escalation"]["id"]) for d in sent] == [
        ("first_response", late.id)
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [("", "empty"), ("   ", "empty"), ("x" * 5001, "at most 5,000 characters; this is 5,001")],
)
def test_reply_text_is_checked(session: Session, text: str, error: str) -> None:
    """Blank or too long replies are refused, saying why."""
    ann = make_user(session, "Ann")
    escalation = taken(session, ann)
    with pytest.raises(DeskError, match=error):
        desk.reply(session=session, escalation=escalation, agent=ann, text=text)


def test_only_the_owner_replies(session: Session) -> None:
    """Colleagues, admins, editors and suspended agents cannot reply; nobody while queued."""
    ann, bob = make_user(session, "Ann"), make_user(session, "Bob")
    admin = make_user(session, "Ada", Role.ADMIN)
    editor = make_user(session, "Eddie", Role.EDITOR)
    waiting = queued(session)
    with pytest.raises(DeskError, match=r"only reply to an assigned escalation; .* is queued"):
        desk.reply(session=session, escalation=waiting, agent=ann, text="hi")
    escalation = taken(session, ann)
    with pytest.raises(DeskError, match="belongs to Ann; only they can reply to it"):
        desk.reply(session=session, escalation=escalation, agent=bob, text="hi")
    with pytest.raises(DeskError, match="belongs to Ann"):
        desk.reply(session=session, escalation=escalation, agent=admin, text="hi")
    with pytest.raises(DeskError, match="Only agents and admins can reply; Eddie is editor"):
        desk.reply(session=session, escalation=escalation, agent=editor, text="hi")
    ann.suspended = True
    with pytest.raises(DeskError, match="Ann is suspended"):
        desk.reply(session=session, escalation=escalation, agent=ann, text="hi")
    assert escalation.first_response_at is None


def test_notes_are_internal(session: Session) -> None:
    """Any agent may add a note in any state; it never becomes a chat message."""
    ann, bob = make_user(session, "Ann"), make_user(session, "Bob")
    escalation = taken(session, ann)
    note = desk.add_note(session=session, escalation=escalation, agent=bob, text="VIP, careful")
    assert (note.author_id, note.text, note.escalation_id) == (
        bob.id,
        "VIP, careful",
        escalation.id,
    )
    assert all("VIP" not in m.text for m in messages(session, escalation))
    with pytest.raises(DeskError, match="note is empty"):
        desk.add_note(session=session, escalation=escalation, agent=bob, text=" ")
    with pytest.raises(DeskError, match="Only agents and admins can add notes"):
        desk.add_note(
            session=session,
            escalation=escalation,
            agent=make_user(session, "Cy", Role.CUSTOMER),
            text="x",
        )


def test_release_keeps_the_waiting_time(session: Session) -> None:
    """Back in the queue at the same place: queue time and key kept, owner cleared, logged."""
    ann, bob = make_user(session, "Ann"), make_user(session, "Bob")
    admin = make_user(session, "Ada", Role.ADMIN)
    escalation = taken(session, ann)
    queued_at, key = escalation.queued_at, escalation.priority_key
    with pytest.raises(DeskError, match="belongs to Ann; only they can release it"):
        desk.release(session=session, escalation=escalation, agent=bob)
    desk.release(session=session, escalation=escalation, agent=ann, reason="going to lunch")
    assert (escalation.state, escalation.assigned_to, escalation.assigned_at) == (Q, None, None)
    assert (escalation.queued_at, escalation.priority_key) == (queued_at, key)
    assert escalation.conversation.state == ConversationState.QUEUED
    assert escalation.events[-1].reason == "going to lunch"
    queue.claim(session=session, escalation_id=escalation.id, agent_id=bob.id)
    desk.release(session=session, escalation=escalation, agent=admin)  # admins may release
    assert log(escalation)[-1] == ("assigned", "queued", f"agent:{admin.id}")
    with pytest.raises(DeskError, match="only release an assigned escalation"):
        desk.release(session=session, escalation=escalation, agent=admin)


def test_reassign(session: Session) -> None:
    """Owner or admin hands it to another active agent: logged as release + assignment."""
    subscribe(session)
    ann, bob = make_user(session, "Ann"), make_user(session, "Bob")
    admin = make_user(session, "Ada", Role.ADMIN)
    escalation = taken(session, ann)
    desk.reassign(session=session, escalation=escalation, agent=ann, to=bob)
    assert (escalation.state, escalation.assigned_to, escalation.agent) == (A, bob.id, bob)
    assert log(escalation)[-2:] == [
        ("assigned", "queued", f"agent:{ann.id}"),
        ("queued", "assigned", f"agent:{ann.id}"),
    ]
    assert escalation.events[-1].reason == "reassigned to Bob"
    assert webhook_events(session)[-1] == "escalation.assigned"
    with pytest.raises(DeskError, match="belongs to Bob; only they can reassign it"):
        desk.reassign(session=session, escalation=escalation, agent=ann, to=ann)
    desk.reassign(session=session, escalation=escalation, agent=admin, to=admin)
    assert escalation.assigned_to == admin.id
    with pytest.raises(DeskError, match="already belongs to Ada"):
        desk.reassign(session=session, escalation=escalation, agent=admin, to=admin)
    editor = make_user(session, "Eddie", Role.EDITOR)
    with pytest.raises(DeskError, match="Eddie is editor, not an agent or admin"):
        desk.reassign(session=session, escalation=escalation, agent=admin, to=editor)
    gone = make_user(session, "Gus", suspended=True)
    with pytest.raises(DeskError, match="Gus is suspended"):
        desk.reassign(session=session, escalation=escalation, agent=admin, to=gone)


def test_resolve_asks_for_a_rating(session: Session) -> None:
    """Resolved with the note and time; the customer gets a rating request; webhook queued."""
    subscribe(session)
    ann = make_user(session, "Ann")
    escalation = taken(session, ann)
    desk.resolve(session=session, escalation=escalation, agent=ann, note=" Refund sent. ")
    assert (escalation.state, escalation.resolution_note) == (R, "Refund sent.")
    assert escalation.resolved_at is not None
    assert escalation.conversation.state == ConversationState.RESOLVED
    last = messages(session, escalation)[-1]
    assert (last.sender, last.payload, last.text) == (
        Sender.SYSTEM,
        "rating_request",
        desk.RATING_REQUEST_TEXT,
    )
    assert webhook_events(session)[-1] == "escalation.resolved"
    delivery = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id.desc())).first()
    assert delivery is not None and delivery.payload["data"]["resolution_note"] == "Refund sent."
    with pytest.raises(DeskError, match=r"only resolve an assigned escalation; .* is resolved"):
        desk.resolve(session=session, escalation=escalation, agent=ann)


def test_hand_back_from_assigned_and_from_resolved(session: Session) -> None:
    """Assigned: resolved then handed back; resolved: handed back. The bot is told."""
    ann, bob = make_user(session, "Ann"), make_user(session, "Bob")
    escalation = taken(session, ann)
    desk.hand_back(session=session, escalation=escalation, agent=ann, note="done")
    assert escalation.state == B and escalation.resolution_note == "done"
    conversation = escalation.conversation
    assert conversation.state == ConversationState.BOT and conversation.handed_back
    assert [m.payload for m in messages(session, escalation)[-2:]] == [
        "rating_request",
        "handed_back",
    ]
    assert [(f, t) for f, t, _ in log(escalation)][-2:] == [
        ("assigned", "resolved"),
        ("resolved", "bot"),
    ]
    other = taken(session, ann)
    desk.resolve(session=session, escalation=other, agent=ann)
    desk.hand_back(session=session, escalation=other, agent=bob)  # any agent, once resolved
    assert log(other)[-1] == ("resolved", "bot", f"agent:{bob.id}")
    with pytest.raises(DeskError, match="belongs to Ann; only they can resolve it"):
        desk.hand_back(session=session, escalation=taken(session, ann), agent=bob)
    with pytest.raises(
        DeskError, match="Only an assigned or resolved escalation can be handed back"
    ):
        desk.hand_back(session=session, escalation=queued(session), agent=ann)


def test_rating(session: Session) -> None:
    """Resolved or handed-back conversations take a 1–5 rating and a comment; a new one replaces."""
    ann = make_user(session, "Ann")
    escalation = taken(session, ann)
    with pytest.raises(
        DeskError, match="Only a resolved conversation can be rated; this one is assigned"
    ):
        desk.rate(session=session, escalation=escalation, score=5)
    desk.resolve(session=session, escalation=escalation, agent=ann)
    desk.rate(session=session, escalation=escalation, score=4, comment=" quick, thanks ")
    assert (escalation.rating, escalation.rating_comment) == (4, "quick, thanks")
    assert escalation.rated_at is not None
    desk.hand_back(session=session, escalation=escalation, agent=ann)
    desk.rate(session=session, escalation=escalation, score=5)
    assert (escalation.rating, escalation.rating_comment) == (5, "")
    for score in (0, 6, True, 4.5, "5"):
        with pytest.raises(DeskError, match="whole number from 1 to 5"):
            desk.rate(session=session, escalation=escalation, score=score)  # type: ignore[arg-type]
    with pytest.raises(DeskError, match="at most 2,000 characters"):
        desk.rate(session=session, escalation=escalation, score=3, comment="x" * 2001)
    assert escalation.rating == 5


def test_save_as_draft(session: Session) -> None:
    """A draft with the answer as body and the question as phrasing, linked to the conversation."""
    ann = make_user(session, "Ann")
    escalation = taken(session, ann)
    question = "Can I return sale items? " + "really " * 100
    article = desk.save_as_draft(
        session=session,
        escalation=escalation,
        agent=ann,
        title="Returning sale items",
        question=question,
        answer="Yes, within 14 days.",
    )
    assert (article.status, article.body, article.author) == (
        ArticleStatus.DRAFT,
        "Yes, within 14 days.",
        ann,
    )
    assert (article.origin, article.origin_ref) == (
        "conversation",
        escalation.conversation.public_id,
    )
    [phrasing] = article.phrasings
    assert phrasing.text.startswith("Can I return sale items?") and len(phrasing.text) <= 500
    [revision] = list_revisions(session=session, article=article)
    assert revision.author_id == ann.id and escalation.conversation.public_id in revision.note
    again = desk.save_as_draft(
        session=session,
        escalation=escalation,
        agent=ann,
        title="Returning sale items",
        question="Sale returns?",
        answer="Yes.",
    )
    assert again.slug == f"{article.slug}-2"
    with pytest.raises(DeskError, match="title is empty"):
        desk.save_as_draft(
            session=session, escalation=escalation, agent=ann, title=" ", question="q", answer="a"
        )
    with pytest.raises(DeskError, match="answer is empty"):
        desk.save_as_draft(
            session=session, escalation=escalation, agent=ann, title="T", question="q", answer=""
        )


def test_reopen_queues_afresh(session: Session) -> None:
    """The customer writes after resolution: new queue time, key and due times, no old flags."""
    ann = make_user(session, "Ann")
    escalation = taken(session, ann, plan="plus")
    desk.reply(session=session, escalation=escalation, agent=ann, text="hi")
    escalation.first_response_breached_at = escalation.resolution_breached_at = WEDNESDAY
    desk.resolve(session=session, escalation=escalation, agent=ann)
    later = WEDNESDAY + timedelta(days=1)  # Thursday 10:00 London
    old_key, points = escalation.priority_key, escalation.priority_points
    reopen(session=session, conversation=escalation.conversation, reason="wrote again", now=later)
    assert escalation.state == Q and escalation.conversation.state == ConversationState.QUEUED
    assert as_utc(escalation.queued_at) == later and escalation.priority_points == points
    assert escalation.priority_key == pytest.approx(old_key - 24 * 60)  # a day's ageing lost
    assert escalation.first_response_due == later + timedelta(hours=4)
    assert escalation.resolution_due == later + timedelta(days=1)  # 1 business day = 10 hours
    assert escalation.first_response_at is None and escalation.resolved_at is None
    assert escalation.assigned_to is None
    assert not any([escalation.first_response_breached_at, escalation.resolution_breached_at])


Action = Callable[[Session, Escalation, User, User], object]
ACTIONS: dict[str, Action] = {
    "reply": lambda s, e, a, o: desk.reply(session=s, escalation=e, agent=a, text="hi"),
    "release": lambda s, e, a, o: desk.release(session=s, escalation=e, agent=a),
    "reassign": lambda s, e, a, o: desk.reassign(session=s, escalation=e, agent=a, to=o),
    "resolve": lambda s, e, a, o: desk.resolve(session=s, escalation=e, agent=a),
    "hand_back": lambda s, e, a, o: desk.hand_back(session=s, escalation=e, agent=a),
    "rate": lambda s, e, a, o: desk.rate(session=s, escalation=e, score=3),
    "claim": lambda s, e, a, o: queue.claim(session=s, escalation_id=e.id, agent_id=a.id),
}
ALLOWED = {
    Q: {"claim"},
    A: {"reply", "release", "reassign", "resolve", "hand_back"},
    R: {"hand_back", "rate"},
    B: {"rate"},
}
RESULT: dict[str, EscalationState | None] = {
    "reply": None,
    "release": Q,
    "reassign": A,
    "resolve": R,
    "hand_back": B,
    "rate": None,
    "claim": A,
}


def in_state(session: Session, state: EscalationState, owner: User) -> Escalation:
    """An escalation brought to ``state`` the legal way, owned by ``owner`` when assigned."""
    escalation = queued(session)
    path: list[EscalationState] = {Q: [], A: [A], R: [A, R], B: [A, R, B]}[state]
    for step in path:
        transition(
            session=session,
            escalation=escalation,
            to_state=step,
            actor=f"agent:{owner.id}",
            assigned_to=owner.id if step == A else None,
        )
    return escalation


@pytest.mark.parametrize("state", [Q, A, R, B], ids=lambda s: s.value)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_in_every_state(session: Session, state: EscalationState, action: str) -> None:
    """Each desk action is allowed exactly in its states, logged with the actor; else refused
    with a clear error and nothing changed."""
    ann, bob = make_user(session, "Ann"), make_user(session, "Bob")
    escalation = in_state(session, state, ann)
    before = len(escalation.events)
    if action in ALLOWED[state]:
        ACTIONS[action](session, escalation, ann, bob)
        expected = RESULT[action]
        assert escalation.state == (expected or state)
        new = escalation.events[before:]
        if expected is None:
            assert new == []
        else:
            assert new[-1].to_state == expected
            assert {event.actor for event in new} == {f"agent:{ann.id}"}
    else:
        error = queue.AlreadyClaimed if action == "claim" else DeskError
        with pytest.raises(error, match=f"{state.value}"):
            ACTIONS[action](session, escalation, ann, bob)
        session.refresh(escalation)
        assert escalation.state == state and len(escalation.events) == before


def test_the_state_machine_refuses_illegal_moves(session: Session) -> None:
    """Below the desk, kb.escalations rejects moves outside the documented machine."""
    ann = make_user(session, "Ann")
    escalation = in_state(session, B, ann)
    with pytest.raises(EscalationError, match="cannot go from bot to queued"):
        transition(session=session, escalation=escalation, to_state=Q, actor="customer")
