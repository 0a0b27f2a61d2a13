"""Help centre pages: home, categories, articles, related articles, service levels, chat, headers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from kb.articles import save_article
from kb.config import BusinessHours, ServicePlan
from kb.db import transaction
from kb.knowledge_base import KnowledgeBase
from kb.models import Article, ArticleStatus, Category
from web import create_app

RETURN = "/articles/how-to-return-an-item"


def _text(client: FlaskClient, url: str, status: int = 200) -> str:
    """GET a page, check its status, return its HTML."""
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


@pytest.fixture
def draft(demo_kb: KnowledgeBase) -> Iterator[str]:
    """A draft article (not public), removed again afterwards."""
    with transaction(demo_kb.sessions) as session:
        save_article(
            session=session,
            slug="help-test-draft",
            title="Secret upcoming sale",
            body="Not yet.",
            category="returns-and-refunds",
            status="draft",
        )
    yield "help-test-draft"
    with transaction(demo_kb.sessions) as session:
        session.execute(
            update(Article).where(Article.slug == "help-test-draft").values(status="archived")
        )


# home


def test_home_has_hero_search_and_no_header_search(client: FlaskClient) -> None:
    """The home page leads with one big search box (the header one is hidden there)."""
    html = _text(client, "/")
    assert 'id="search-hero"' in html and 'id="search-header"' not in html
    assert 'data-instant-search="/search/instant"' in html
    assert 'role="combobox"' in html and 'aria-controls="search-hero-results"' in html


def test_home_lists_categories_in_order_with_published_counts(
    client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """Category cards follow _categories.yml's order and count published articles only."""
    html = _text(client, "/")
    with demo_kb.sessions() as session:
        categories = session.scalars(select(Category).order_by(Category.position)).all()
        counts = dict(
            session.execute(
                select(Article.category_id, func.count())
                .where(Article.status == ArticleStatus.PUBLISHED)
                .group_by(Article.category_id)
            ).all()
        )
    positions = [html.index(f'href="/categories/{c.slug}"') for c in categories]
    assert positions == sorted(positions)
    cards = html.split('class="topic-card card"')[1:]
    for category, card in zip(categories, cards, strict=True):
        assert category.name in card
        assert f"{counts.get(category.id, 0)} articles" in card
    assert "Orders and shipping" in cards[0] and "12 articles" in cards[0]


