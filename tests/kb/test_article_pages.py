"""Paging through published articles (what the JSON API's article list uses)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kb.articles import get_or_create_category, page_published, save_article


def test_page_published_counts_and_orders(session: Session) -> None:
    """Only published articles, by title, a page at a time, with the total of all pages."""
    gear = get_or_create_category(session=session, slug="gear")
    for title in ("Delta", "Alpha", "Charlie", "Bravo"):
        save_article(session=session, title=title, body="x", category="gear", status="published")
    save_article(session=session, title="Aardvark draft", body="x", category="gear")
    save_article(session=session, title="Elsewhere", body="x", status="published")

    first, total = page_published(session=session, category=gear, limit=3)
    rest, same_total = page_published(session=session, category=gear, offset=3, limit=3)
    assert [a.title for a in first] == ["Alpha", "Bravo", "Charlie"]
    assert [a.title for a in rest] == ["Delta"]
    assert total == same_total == 4
    everything, grand_total = page_published(session=session, limit=100)
    assert grand_total >= 5 and "Aardvark draft" not in {a.title for a in everything}


@pytest.mark.parametrize(("offset", "limit"), [(-1, 10), (0, 0)])
def test_page_published_rejects_bad_bounds(session: Session, offset: int, limit: int) -> None:
    """A negative offset or an empty page is a programming error, said clearly."""
    with pytest.raises(ValueError, match="offset"):
        page_published(session=session, offset=offset, limit=limit)
