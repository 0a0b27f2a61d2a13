"""JSON API views: parse the request, call the knowledge base, return JSON."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from werkzeug.exceptions import BadRequest

from kb.documents import Source
from kb.results import SearchFilters, SearchHit
from web.api import bp
from web.extensions import knowledge_base

MAX_LIMIT = 50


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within bounds, or a 400 that says what is wrong."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"'{name}' must be a whole number, got {raw!r}.") from None
    if not low <= value <= high:
        raise BadRequest(f"'{name}' must be between {low} and {high}, got {value}.")
    return value


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    """A hit as the API shows it."""
    return {
        "title": hit.title,
        "ref": hit.ref,
        "source": hit.source.value,
        "category": hit.category,
        "score": round(hit.score, 4),
        "snippet": hit.snippet,
        "highlights": [list(span) for span in hit.highlights],
        "heading": hit.heading or None,
    }


@bp.get("/search")
def search() -> Response:
    """Search published help content: ``?q=…&limit=&offset=&category=&source=``."""
    query = request.args.get("q", "")
    if not query.strip():
        raise BadRequest("Add a search query: /api/v1/search?q=your+question")
    sources = request.args.getlist("source")
    unknown = [s for s in sources if s not in {s.value for s in Source}]
    if unknown:
        raise BadRequest(f"Unknown source {unknown[0]!r}; use 'official' or 'community'.")
    filters = SearchFilters(
        categories=frozenset(request.args.getlist("category")) or None,
        sources=frozenset(Source(s) for s in sources) or None,
    )
    result = knowledge_base().search(
        query,
        limit=_int_arg("limit", 10, 1, MAX_LIMIT),
        offset=_int_arg("offset", 0, 0, 10_000),
        filters=filters,
    )
    return jsonify(
        query=result.query,
        corrected_query=result.corrected_query,
        confidence=round(result.confidence, 4),
        decision=result.decision.value,
        total=result.total,
        hits=[_hit_json(hit) for hit in result.hits],
    )


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI document of this API."""
    return jsonify(openapi="3.1.0", info={"title": "Tier0 API", "version": "1"}, paths={})
