"""Community Q&A: questions, answers, votes, accepted answers and flags."""

from __future__ import annotations

from flask import Blueprint, Response

from kb.community import CommunityError, NotFound
from web.errors import error_response

bp = Blueprint("community", __name__)

from web.community import actions, views  # noqa: E402,F401
from web.community.reading import BadListing  # noqa: E402
from web.community.service import NotAllowed  # noqa: E402


@bp.errorhandler(NotFound)
def _not_found(_error: NotFound) -> tuple[Response | str, int]:
    """A question or answer that does not exist, or is not shown to this reader."""
    return error_response(
        404,
        "We couldn't find that question or answer. It may have been removed or be waiting "
        "for a moderator.",
    )


@bp.errorhandler(NotAllowed)
def _not_allowed(error: NotAllowed) -> tuple[Response | str, int]:
    """Something this person may not do, and why."""
    return error_response(403, str(error))


@bp.errorhandler(BadListing)
@bp.errorhandler(CommunityError)
def _bad_input(error: ValueError) -> tuple[Response | str, int]:
    """Input the community services refused, with their reason."""
    message = str(error)
    return error_response(400, message[:1].upper() + message[1:])
