"""``/healthz``: is the app up, can it reach its database, the Rasa server and the action server."""

from __future__ import annotations

import requests
from flask import Blueprint, Response, current_app, jsonify, redirect, url_for
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
    settings = current_app.config["TIER0_SETTINGS"]
    components = {
        "web": "ok",
        "database": database,
        "rasa": _probe(f"{settings.rasa_url}/"),
        "actions": _probe(f"{settings.actions_url}/health"),
    }
    status = 200 if database == "ok" else 503
    overall = "ok" if all(v == "ok" for v in components.values()) else "degraded"
    return jsonify(
        status=overall if status == 200 else "unavailable",
        components=components,
        database=database,
        documents=len(kb.search_engine),
        passages=kb.search_engine.passage_count,
        content_version=kb.content_version,
    ), status


def _probe(url: str) -> str:
    """'ok' when ``url`` answers 200 within a second, else what went wrong (the chat degrades to
    handing every conversation to a person, so this is reported, not fatal)."""
    try:
        response = requests.get(url, timeout=1)
    except requests.RequestException as error:
        return f"unreachable: {type(error).__name__}"
    return "ok" if response.status_code == 200 else f"error: HTTP {response.status_code}"


@bp.get("/favicon.ico")
def favicon() -> WerkzeugResponse:
    """Browsers ask for /favicon.ico on their own; point them at the real icon."""
    return redirect(url_for("static", filename="favicon.svg"), 301)