def test_home_popular_follows_view_counts_and_recent_follows_updates(
    client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """The most viewed article leads "Popular"; "Recently updated" shows dates."""
    popular_article = update(Article).where(Article.slug == "price-match")
    with transaction(demo_kb.sessions) as session:
        session.execute(popular_article.values(view_count=Article.view_count + 10_000_000))
    try:
        html = _text(client, "/")
    finally:
        with transaction(demo_kb.sessions) as session:
            session.execute(popular_article.values(view_count=Article.view_count - 10_000_000))
    popular = html.split('id="popular-articles"')[1].split("</ul>")[0]
    first_link = re.search(r'href="(/articles/[^"]+)"', popular)
    assert first_link and first_link.group(1) == "/articles/price-match"
    recent = html.split('id="recent-articles"')[1].split("</ul>")[0]
    assert "Updated <time" in recent


# categories


def test_category_page_lists_its_published_articles(client: FlaskClient, draft: str) -> None:
    """A category shows its articles with summaries and a breadcrumb; drafts are left out."""
    html = _text(client, "/categories/returns-and-refunds")
    assert "<h1>Returns and refunds</h1>" in html
    assert 'aria-label="Breadcrumb"' in html and 'href="/"' in html
    assert RETURN in html and "Start your return in My Account" in html
    assert draft not in html and "Secret upcoming sale" not in html
    assert html.count('class="article-card card"') == 9


@pytest.mark.parametrize("slug", ["no-such-topic", "Bad_Slug", "x" * 300])
def test_unknown_category_is_a_friendly_404(client: FlaskClient, slug: str) -> None:
    """Unknown topics get the HTML 404 page with a way on."""
    html = _text(client, f"/categories/{slug}", 404)
    assert "find that topic" in html and 'href="/"' in html


# articles


def test_article_page_renders_body_breadcrumb_date_and_contents(client: FlaskClient) -> None:
    """The article is rendered from Markdown with a breadcrumb, date and table of contents."""
    html = _text(client, RETURN)
    assert '<h1 id="article-title">How to return an item</h1>' in html
    crumbs = html.split('aria-label="Breadcrumb"')[1].split("</nav>")[0]
    assert (
        crumbs.index("Home")
        < crumbs.index("Returns and refunds")
        < crumbs.index("How to return an item")
    )
    assert 'aria-current="page"' in crumbs
    assert '<h2 id="before-you-start">' in html
    assert 'href="#before-you-start"' in html and "On this page" in html
    assert re.search(r'id="article-updated">\d{1,2} \w{3} \d{4}</time>', html)


def test_short_articles_have_no_table_of_contents(client: FlaskClient) -> None:
    """Fewer than three headings: no contents box."""
    html = _text(client, "/articles/order-confirmation-email")
    assert "On this page" not in html


def test_article_shows_related_articles_but_not_itself(client: FlaskClient) -> None:
    """Up to five related articles link elsewhere, never back to the same article."""
    html = _text(client, RETURN)
    related = html.split('id="related-articles"')[1].split("</ul>")[0]
    links = re.findall(r'href="(/articles/[^"]+)"', related)
    assert 1 <= len(links) <= 5
    assert RETURN not in links


def test_each_view_adds_one_to_the_view_count(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Viewing an article increments its stored view count."""

    def views() -> int:
        with demo_kb.sessions() as session:
            count = session.scalar(
                select(Article.view_count).where(Article.slug == "gift-card-balance")
            )
            return int(count or 0)

    before = views()
    for _ in range(3):
        _text(client, "/articles/gift-card-balance")
    assert views() == before + 3


def test_unpublished_and_unknown_articles_are_404(client: FlaskClient, draft: str) -> None:
    """Only published articles are public; others look exactly like missing ones."""
    for url in (f"/articles/{draft}", "/articles/no-such-article", "/articles/UPPER"):
        html = _text(client, url, 404)
        assert "find that article" in html
        assert "Secret upcoming sale" not in html


def test_article_markup_is_sanitised(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Raw HTML in an article cannot run script."""
    with transaction(demo_kb.sessions) as session:
        save_article(
            session=session,
            slug="help-test-sanitised",
            title="Sanitised article",
            body='Hello <script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3))',
            status="published",
        )
    html = _text(client, "/articles/help-test-sanitised")
    body = html.split('id="article-body"')[1].split("</div>")[0]
    assert "<script" not in body and "onerror" not in body and 'href="javascript' not in body
    with transaction(demo_kb.sessions) as session:
        session.execute(
            update(Article).where(Article.slug == "help-test-sanitised").values(status="archived")
        )


# service levels and chat


def test_service_levels_page_describes_each_plan(client: FlaskClient) -> None:
    """Each configured plan is described in plain words."""
    html = _text(client, "/service-levels")
    assert (
        "We reply to chats and emails within 4 business hours "
        "(Mon–Fri 08:00–18:00 London time) and aim to resolve within 1 business day."
    ) in html
    assert 'id="plan-free"' in html and 'id="plan-premium"' in html and "24/7" in html


def test_service_levels_come_from_configuration(demo_kb: KnowledgeBase) -> None:
    """A different configuration shows different promises."""
    plan = ServicePlan(
        key="gold",
        name="Gold",
        first_response_minutes=30,
        resolution_minutes=120,
        business_hours=BusinessHours(days=[0, 1, 2, 3, 4, 5], timezone="America/New_York"),
        channels=["phone"],
    )
    settings = demo_kb.settings.model_copy(update={"service_plans": [plan]})
    app = create_app({"TESTING": True}, settings=settings, knowledge_base=demo_kb)
    html = _text(app.test_client(), "/service-levels")
    assert "We reply to phone calls within 30 minutes (Mon–Sat 08:00–18:00 New York time)" in html
    assert "<h2>Gold</h2>" in html and 'id="plan-plus"' not in html


def test_chat_page_without_context(client: FlaskClient) -> None:
    """The chat page opens without a start token too."""
    html = _text(client, "/chat")
    assert "Chat with us" in html and 'id="chat-context"' not in html


@pytest.mark.parametrize("token", ["bad token!", "x", "a" * 40])
def test_chat_page_with_a_bad_token_is_404(client: FlaskClient, token: str) -> None:
    """Mistyped or unknown chat links are a friendly 404."""
    html = _text(client, f"/chat?start={token}", 404)
    assert "chat link" in html


# security


@pytest.mark.parametrize(
    "url",
    [
        "/",
        RETURN,
        "/categories/returns-and-refunds",
        "/search?q=boots",
        "/service-levels",
        "/chat",
        "/articles/missing",
    ],
)
def test_pages_send_security_headers_and_no_inline_code(client: FlaskClient, url: str) -> None:
    """Every page carries the security headers and nothing the CSP would block."""
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert not re.search(r"\sstyle=|\son[a-z]+=", html), "inline style or handler"


def test_head_request_does_not_count_a_view(app: Flask, demo_kb: KnowledgeBase) -> None:
    """HEAD requests (link checkers) are not views."""
    with demo_kb.sessions() as session:
        before = session.scalar(select(Article.view_count).where(Article.slug == "price-match"))
    assert app.test_client().head("/articles/price-match").status_code == 200
    with demo_kb.sessions() as session:
        after = session.scalar(select(Article.view_count).where(Article.slug == "price-match"))
    assert after == before
