"""Categories and published articles: /api/v1/categories[/<slug>] and /api/v1/articles[/<slug>]."""

from __future__ import annotations

from flask import url_for
from spectree import Response as Responses
from sqlalchemy.orm import Session

from kb.articles import page_published
from kb.documents import Source
from kb.models import Article, Category
from web.api import bp
from web.api.errors import InvalidInput
from web.api.schemas import (
    ArticleListQuery,
    ArticleOut,
    ArticlePage,
    ArticleSummary,
    CategoryDetail,
    CategoryListQuery,
    CategoryOut,
    CategoryPage,
    CategoryRef,
    ErrorResponse,
    Heading,
)
from web.api.spec import api_spec
from web.db import db_session
from web.help import service as help_centre
from web.rendering import render_article
from web.urls import content_url

SLUG = {"slug": "The slug in the help centre's URL."}


@bp.get("/categories")
@api_spec.validate(
    resp=Responses(HTTP_200=CategoryPage), tags=["articles"], operation_id="listCategories"
)
def list_categories(query: CategoryListQuery) -> CategoryPage:
    """List the help centre's categories with their published-article counts, in display order."""
    cards = help_centre.category_cards(session=db_session())
    shown = cards[query.offset : query.offset + query.per_page]
    return CategoryPage(
        items=[_category(card.category, card.article_count) for card in shown],
        **query.envelope(len(cards)),
    )


@bp.get("/categories/<slug>")
@api_spec.validate(
    resp=Responses(HTTP_200=CategoryDetail, HTTP_404=ErrorResponse),
    tags=["articles"],
    operation_id="getCategory",
    path_parameter_descriptions={"slug": "The category's slug."},
)
def get_category(slug: str) -> CategoryDetail:
    """Read a category with all its published articles, by title."""
    session = db_session()
    category = help_centre.get_category(session=session, slug=slug)
    published = help_centre.category_articles(session=session, category=category)
    return CategoryDetail(
        **_category(category, len(published)).model_dump(),
        articles=[_summary(article) for article in published],
    )


@bp.get("/articles")
@api_spec.validate(
    resp=Responses(HTTP_200=ArticlePage), tags=["articles"], operation_id="listArticles"
)
def list_articles(query: ArticleListQuery) -> ArticlePage:
    """List published articles by title, optionally in one category."""
    session = db_session()
    category = known_category(session, query.category)
    page, total = page_published(
        session=session, category=category, offset=query.offset, limit=query.per_page
    )
    return ArticlePage(items=[_summary(article) for article in page], **query.envelope(total))


@bp.get("/articles/<slug>")
@api_spec.validate(
    resp=Responses(HTTP_200=ArticleOut, HTTP_404=ErrorResponse),
    tags=["articles"],
    operation_id="getArticle",
    path_parameter_descriptions=SLUG,
)
def get_article(slug: str) -> ArticleOut:
    """Read a published article: its Markdown, the same rendered to safe HTML, and its headings."""
    article = help_centre.get_published_article(session=db_session(), slug=slug)
    rendered = render_article(article.body)
    return ArticleOut(
        **_summary(article).model_dump(),
        published_at=article.published_at,
        body=article.body,
        html=rendered.html,
        headings=[Heading(level=h.level, anchor=h.anchor, text=h.text) for h in rendered.headings],
    )


def known_category(session: Session, slug: str | None) -> Category | None:
    """The category a list is filtered to; a 400 naming the parameter if there is none such."""
    if slug is None:
        return None
    try:
        return help_centre.get_category(session=session, slug=slug)
    except help_centre.PageNotFound:
        raise InvalidInput.field(
            "category", f"No category has the slug {slug!r}; see /api/v1/categories."
        ) from None


def _category(category: Category, article_count: int) -> CategoryOut:
    """A category as the API shows it."""
    return CategoryOut(
        slug=category.slug,
        name=category.name,
        description=category.description,
        article_count=article_count,
        url=url_for("help.category", slug=category.slug, _external=True),
    )


def _summary(article: Article) -> ArticleSummary:
    """An article as lists show it."""
    category = article.category
    return ArticleSummary(
        slug=article.slug,
        title=article.title,
        summary=article.summary,
        category=None if category is None else CategoryRef(slug=category.slug, name=category.name),
        tags=list(article.tags),
        updated_at=article.updated_at,
        url=content_url(Source.OFFICIAL, article.slug, external=True),
    )
