"""``/healthz``: is the app up, can it reach its database, and how big is the index."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, redirect, url_for
from sqlalchemy import text
from werkzeug.wrappers import Response as WerkzeugResponse

from web.extensions import knowledge_base

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Report readiness; 503 when the database does not answer."""
    kb = knowledge_base()
    try:
        with kb.sessions() as session:
            session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as error:
        database = f"error: {type(error).__name__}"
    status = 200 if database == "ok" else 503
    return jsonify(
        status="ok" if status == 200 else "unavailable",
        database=database,
        documents=len(kb.search_engine),
        passages=kb.search_engine.passage_count,
        content_version=kb.content_version,
    ), status


@bp.get("/favicon.ico")
def favicon() -> WerkzeugResponse:
    """Browsers ask for /favicon.ico on their own; point them at the real icon."""
    return redirect(url_for("static", filename="favicon.svg"), 301)
