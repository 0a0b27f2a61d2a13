"""The admin console: staff accounts, canned responses and webhooks (admins only)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__)

from web.admin import canned, users, webhooks  # noqa: E402,F401
