"""The agent desk: the queue, one escalation on one screen, live replies and agent assist."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("desk", __name__)

from web.desk import views  # noqa: E402,F401
