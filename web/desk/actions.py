"""What agents do from the desk's forms: take, release, reassign, resolve, hand back, notes, drafts.

Each view parses the form, calls kb.queue or kb.desk, commits, wakes the customer's widget and
redirects with a flash. Refusals (taken, not yours, wrong state) are turned into flashes by
web.desk.errors.
"""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from kb import desk, queue
from kb.models import Escalation, User
from web import live
from web.db import db_session
from web.desk import bp
from web.desk.errors import FormProblem
from web.roles import AGENTS, staff_required

MAX_FORM_TEXT = 5000


def me() -> User:
    """The signed-in agent's account row."""
    user = db_session().get(User, g.staff.id)
    if user is None:  # deleted while signed in
        raise FormProblem("Your account no longer exists.")
    return user


def form_text(name: str, *, label: str, required: bool = True, limit: int = MAX_FORM_TEXT) -> str:
    """A trimmed form field; 400 saying which field is missing or too long."""
    text = request.form.get(name, "").strip()
    if required and not text:
        raise FormProblem(f"Please fill in {label}.")
    if len(text) > limit:
        raise FormProblem(f"{label.capitalize()} is {len(text):,} characters; at most {limit:,}.")
    return text


def to_conversation(escalation: Escalation) -> BaseResponse:
    """The escalation's page."""
    return redirect(url_for("desk.conversation", escalation_id=escalation.id))


def committed(escalation: Escalation) -> None:
    """Commit and wake whoever long-polls the conversation (the widget, other agents)."""
    db_session().commit()
    live.notify(escalation.conversation_id)


@bp.post("/next")
@staff_required(*AGENTS)
def take_next() -> BaseResponse:
    """Take the highest-priority waiting escalation."""
    escalation = queue.claim_next(session=db_session(), agent_id=g.staff.id)
    if escalation is None:
        flash("The queue is empty.", "info")
        return redirect(url_for("desk.queue_page"))
    committed(escalation)
    flash("It's yours: the customer is waiting for your first reply.", "success")
    return to_conversation(escalation)


@bp.post("/escalations/<int:escalation_id>/claim")
@staff_required(*AGENTS)
def claim(escalation_id: int) -> BaseResponse:
    """Take this escalation (AlreadyClaimed: someone was quicker)."""
    escalation = queue.claim(session=db_session(), escalation_id=escalation_id, agent_id=g.staff.id)
    committed(escalation)
    flash("It's yours: the customer is waiting for your reply.", "success")
    return to_conversation(escalation)


@bp.post("/escalations/<int:escalation_id>/release")
@staff_required(*AGENTS)
def release(escalation_id: int) -> BaseResponse:
    """Put the escalation back in the queue."""
    session = db_session()
    escalation = queue.get(session=session, escalation_id=escalation_id)
    reason = form_text("reason", label="a reason", required=False, limit=500)
    desk.release(session=session, escalation=escalation, agent=me(), reason=reason)
    committed(escalation)
    flash("Released: the conversation is back in the queue.", "success")
    return redirect(url_for("desk.queue_page"))


@bp.post("/escalations/<int:escalation_id>/reassign")
@staff_required(*AGENTS)
def reassign(escalation_id: int) -> BaseResponse:
    """Give the escalation to another agent."""
    session = db_session()
    escalation = queue.get(session=session, escalation_id=escalation_id)
    raw = request.form.get("to", "")
    target = session.get(User, int(raw)) if raw.isdigit() else None
    if target is None:
        raise FormProblem("Choose the agent to give this conversation to.")
    reason = form_text("reason", label="a reason", required=False, limit=500)
    desk.reassign(session=session, escalation=escalation, agent=me(), to=target, reason=reason)
    committed(escalation)
    flash(f"Given to {target.display_name}.", "success")
    return redirect(url_for("desk.queue_page"))


@bp.post("/escalations/<int:escalation_id>/resolve")
@staff_required(*AGENTS)
def resolve(escalation_id: int) -> BaseResponse:
    """Resolve with a note; the customer is asked to rate the help."""
    session = db_session()
    escalation = queue.get(session=session, escalation_id=escalation_id)
    note = form_text("note", label="the resolution note", required=False)
    desk.resolve(session=session, escalation=escalation, agent=me(), note=note)
    committed(escalation)
    flash("Resolved. The customer has been asked to rate the help they got.", "success")
    return to_conversation(escalation)


@bp.post("/escalations/<int:escalation_id>/handback")
@staff_required(*AGENTS)
def hand_back(escalation_id: int) -> BaseResponse:
    """Give the conversation back to the bot."""
    session = db_session()
    escalation = queue.get(session=session, escalation_id=escalation_id)
    desk.hand_back(session=session, escalation=escalation, agent=me())
    committed(escalation)
    flash("Handed back: the bot answers this customer's next message.", "success")
    return redirect(url_for("desk.queue_page"))


@bp.post("/escalations/<int:escalation_id>/notes")
@staff_required(*AGENTS)
def add_note(escalation_id: int) -> BaseResponse:
    """An internal note (never shown to the customer)."""
    session = db_session()
    escalation = queue.get(session=session, escalation_id=escalation_id)
    text = form_text("text", label="the note")
    desk.add_note(session=session, escalation=escalation, agent=me(), text=text)
    session.commit()
    flash("Note added (only the team can see it).", "success")
    return redirect(url_for("desk.conversation", escalation_id=escalation.id, _anchor="notes"))


@bp.post("/escalations/<int:escalation_id>/draft")
@staff_required(*AGENTS)
def save_draft(escalation_id: int) -> BaseResponse:
    """Save the customer's question and the agent's answer as an article draft for editors."""
    session = db_session()
    escalation = queue.get(session=session, escalation_id=escalation_id)
    article = desk.save_as_draft(
        session=session,
        escalation=escalation,
        agent=me(),
        title=form_text("title", label="the title", limit=200),
        question=form_text("question", label="the question"),
        answer=form_text("answer", label="the answer", limit=20_000),
    )
    session.commit()
    flash(f"Saved the draft “{article.title}” for the editors to review.", "success")
    return to_conversation(escalation)
