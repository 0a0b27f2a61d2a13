"""The chat API's errors as JSON: unknown conversation 404, wrong token 403, bad input 400,
nothing to rate 409."""

from __future__ import annotations

from flask import Blueprint, Response

from kb.chat import ChatError, ConversationNotFound, WrongToken
from kb.desk import DeskError
from kb.feedback import ChatStartNotFound
from web.api.errors import InvalidInput, error_json
from web.chat.identity import IdentityNotEnabled, IdentityRejected
from web.chat.service import NothingToRate

NOT_FOUND = "No conversation has that id. Start a new one with POST /api/v1/conversations."
WRONG_TOKEN = (
    "This conversation needs its token: send Authorization: Bearer <token>, with the token "
    "you got when the conversation started."
)
UNKNOWN_START = "The chat start token is unknown; start the chat without 'start'."


def register(bp: Blueprint) -> None:
    """Answer the chat API's errors in the API's JSON error envelope."""

    @bp.errorhandler(InvalidInput)
    def invalid_input(error: InvalidInput) -> tuple[Response, int]:
        """Input that failed validation: 400 naming each wrong field."""
        return error_json(400, error.message, error.fields)

    @bp.errorhandler(ConversationNotFound)
    def not_found(_error: ConversationNotFound) -> tuple[Response, int]:
        """An unknown conversation id."""
        return error_json(404, NOT_FOUND)

    @bp.errorhandler(WrongToken)
    def wrong_token(_error: WrongToken) -> tuple[Response, int]:
        """A missing or wrong bearer token."""
        return error_json(403, WRONG_TOKEN)

    @bp.errorhandler(IdentityRejected)
    def identity_rejected(error: IdentityRejected) -> tuple[Response, int]:
        """An identity without a valid signature."""
        return error_json(403, str(error))

    @bp.errorhandler(IdentityNotEnabled)
    def identity_not_enabled(error: IdentityNotEnabled) -> tuple[Response, int]:
        """An identity on a site that does not take signed identities."""
        return error_json(400, str(error), {"identity": str(error)})

    @bp.errorhandler(ChatStartNotFound)
    def unknown_start(_error: ChatStartNotFound) -> tuple[Response, int]:
        """A start token that is not one of ours."""
        return error_json(400, UNKNOWN_START, {"start": UNKNOWN_START})

    @bp.errorhandler(NothingToRate)
    @bp.errorhandler(DeskError)
    def cannot_rate(error: Exception) -> tuple[Response, int]:
        """A rating with nothing (or nothing any more) to rate."""
        return error_json(409, str(error))

    @bp.errorhandler(ChatError)
    def chat_error(error: ChatError) -> tuple[Response, int]:
        """A message or identity the chat cannot take."""
        return error_json(400, str(error))
