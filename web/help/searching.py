"""Search as the help centre shows it: parsed parameters, highlighted hits, pages of results."""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from kb.documents import Source
from kb.results import SearchFilters, SearchHit
from web.db import db_session
from web.help.service import list_category_names

PAGE_SIZE = 10
INSTANT_SIZE = 6
MAX_QUERY = 300
MAX_PAGE = 1000
CATEGORY_CACHE_SECONDS = 60.0
BADGES = {Source.OFFICIAL: "Official", Source.COMMUNITY: "Community answer"}
_CACHE_KEY = "tier0.help.category_names"


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A customer's search as sent: the query text, filters and page number."""

    query: str
    category: str | None = None
    source: Source | None = None
    page: int = 1

    @property
    def filters(self) -> SearchFilters:
        """The knowledge-base filters for this request (published, public content only)."""
        return SearchFilters(
            categories=frozenset({self.category}) if self.category else None,
            sources=frozenset({self.source}) if self.source else None,
        )

    def url(self, **changes: object) -> str:
        """This search's shareable URL, with some parameters changed (None drops one)."""
        params: dict[str, Any] = {
            "q": self.query,
            "category": self.category,
            "source": self.source.value if self.source else None,
            "page": self.page if self.page > 1 else None,
        }
        params.update(changes)
        return url_for("help.search", **{k: v for k, v in params.items() if v not in (None, "")})

    def page_url(self, page: int) -> str:
        """The URL of another page of this search."""
        return self.url(page=page if page > 1 else None)


@dataclass(frozen=True, slots=True)
class HitView:
    """One result ready to show: the link goes through the click recorder."""

    title: str
    url: str
    source: str
    badge: str
    category: str | None
    category_slug: str | None
    snippet_html: Markup
    heading: str

    def as_json(self) -> dict[str, object]:
        """The hit as instant search sends it."""
        return {
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "category": self.category,
            "snippet_html": str(self.snippet_html),
            "badge": self.badge,
        }


@dataclass(frozen=True, slots=True)
class Pagination:
    """Which page of how many; ``numbers`` holds the page links to show, None for a gap."""

    page: int
    pages: int
    total: int

    @property
    def numbers(self) -> list[int | None]:
        """First, last and the pages around the current one, with gaps marked."""
        wanted = {1, self.pages, *range(self.page - 2, self.page + 3)}
        shown = sorted(n for n in wanted if 1 <= n <= self.pages)
        numbers: list[int | None] = []
        for number in shown:
            previous = numbers[-1] if numbers else None
            if previous is not None and number - previous == 2:
                numbers.append(previous + 1)  # a gap of one page: show the page, not "…"
            elif previous is not None and number - previous > 2:
                numbers.append(None)
            numbers.append(number)
        return numbers

    @property
    def first_item(self) -> int:
        """The 1-based position of the first hit on this page."""
        return (self.page - 1) * PAGE_SIZE + 1

    @property
    def last_item(self) -> int:
        """The 1-based position of the last hit on this page."""
        return min(self.total, self.page * PAGE_SIZE)


def clean_query(raw: str | None) -> str:
    """The query with whitespace collapsed; a 400 with a clear message when it is too long."""
    query = " ".join((raw or "").split())
    if len(query) > MAX_QUERY:
        raise BadRequest(
            f"Your search is {len(query):,} characters long. Please shorten it to "
            f"{MAX_QUERY} characters or fewer — a few key words work best."
        )
    return query


def parse_search(args: MultiDict[str, str], *, categories: Collection[str]) -> SearchRequest:
    """Read ``q``, ``category``, ``source`` and ``page``; a 400 says exactly what is wrong."""
    query = clean_query(args.get("q"))
    category = args.get("category", "").strip() or None
    if category is not None and category not in categories:
        raise BadRequest(f"There is no category called {category[:80]!r}.")
    raw_source = args.get("source", "").strip()
    if raw_source and raw_source not in {s.value for s in Source}:
        raise BadRequest("The source filter must be 'official' or 'community'.")
    raw_page = args.get("page", "").strip() or "1"
    if not raw_page.isdigit() or not 1 <= int(raw_page) <= MAX_PAGE:
        raise BadRequest(f"The page number must be a whole number from 1 to {MAX_PAGE}.")
    return SearchRequest(
        query=query,
        category=category,
        source=Source(raw_source) if raw_source else None,
        page=int(raw_page),
    )


def highlight(snippet: str, spans: Sequence[tuple[int, int]]) -> Markup:
    """The snippet escaped, with the highlighted spans wrapped in ``<mark>``."""
    parts: list[Markup] = []
    position = 0
    for start, end in sorted(spans):
        if start < position or end <= start or end > len(snippet):
            continue  # overlapping or out-of-range spans are ignored rather than trusted
        parts.append(escape(snippet[position:start]))
        parts.append(Markup("<mark>%s</mark>") % snippet[start:end])
        position = end
    parts.append(escape(snippet[position:]))
    return Markup("").join(parts)


def hit_view(hit: SearchHit, *, event_id: int, category_names: dict[str, str]) -> HitView:
    """A hit as a page or instant search shows it."""
    return HitView(
        title=hit.title,
        url=url_for("help.search_click", event_id=event_id, source=hit.source.value, ref=hit.ref),
        source=hit.source.value,
        badge=BADGES[hit.source],
        category=category_names.get(hit.category or ""),
        category_slug=hit.category,
        snippet_html=highlight(hit.snippet, hit.highlights),
        heading=hit.heading,
    )


def paginate(*, page: int, total: int) -> Pagination:
    """The pagination for a result count (at least one page, even when empty)."""
    return Pagination(page=page, pages=max(1, math.ceil(total / PAGE_SIZE)), total=total)


def cached_category_names() -> dict[str, str]:
    """Category names for hits, read from the database at most once a minute (instant search)."""
    entry: tuple[float, dict[str, str]] | None = current_app.extensions.get(_CACHE_KEY)
    now = time.monotonic()
    if entry is None or now - entry[0] > CATEGORY_CACHE_SECONDS:
        entry = (now, list_category_names(session=db_session()))
        current_app.extensions[_CACHE_KEY] = entry
    return entry[1]
