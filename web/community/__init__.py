"""Community Q&A: questions, answers, votes, accepted answers and flags."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("community", __name__)

from web.community import views  # noqa: E402,F401
