"""The public help centre: home, categories, articles, search and service expectations."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("help", __name__)

from web.help import errors, search_views, views  # noqa: E402,F401
