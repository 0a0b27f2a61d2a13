"""The help centre's own exceptions as HTTP errors, in one place (friendly pages or JSON)."""

from __future__ import annotations

from flask import Response

from kb.feedback import ChatStartNotFound, FeedbackError, FeedbackNotFound
from web.errors import error_response
from web.help import bp
from web.help.service import PageNotFound


@bp.errorhandler(PageNotFound)
def page_not_found(error: PageNotFound) -> tuple[Response | str, int]:
    """An unknown category or an article that is missing or not published."""
    return error_response(404, str(error))


@bp.errorhandler(FeedbackError)
def bad_feedback(error: FeedbackError) -> tuple[Response | str, int]:
    """Feedback or a chat start that breaks a rule (the message says which)."""
    return error_response(400, str(error))


@bp.errorhandler(FeedbackNotFound)
def feedback_not_found(_error: FeedbackNotFound) -> tuple[Response | str, int]:
    """A chat that follows feedback this visitor did not give."""
    return error_response(404, "We couldn't find your feedback. Please vote on the article again.")


@bp.errorhandler(ChatStartNotFound)
def chat_not_found(_error: ChatStartNotFound) -> tuple[Response | str, int]:
    """A chat link with an unknown or malformed token."""
    return error_response(404, "That chat link has expired or is mistyped. Start a new chat.")
