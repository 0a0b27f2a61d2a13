"""Accounts: sign up, sign in, sign out; staff API tokens."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)

from web.auth import tokens, views  # noqa: E402,F401
