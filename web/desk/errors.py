"""The desk's refusals as people see them: a flash and back where they were, or JSON for desk.js.

Registered on the blueprint, so they apply to desk views only and win over the app's catch-all.
"""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as BaseResponse

from kb.canned import CannedNotFound
from kb.desk import DeskError
from kb.escalations import EscalationError
from kb.queue import AlreadyClaimed, EscalationNotFound
from web.errors import error_response, wants_json

TAKEN = "Someone else has just taken it."
NOT_FOUND = "There is no such escalation. It may have been deleted; the queue shows what is open."


class FormProblem(ValueError):
    """A desk form that was filled in wrongly; the message says which field and how."""


def wants_data() -> bool:
    """desk.js asks for JSON (fetch with Accept: application/json, or a .json URL)."""
    return wants_json() or request.path.endswith(".json") or request.is_json


def back() -> BaseResponse:
    """To the escalation the request was about, else to the queue."""
    escalation_id = (request.view_args or {}).get("escalation_id")
    if escalation_id is not None:
        return redirect(url_for("desk.conversation", escalation_id=escalation_id))
    return redirect(url_for("desk.queue_page"))


def refuse(status: int, message: str) -> ResponseReturnValue:
    """A JSON error for desk.js, else a flash and a redirect."""
    if wants_data():
        return jsonify(error={"status": status, "message": message}), status
    flash(message, "error")
    if status == 409:
        return redirect(url_for("desk.queue_page"))
    return back()


def init_blueprint(bp: Blueprint) -> None:
    """Register the handlers on the desk blueprint."""

    @bp.errorhandler(AlreadyClaimed)
    def already_claimed(error: AlreadyClaimed) -> ResponseReturnValue:
        """Somebody was quicker: back to the queue."""
        return refuse(409, TAKEN)

    @bp.errorhandler(DeskError)
    @bp.errorhandler(EscalationError)
    @bp.errorhandler(FormProblem)
    def refused(error: ValueError) -> ResponseReturnValue:
        """An action that is not allowed now, or a form filled in wrongly; the message says why."""
        return refuse(409 if isinstance(error, EscalationError) else 400, str(error))

    @bp.errorhandler(EscalationNotFound)
    def no_escalation(error: EscalationNotFound) -> ResponseReturnValue:
        """A 404 page (or JSON)."""
        if wants_data():
            return jsonify(error={"status": 404, "message": NOT_FOUND}), 404
        return error_response(404, NOT_FOUND)

    @bp.errorhandler(CannedNotFound)
    def no_canned(error: CannedNotFound) -> ResponseReturnValue:
        """A canned response deleted since the page was loaded."""
        return refuse(404, f"{error} It may have been deleted; reload the page.")
