"""The desk's pages: the queue (and the JSON its script polls) and one escalation on one screen."""

from __future__ import annotations

from flask import Response, g, jsonify, render_template, request, url_for
from werkzeug.exceptions import BadRequest

from kb import queue
from kb.models import utcnow
from web.db import db_session
from web.desk import bp
from web.desk.service import queue_page as build_queue_page
from web.desk.story import conversation_page
from web.extensions import knowledge_base
from web.roles import AGENTS, staff_required
from web.security import settings
from web.urls import content_url


def _view() -> queue.View:
    """The queue tab asked for (``?view=``, unassigned by default); 400 for an unknown one."""
    wanted = request.args.get("view", "unassigned")
    for view in queue.VIEWS:
        if view == wanted:
            return view
    raise BadRequest(f"There is no queue view {wanted[:40]!r}; use {', '.join(queue.VIEWS)}.")


@bp.get("/")
@bp.get("")
@staff_required(*AGENTS)
def queue_page() -> str:
    """The queue: tabs with counts, rows by priority, take next."""
    page = build_queue_page(
        session=db_session(), view=_view(), agent_id=g.staff.id, now=utcnow(), settings=settings()
    )
    return render_template("desk/queue.html", page=page, views=queue.VIEWS)


@bp.get("/queue.json")
@staff_required(*AGENTS)
def queue_json() -> Response:
    """The queue tab as JSON, with the rows rendered as the page renders them (desk.js polls it)."""
    page = build_queue_page(
        session=db_session(), view=_view(), agent_id=g.staff.id, now=utcnow(), settings=settings()
    )
    response = jsonify(
        view=page.view,
        counts=page.counts,
        rows=[row.as_json() for row in page.rows],
        html=render_template("desk/_queue_rows.html", page=page),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/escalations/<int:escalation_id>")
@staff_required(*AGENTS)
def conversation(escalation_id: int) -> str:
    """One escalation: transcript, handoff, customer, notes, history, clocks, actions and assist."""
    session = db_session()
    escalation = queue.get(session=session, escalation_id=escalation_id)
    page = conversation_page(
        session=session,
        escalation=escalation,
        staff_id=g.staff.id,
        role=g.staff.role,
        now=utcnow(),
        settings=settings(),
        knowledge_base=knowledge_base(),
        url_for_hit=lambda source, ref: content_url(source, ref, external=True),
    )
    return render_template(
        "desk/conversation.html",
        page=page,
        escalation=escalation,
        counts=queue.counts(session=session, agent_id=g.staff.id, now=utcnow()),
        messages_url=url_for("desk.messages_json", escalation_id=escalation_id),
    )
