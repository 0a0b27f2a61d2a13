"""Search views: the full results page, instant results while typing, and result clicks."""

from __future__ import annotations

import time

from flask import Response, jsonify, redirect, render_template, request
from flask_login import current_user
from werkzeug.exceptions import BadRequest, HTTPException, NotFound
from werkzeug.wrappers import Response as BaseResponse

from kb.analytics import record_click, record_search
from kb.results import Decision, SearchResult
from web.db import db_session
from web.extensions import knowledge_base
from web.help import bp
from web.help.searching import (
    INSTANT_SIZE,
    PAGE_SIZE,
    SearchRequest,
    cached_category_names,
    clean_query,
    hit_view,
    paginate,
    parse_search,
)
from web.help.service import category_cards, content_exists, list_category_names, valid_ref
from web.security import visitor_id
from web.urls import content_url


def _user_id() -> int | None:
    """The signed-in account's id, for analytics."""
    return int(current_user.get_id()) if current_user.is_authenticated else None


def _needs_help(result: SearchResult) -> bool:
    """Whether to offer the community and a chat: nothing found, or nothing convincing."""
    return result.total == 0 or result.decision == Decision.HANDOVER


@bp.get("/search")
def search() -> str:
    """The full results page: ``/search?q=&category=&source=&page=``."""
    session = db_session()
    names = list_category_names(session=session)
    wanted = parse_search(request.args, categories=names)
    if not wanted.query:
        return render_template(
            "help/search.html",
            wanted=wanted,
            query="",
            category_names=names,
            cards=category_cards(session=session),
        )
    result = knowledge_base().search(
        wanted.query,
        limit=PAGE_SIZE,
        offset=(wanted.page - 1) * PAGE_SIZE,
        filters=wanted.filters,
    )
    event = record_search(
        session=session,
        result=result,
        channel="page",
        filters=wanted.filters,
        visitor_id=visitor_id(),
        user_id=_user_id(),
    )
    session.commit()
    return render_template(
        "help/search.html",
        wanted=wanted,
        query=wanted.query,
        result=result,
        hits=[hit_view(h, event_id=event.id, category_names=names) for h in result.hits],
        pagination=paginate(page=wanted.page, total=result.total),
        needs_help=_needs_help(result),
        category_names=names,
    )


@bp.get("/search/instant")
def instant_search() -> tuple[Response, int]:
    """Instant results while typing (JSON): the top hits and where to see them all."""
    started = time.perf_counter()
    try:
        query = clean_query(request.args.get("q"))
        if not query:
            raise BadRequest("Type something to search for.")
    except HTTPException as error:
        return jsonify(error={"status": 400, "message": error.description}), 400
    result = knowledge_base().search(query, limit=INSTANT_SIZE)
    session = db_session()
    event = record_search(
        session=session,
        result=result,
        channel="instant",
        visitor_id=visitor_id(),
        user_id=_user_id(),
    )
    session.commit()
    names = cached_category_names()
    response = jsonify(
        query=result.query,
        corrected_query=result.corrected_query,
        decision=result.decision.value,
        confidence=round(result.confidence, 4),
        total=result.total,
        hits=[hit_view(h, event_id=event.id, category_names=names).as_json() for h in result.hits],
        search_url=SearchRequest(query=query).url(),
        event_id=event.id,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response, 200


@bp.get("/search/click/<int:event_id>")
def search_click(event_id: int) -> BaseResponse:
    """Remember which result a search led to, then go there (only ever to our own pages)."""
    source = request.args.get("source", "")
    ref = request.args.get("ref", "")
    if not valid_ref(source, ref):
        raise BadRequest("That result link is broken: it names no article or question.")
    session = db_session()
    if not content_exists(session=session, source=source, ref=ref):
        raise NotFound("That result is no longer available. Try searching again.")
    if record_click(session=session, event_id=event_id, ref=ref, source=source):
        session.commit()
    return redirect(content_url(source, ref), code=302)
