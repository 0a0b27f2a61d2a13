"""The chat widget: ``/widget.js`` and ``/widget.css`` for any website, and a demo page that embeds them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("widget", __name__, template_folder="templates")

from web.widget import views  # noqa: E402,F401
