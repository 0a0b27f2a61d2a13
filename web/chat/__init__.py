"""The chat API the widget talks to: conversations, messages, and the bridge to the Rasa bot.

The API is token-authenticated (no cookies), so it is exempt from CSRF; browsers on the sites in
``widget_allowed_origins`` may call it cross-origin.
"""

from __future__ import annotations

from flask import Blueprint, current_app
from flask.blueprints import BlueprintSetupState

from web.chat.rasa import RasaClient

bp = Blueprint("chat", __name__)
_BOT = "tier0.rasa"


def bot() -> RasaClient:
    """The app's client for the Rasa server."""
    client: RasaClient = current_app.extensions[_BOT]
    return client


@bp.record_once
def _set_up(state: BlueprintSetupState) -> None:
    """Give the app its Rasa client and exempt the token-authenticated API from CSRF."""
    from web.security import csrf

    settings = state.app.config["TIER0_SETTINGS"]
    state.app.extensions.setdefault(
        _BOT,
        RasaClient(
            settings.rasa_url,
            timeout=settings.bot_timeout_seconds,
            max_in_flight=settings.bot_max_in_flight,
        ),
    )
    csrf.exempt(bp)


from web.chat import cors, errors, views  # noqa: E402,F401

cors.register(bp)
errors.register(bp)
