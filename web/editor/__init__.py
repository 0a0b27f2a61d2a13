"""The editor console: articles and their lifecycle, moderation, the drafts inbox, gaps and health."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("editor", __name__)

from web.editor import (  # noqa: E402,F401
    articles,
    errors,
    gaps,
    health,
    history,
    home,
    inbox,
    moderation,
    phrasings,
    presenting,
    preview,
)

errors.init_blueprint(bp)
bp.add_app_template_filter(presenting.status_label, "editor_status")
