"""Live conversation for the desk: the long poll desk.js keeps open, replies, and canned texts.

``GET …/messages.json?after=<last id>&seen=<state:owner>&wait=20`` answers as soon as the
conversation has a message after ``after`` or the escalation changed hands (``seen`` differs),
else after ``wait`` seconds with none. Replies are committed first, then ``web.live.notify`` wakes
the customer's widget and other agents' pages.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from kb import desk, queue
from kb.models import Escalation, Message
from web import live
from web.db import db_session
from web.desk import bp
from web.desk.actions import MAX_FORM_TEXT, me, to_conversation
from web.desk.assist import canned_text, latest_question, suggestions
from web.desk.errors import FormProblem, wants_data
from web.desk.service import last_message_id, message_views, permissions, transcript
from web.desk.story import seen_token
from web.extensions import knowledge_base
from web.roles import AGENTS, staff_required
from web.security import settings
from web.urls import content_url

MAX_WAIT = 25.0
PAGE = 100


def _int_arg(name: str, default: int) -> int:
    """A non-negative integer query argument; FormProblem names a bad one."""
    raw = request.args.get(name, str(default))
    if not raw.isdigit() or len(raw) > 18:
        raise FormProblem(f"'{name}' must be a whole number of 0 or more, not {raw[:20]!r}.")
    return int(raw)


def _changed(escalation_id: int, conversation_id: int, after: int, seen: str) -> bool:
    """Whether there is news: a newer message, or the escalation changed state or owner."""
    with knowledge_base().sessions() as session:
        if last_message_id(session=session, conversation_id=conversation_id) > after:
            return True
        if not seen:
            return False
        escalation = session.get(Escalation, escalation_id)
        return escalation is not None and seen_token(escalation) != seen


def _message_json(messages: list[Message]) -> list[dict[str, Any]]:
    """Messages as JSON, each with the HTML the page renders for it."""
    return [
        {**view.as_json(), "html": render_template("desk/_message.html", message=view)}
        for view in message_views(db_session(), messages)
    ]


@bp.get("/escalations/<int:escalation_id>/messages.json")
@staff_required(*AGENTS)
def messages_json(escalation_id: int) -> Response:
    """New messages after ``after`` (long poll up to ``wait`` seconds) and who has the chat."""
    after = _int_arg("after", 0)
    wait = min(float(_int_arg("wait", 0)), MAX_WAIT)
    seen = request.args.get("seen", "")[:40]
    session = db_session()
    escalation = queue.get(session=session, escalation_id=escalation_id)
    conversation_id = escalation.conversation_id
    if wait > 0:
        session.close()  # hold no connection or stale snapshot while waiting
        live.wait(
            conversation_id,
            timeout=wait,
            ready=lambda: _changed(escalation_id, conversation_id, after, seen),
        )
        escalation = queue.get(session=session, escalation_id=escalation_id)
    messages = transcript(session=session, conversation=escalation.conversation, after=after)[:PAGE]
    body: dict[str, Any] = {
        "messages": _message_json(messages),
        "state": escalation.state.value,
        "owner": escalation.agent.display_name if escalation.agent is not None else None,
        "seen": seen_token(escalation),
        "can_reply": permissions(escalation, staff_id=g.staff.id, role=g.staff.role).reply,
    }
    question = latest_question(messages)
    if question is not None:
        found = suggestions(
            knowledge_base(),
            question.text,
            url_for_hit=lambda source, ref: content_url(source, ref, external=True),
        )
        body["suggestions_html"] = render_template(
            "desk/_suggestions.html", suggestions=found, can_insert=body["can_reply"]
        )
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/escalations/<int:escalation_id>/messages")
@staff_required(*AGENTS)
def send_reply(escalation_id: int) -> BaseResponse | tuple[Response, int]:
    """The owner's reply to the customer (JSON ``{"text"}`` from desk.js, or the plain form)."""
    session = db_session()
    escalation = queue.get(session=session, escalation_id=escalation_id)
    raw = request.form.get("text")
    if request.is_json:
        data = request.get_json(silent=True)
        raw = data.get("text") if isinstance(data, dict) else None
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise FormProblem("Write a reply before sending it.")
    if len(text) > MAX_FORM_TEXT:
        raise FormProblem(f"The reply is {len(text):,} characters; at most {MAX_FORM_TEXT:,}.")
    message = desk.reply(session=session, escalation=escalation, agent=me(), text=text)
    conversation_id = escalation.conversation_id
    session.commit()
    live.notify(conversation_id)
    if wants_data():
        return jsonify(message=_message_json([message])[0]), 201
    return to_conversation(escalation)


@bp.get("/escalations/<int:escalation_id>/canned/<int:canned_id>")
@staff_required(*AGENTS)
def canned_reply(escalation_id: int, canned_id: int) -> Response:
    """A canned response filled in for this escalation's customer and the signed-in agent."""
    session = db_session()
    escalation = queue.get(session=session, escalation_id=escalation_id)
    title, text = canned_text(
        session=session,
        canned_id=canned_id,
        conversation=escalation.conversation,
        agent_name=g.staff.display_name,
        settings=settings(),
    )
    return jsonify(id=canned_id, title=title, text=text)
