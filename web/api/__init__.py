"""The JSON API, version 1."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__)

from web.api import views  # noqa: E402,F401  (registers the routes on bp)
