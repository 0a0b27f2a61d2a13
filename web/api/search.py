"""GET /api/v1/search: hybrid search over articles and community answers, recorded for analytics."""

from __future__ import annotations

from flask_login import current_user
from spectree import Response as Responses

from kb.analytics import record_search
from kb.results import SearchFilters
from kb.results import SearchHit as Hit
from web.api import bp
from web.api.schemas import SearchHit, SearchQuery, SearchResponse
from web.api.spec import api_spec
from web.db import db_session
from web.extensions import knowledge_base
from web.security import visitor_id
from web.urls import content_url


@bp.get("/search")
@api_spec.validate(
    resp=Responses(HTTP_200=SearchResponse), tags=["search"], operation_id="searchHelp"
)
def search(query: SearchQuery) -> SearchResponse:
    """Search the help centre.

    Official articles and community answers ranked together by meaning and by keywords, with
    highlighted snippets, a confidence in the top hit and what a front end should do with it.
    """
    filters = SearchFilters(
        categories=frozenset(query.category) or None, sources=frozenset(query.source) or None
    )
    result = knowledge_base().search(
        query.q, limit=query.limit, offset=query.offset, filters=filters
    )
    session = db_session()
    record_search(
        session=session,
        result=result,
        channel="api",
        filters=filters,
        visitor_id=visitor_id(),
        user_id=int(current_user.get_id()) if current_user.is_authenticated else None,
    )
    session.commit()
    return SearchResponse(
        query=result.query,
        corrected_query=result.corrected_query,
        confidence=round(result.confidence, 4),
        decision=result.decision,
        total=result.total,
        hits=[_hit(hit) for hit in result.hits],
    )


def _hit(hit: Hit) -> SearchHit:
    """A hit as the API shows it."""
    return SearchHit(
        title=hit.title,
        ref=hit.ref,
        source=hit.source,
        category=hit.category,
        score=round(hit.score, 4),
        snippet=hit.snippet,
        highlights=list(hit.highlights),
        heading=hit.heading or None,
        url=content_url(hit.source, hit.ref, external=True),
    )
