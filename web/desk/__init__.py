"""The agent desk: the queue, one escalation on one screen, live replies and agent assist."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("desk", __name__)

from web.desk import actions, errors, messages, presenting, views  # noqa: E402,F401

errors.init_blueprint(bp)
bp.add_app_template_filter(presenting.points, "desk_points")
bp.add_app_template_filter(presenting.iso_utc, "iso_utc")
