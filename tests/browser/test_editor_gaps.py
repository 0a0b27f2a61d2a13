"""Content gaps and article health in a real browser: a gap group becomes a pre-filled draft.

Failed searches and article use are written straight into the served database (as the help
centre and the bot would have); grouping uses the served app's real model.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kb.article_health import record_article_event
from kb.knowledge_base import KnowledgeBase
from kb.models import Article, ArticleFeedback, ArticleStatus, Role, SearchEvent, utcnow
from tests.browser.staff import keep, sign_in
from tests.web.staff_helpers import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.model]

FAILED = [
    # (question, days ago): low-confidence searches customers ran
    ("can I rent a canoe for the weekend", 1),
    ("do you hire out canoes", 2),
    ("canoe rental prices", 3),
    ("can I rent a canoe for the weekend", 5),
    ("is there a canoe rental near the lake", 6),
    ("do you price match other shops", 4),
    ("will you match a cheaper price from another store", 15),
    ("price match policy", 22),
    ("do you price match other shops", 27),
    ("can I recycle my old sleeping bag with you", 12),
    ("do you take back worn-out gear for recycling", 25),
]


def seed(kb: KnowledgeBase) -> None:
    """Low-confidence searches, and some votes and bot use of published articles (once)."""
    now = utcnow()
    with kb.sessions.begin() as session:
        if session.scalar(select(SearchEvent.id).where(SearchEvent.query == FAILED[0][0])):
            return
        for query, days in FAILED:
            session.add(
                SearchEvent(
                    query=query,
                    channel="page",
                    result_count=2,
                    top_confidence=0.2,
                    decision="handover",
                    created_at=now - timedelta(days=days, hours=1),
                )
            )
        published = session.scalars(
            select(Article).where(Article.status == ArticleStatus.PUBLISHED).order_by(Article.id)
        ).all()
        for i, article in enumerate(published[:8]):
            article.view_count = max(article.view_count, 200 - 23 * i)
            for v in range(6 - i % 4):
                session.add(
                    ArticleFeedback(
                        article_id=article.id, visitor_id=f"gaps-{i}-{v}", helpful=v % 3 != 0
                    )
                )
            kinds = ("bot_served",) * (10 - i) + ("bot_confirmed",) * (4 - i // 2)
            for kind in kinds + ("bot_rejected",) * (i % 3):
                record_article_event(session=session, article=article, kind=kind)


def test_draft_an_article_for_a_content_gap(
    page: Page, base_url: str, served_kb: KnowledgeBase
) -> None:
    """The report groups the canoe questions; drafting from the group pre-fills a new draft."""
    seed(served_kb)
    editor = make_staff(served_kb, Role.EDITOR, name="gail.gapfinder")
    sign_in(page, base_url, editor)
    page.locator(".admin-nav").get_by_role("link", name="Content gaps").click()
    expect(page.locator("h1")).to_have_text("Content gaps")
    canoe = page.locator(".gap-card", has_text="canoe").first
    expect(canoe.locator('[data-count="7"]')).to_have_text("5")
    expect(canoe.locator(".badge-rising")).to_have_text("Rising")
    expect(canoe.locator(".gap-examples li")).to_have_count(4)
    assert page.locator(".gap-card", has_text="canoe").count() == 1  # one group, not four
    price = page.locator(".gap-card", has_text="price match").first
    expect(price.locator('[data-count="30"]')).to_have_text("4")
    expect(price.locator(".badge-steady")).to_be_visible()
    expect(page.locator(".chart-svg rect.bar-recent").first).to_be_visible()
    keep(page, "editor-gaps", full_page=True)

    canoe.get_by_role("link", name="Draft an article for this").click()
    page.wait_for_url(re.compile(r"/editor/articles/new\?"))
    title = page.locator("#title").input_value()
    assert "canoe" in title.lower()
    expect(page.locator("#body")).to_contain_text("- do you hire out canoes")
    page.locator("#body").fill(
        "We do not rent canoes ourselves. Lakeside Paddle Co. next door rents them by the day."
    )
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash-success")).to_contain_text("saved")
    expect(page.locator("#article-state")).to_contain_text("Draft")
    with served_kb.sessions() as session:
        draft = session.scalar(select(Article).where(Article.title == title))
        assert draft is not None and draft.status == ArticleStatus.DRAFT


def test_article_health_charts(page: Page, base_url: str, served_kb: KnowledgeBase) -> None:
    """Charts of views, votes and bot use, with the lists an editor acts on."""
    seed(served_kb)
    editor = make_staff(served_kb, Role.EDITOR, name="hal.healthcheck")
    sign_in(page, base_url, editor)
    page.goto(base_url + "/editor/health")
    expect(page.locator("h1")).to_have_text("Article health")
    expect(page.locator("#views-chart-title")).to_have_text("Most viewed articles")
    assert page.locator("figure.chart svg.chart-svg").count() == 3
    assert page.locator("svg.chart-svg rect.bar-main").count() >= 1
    expect(page.locator("#all-articles tbody tr").first).to_be_visible()
    keep(page, "editor-health")
