"""The staff JSON API for escalations: the agent desk over HTTP, with a staff token.

List and read escalations, take the next one or a given one (one winner; everyone else 409),
reply to the customer, add internal notes, release, resolve and hand back to the bot. Every call
needs ``Authorization: Bearer <staff token>`` of an agent or admin; being token-authenticated the
endpoints are exempt from CSRF. Each commit that changes messages or state wakes the customer's
long poll (web.live).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, g
from spectree import Response as Responses
from sqlalchemy.orm import Session

from kb import desk, queue
from kb.escalations import EscalationError
from kb.models import Escalation, User, utcnow
from kb.queue import queue_item
from web import live
from web.api import bp
from web.api.errors import error_json
from web.api.escalation_output import detail, in_state, summary, transcript_message
from web.api.escalation_schemas import (
    AgentReply,
    EscalationDetail,
    EscalationListQuery,
    EscalationPage,
    EscalationSummary,
    NewNote,
    NoteOut,
    Release,
    Resolution,
    TranscriptMessage,
)
from web.api.schemas import ErrorResponse
from web.api.spec import STAFF_TOKEN, api_spec
from web.db import db_session
from web.roles import AGENTS, api_endpoint
from web.security import settings

TAGS = ["escalations"]
ESCALATION_ID = {"escalation_id": "The escalation's id."}
AUTH: dict[str, Any] = {"HTTP_401": ErrorResponse, "HTTP_403": ErrorResponse}
ACTION: dict[str, Any] = {**AUTH, "HTTP_400": ErrorResponse, "HTTP_404": ErrorResponse}
ACTION_409: dict[str, Any] = {**ACTION, "HTTP_409": ErrorResponse}
NOT_FOUND = "No escalation has that id."
TAKEN = "Someone else has already taken this escalation, or it is not waiting any more."


@bp.get("/escalations")
@api_endpoint(*AGENTS)
@api_spec.validate(
    resp=Responses(HTTP_200=EscalationPage, **AUTH),
    tags=TAGS,
    operation_id="listEscalations",
    security=STAFF_TOKEN,
)
def list_escalations(query: EscalationListQuery) -> EscalationPage:
    """List escalations in a queue view, highest priority first, optionally in one state."""
    session, now, policy = db_session(), utcnow(), settings().priority
    me = g.staff.id
    if query.state is None:
        items = queue.list_queue(
            session=session,
            view=query.view,
            agent_id=me,
            now=now,
            policy=policy,
            limit=query.per_page,
            offset=query.offset,
        )
        total = queue.counts(session=session, agent_id=me, now=now)[query.view]
    else:
        found, total = in_state(session, query, me, now)
        items = [queue_item(escalation, now, policy) for escalation in found]
    return EscalationPage(items=[summary(item) for item in items], **query.envelope(total))


@bp.get("/escalations/<int:escalation_id>")
@api_endpoint(*AGENTS)
@api_spec.validate(
    resp=Responses(HTTP_200=EscalationDetail, HTTP_404=ErrorResponse, **AUTH),
    tags=TAGS,
    operation_id="getEscalation",
    security=STAFF_TOKEN,
    path_parameter_descriptions=ESCALATION_ID,
)
def get_escalation(escalation_id: int) -> EscalationDetail:
    """Read an escalation with its context: handoff, live transcript, events, notes, customer."""
    session = db_session()
    return _detail(queue.get(session=session, escalation_id=escalation_id))


@bp.post("/escalations/next")
@api_endpoint(*AGENTS)
@api_spec.validate(
    resp=Responses(HTTP_200=EscalationDetail, HTTP_204=None, HTTP_400=ErrorResponse, **AUTH),
    tags=TAGS,
    operation_id="takeNextEscalation",
    security=STAFF_TOKEN,
)
def take_next() -> EscalationDetail | Response:
    """Take the highest-priority waiting escalation: 200 with it, or 204 when nobody waits."""
    session = db_session()
    escalation = queue.claim_next(session=session, agent_id=g.staff.id)
    session.commit()
    if escalation is None:
        return Response(status=204)
    live.notify(escalation.conversation_id)
    return _detail(escalation)


@bp.post("/escalations/<int:escalation_id>/claim")
@api_endpoint(*AGENTS)
@api_spec.validate(
    resp=Responses(HTTP_200=EscalationDetail, **ACTION_409),
    tags=TAGS,
    operation_id="claimEscalation",
    security=STAFF_TOKEN,
    path_parameter_descriptions=ESCALATION_ID,
)
def claim_escalation(escalation_id: int) -> EscalationDetail:
    """Take this escalation: 200 to the one agent who gets it, 409 to everyone else."""
    session = db_session()
    escalation = queue.claim(session=session, escalation_id=escalation_id, agent_id=g.staff.id)
    session.commit()
    live.notify(escalation.conversation_id)
    return _detail(escalation)


@bp.post("/escalations/<int:escalation_id>/messages")
@api_endpoint(*AGENTS)
@api_spec.validate(
    json=AgentReply,
    resp=Responses(HTTP_201=TranscriptMessage, **ACTION_409),
    tags=TAGS,
    operation_id="replyToCustomer",
    security=STAFF_TOKEN,
    path_parameter_descriptions=ESCALATION_ID,
)
def reply(escalation_id: int, json: AgentReply) -> tuple[TranscriptMessage, int]:
    """Reply to the customer in their chat (only the agent it is assigned to; else 409)."""
    session = db_session()
    escalation = queue.get(session=session, escalation_id=escalation_id)
    agent = _agent(session)
    message = desk.reply(session=session, escalation=escalation, agent=agent, text=json.text)
    session.commit()
    live.notify(escalation.conversation_id)
    return transcript_message(message, {agent.id: agent.display_name}), 201


@bp.post("/escalations/<int:escalation_id>/notes")
@api_endpoint(*AGENTS)
@api_spec.validate(
    json=NewNote,
    resp=Responses(HTTP_201=NoteOut, **ACTION),
    tags=TAGS,
    operation_id="addEscalationNote",
    security=STAFF_TOKEN,
    path_parameter_descriptions=ESCALATION_ID,
)
def add_note(escalation_id: int, json: NewNote) -> tuple[NoteOut, int]:
    """Add an internal note for the team; the customer never sees it."""
    session = db_session()
    escalation = queue.get(session=session, escalation_id=escalation_id)
    agent = _agent(session)
    note = desk.add_note(session=session, escalation=escalation, agent=agent, text=json.text)
    session.commit()
    live.notify(escalation.conversation_id)
    return NoteOut(
        id=note.id, author=agent.display_name, text=note.text, created_at=note.created_at
    ), 201


@bp.post("/escalations/<int:escalation_id>/release")
@api_endpoint(*AGENTS)
@api_spec.validate(
    json=Release,
    resp=Responses(HTTP_200=EscalationSummary, **ACTION_409),
    tags=TAGS,
    operation_id="releaseEscalation",
    security=STAFF_TOKEN,
    path_parameter_descriptions=ESCALATION_ID,
)
def release(escalation_id: int, json: Release) -> EscalationSummary:
    """Put an escalation you own back in the queue (admins: anyone's)."""
    return _act(
        escalation_id,
        lambda session, escalation, agent: desk.release(
            session=session, escalation=escalation, agent=agent, reason=json.reason
        ),
    )


@bp.post("/escalations/<int:escalation_id>/resolve")
@api_endpoint(*AGENTS)
@api_spec.validate(
    json=Resolution,
    resp=Responses(HTTP_200=EscalationSummary, **ACTION_409),
    tags=TAGS,
    operation_id="resolveEscalation",
    security=STAFF_TOKEN,
    path_parameter_descriptions=ESCALATION_ID,
)
def resolve(escalation_id: int, json: Resolution) -> EscalationSummary:
    """Resolve with an optional note; the customer's chat then asks them for a rating."""
    return _act(
        escalation_id,
        lambda session, escalation, agent: desk.resolve(
            session=session, escalation=escalation, agent=agent, note=json.note
        ),
    )


@bp.post("/escalations/<int:escalation_id>/handback")
@api_endpoint(*AGENTS)
@api_spec.validate(
    json=Resolution,
    resp=Responses(HTTP_200=EscalationSummary, **ACTION_409),
    tags=TAGS,
    operation_id="handBackEscalation",
    security=STAFF_TOKEN,
    path_parameter_descriptions=ESCALATION_ID,
)
def hand_back(escalation_id: int, json: Resolution) -> EscalationSummary:
    """Give the conversation back to the bot (resolving it first, with the note, if assigned)."""
    return _act(
        escalation_id,
        lambda session, escalation, agent: desk.hand_back(
            session=session, escalation=escalation, agent=agent, note=json.note
        ),
    )


@bp.errorhandler(queue.EscalationNotFound)
def escalation_not_found(error: queue.EscalationNotFound) -> tuple[Response, int]:
    """An unknown escalation id."""
    return error_json(404, _sentence(str(error)) or NOT_FOUND)


@bp.errorhandler(queue.AlreadyClaimed)
def already_claimed(error: queue.AlreadyClaimed) -> tuple[Response, int]:
    """Somebody else was first."""
    return error_json(409, _sentence(str(error)) or TAKEN)


@bp.errorhandler(desk.DeskError)
@bp.errorhandler(EscalationError)
def desk_refused(error: ValueError) -> tuple[Response, int]:
    """An action the escalation's state or owner does not allow (not yours, already resolved)."""
    return error_json(409, _sentence(str(error)))


def _act(
    escalation_id: int, action: Callable[[Session, Escalation, User], Escalation]
) -> EscalationSummary:
    """Do a desk action on the escalation as the caller, commit, and wake the customer's chat."""
    session = db_session()
    escalation = queue.get(session=session, escalation_id=escalation_id)
    escalation = action(session, escalation, _agent(session))
    session.commit()
    live.notify(escalation.conversation_id)
    return summary(queue_item(escalation, utcnow(), settings().priority))


def _detail(escalation: Escalation) -> EscalationDetail:
    """The escalation's whole story, as of now."""
    return detail(db_session(), escalation, utcnow(), settings().priority)


def _agent(session: Session) -> User:
    """The caller's account row."""
    user = session.get(User, g.staff.id)
    assert user is not None  # api_staff just found it
    return user


def _sentence(text: str) -> str:
    """``text`` capitalised and ending with a full stop ('' stays '')."""
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
