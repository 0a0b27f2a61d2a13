"""The API's request and response shapes: pydantic models that validate input and feed the OpenAPI document."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from kb.documents import Source
from kb.models import Moderation, QuestionStatus
from kb.results import Decision
from kb.search import MAX_QUERY_CHARS

MAX_TITLE = 200
MIN_TITLE = 5
MAX_BODY = 10_000
MAX_SLUG = 120
MAX_PAGE = 10_000
MAX_PER_PAGE = 100
MAX_SEARCH_LIMIT = 50
MAX_SEARCH_OFFSET = 10_000
EMPTY_QUERY = "Add a search query: /api/v1/search?q=your+question"


def _as_utc(moment: datetime) -> datetime:
    """A stored time in UTC (SQLite hands back naive datetimes, which are UTC here)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


Timestamp = Annotated[datetime, AfterValidator(_as_utc)]


class Input(BaseModel):
    """Base of every request model: unknown fields are rejected, text is stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Requests


class PageQuery(Input):
    """Which page of a list to return."""

    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    per_page: int = Field(20, ge=1, le=MAX_PER_PAGE, description="Items per page.")

    @property
    def offset(self) -> int:
        """Items before this page."""
        return (self.page - 1) * self.per_page

    def envelope(self, total: int) -> dict[str, int]:
        """The pagination fields of a list response with ``total`` items in all."""
        pages = math.ceil(total / self.per_page)
        return {"page": self.page, "per_page": self.per_page, "total": total, "pages": pages}


class CategoryListQuery(PageQuery):
    """Query parameters of the category list."""


class ArticleListQuery(PageQuery):
    """Query parameters of the article list."""

    category: str | None = Field(
        None, max_length=MAX_SLUG, description="Only articles in the category with this slug."
    )


class QuestionListQuery(PageQuery):
    """Query parameters of the community question list."""

    status: QuestionStatus | None = Field(None, description="Only questions in this state.")
    category: str | None = Field(
        None, max_length=MAX_SLUG, description="Only questions in the category with this slug."
    )


class SearchQuery(Input):
    """Query parameters of a search."""

    q: str = Field(
        "",
        max_length=MAX_QUERY_CHARS,
        validate_default=True,
        description="What the customer is looking for, in their own words.",
    )
    limit: int = Field(10, ge=1, le=MAX_SEARCH_LIMIT, description="Hits to return.")
    offset: int = Field(0, ge=0, le=MAX_SEARCH_OFFSET, description="Hits to skip.")
    category: list[str] = Field(
        default_factory=list, description="Only hits in these category slugs (repeatable)."
    )
    source: list[Source] = Field(
        default_factory=list, description="Only official articles or community threads."
    )

    @field_validator("q")
    @classmethod
    def has_text(cls, value: str) -> str:
        """An empty query gets the hint how to write one."""
        if not value:
            raise ValueError(EMPTY_QUERY)
        return value


class NewQuestion(Input):
    """A question to post to the community."""

    title: str = Field(
        min_length=MIN_TITLE, max_length=MAX_TITLE, description="The question in one line."
    )
    body: str = Field("", max_length=MAX_BODY, description="Details, in Markdown (no HTML).")
    category: str | None = Field(None, max_length=MAX_SLUG, description="A category slug.")


class NewAnswer(Input):
    """An answer to post to a community question."""

    body: str = Field(min_length=1, max_length=MAX_BODY, description="In Markdown (no HTML).")


# Responses


class ErrorDetail(BaseModel):
    """What went wrong."""

    status: int = Field(description="The HTTP status code.")
    message: str = Field(description="What was wrong, in words a person can act on.")
    fields: dict[str, str] | None = Field(
        None, description="For invalid input: the message for each field that was wrong."
    )


class ErrorResponse(BaseModel):
    """Every error answers with this body."""

    error: ErrorDetail


class PageInfo(BaseModel):
    """The pagination envelope shared by every list."""

    page: int = Field(description="This page's number, from 1.")
    per_page: int = Field(description="Items per page.")
    total: int = Field(description="Items in all pages.")
    pages: int = Field(description="Number of pages (0 when there are no items).")


class CategoryRef(BaseModel):
    """A category named by another resource."""

    slug: str
    name: str


class CategoryOut(CategoryRef):
    """A help centre category."""

    description: str
    article_count: int = Field(description="Published articles in the category.")
    url: str = Field(description="The category's page on the help centre.")


class CategoryPage(PageInfo):
    """A page of categories."""

    items: list[CategoryOut]


class ArticleSummary(BaseModel):
    """An article as lists show it."""

    slug: str
    title: str
    summary: str
    category: CategoryRef | None
    tags: list[str]
    updated_at: Timestamp
    url: str = Field(description="The article's page on the help centre.")


class CategoryDetail(CategoryOut):
    """A category with its published articles."""

    articles: list[ArticleSummary]


class ArticlePage(PageInfo):
    """A page of articles."""

    items: list[ArticleSummary]


class Heading(BaseModel):
    """A table-of-contents entry of an article."""

    level: int
    anchor: str
    text: str


class ArticleOut(ArticleSummary):
    """A published article in full."""

    source: Literal["official"] = "official"
    published_at: Timestamp | None
    body: str = Field(description="The article in Markdown.")
    html: str = Field(description="The article rendered to sanitised HTML.")
    headings: list[Heading] = Field(description="The h2 and h3 headings, for a table of contents.")


class SearchHit(BaseModel):
    """One search result."""

    title: str
    ref: str = Field(description="Article slug, or community question id.")
    source: Source
    category: str | None
    score: float
    snippet: str
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) character spans of the snippet that match the query."
    )
    heading: str | None = Field(description="The article section the snippet comes from.")
    url: str = Field(description="The hit's page on the help centre.")


class SearchResponse(BaseModel):
    """Search results with how confident the search is."""

    query: str
    corrected_query: str | None = Field(description="The spelling-corrected query, if any.")
    confidence: float = Field(ge=0, le=1)
    decision: Decision = Field(description="answer, suggest (show choices) or handover.")
    total: int
    hits: list[SearchHit]


class AnswerOut(BaseModel):
    """A community answer."""

    id: int
    question_id: int
    source: Literal["community"] = "community"
    body: str = Field(description="The answer in Markdown.")
    html: str = Field(description="The answer rendered to sanitised HTML.")
    author: str | None = Field(description="The author's display name.")
    score: int = Field(description="Up votes minus down votes.")
    accepted: bool
    moderation: Moderation = Field(description="pending posts wait for a moderator.")
    created_at: Timestamp


class QuestionSummary(BaseModel):
    """A community question as lists show it."""

    id: int
    source: Literal["community"] = "community"
    title: str
    excerpt: str
    status: QuestionStatus
    category: CategoryRef | None
    author: str | None = Field(description="The author's display name.")
    answer_count: int = Field(description="Visible answers.")
    has_accepted_answer: bool
    created_at: Timestamp
    updated_at: Timestamp
    url: str = Field(description="The question's page on the community site.")


class QuestionPage(PageInfo):
    """A page of community questions."""

    items: list[QuestionSummary]


class QuestionOut(QuestionSummary):
    """A community question with its visible answers."""

    body: str = Field(description="The question's details in Markdown.")
    html: str = Field(description="The details rendered to sanitised HTML.")
    moderation: Moderation = Field(description="pending posts wait for a moderator.")
    answers: list[AnswerOut]
