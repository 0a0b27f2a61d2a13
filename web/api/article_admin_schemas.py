"""The articles staff API's request and response shapes (they also feed the OpenAPI document)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from kb.articles import MAX_BODY, MAX_CATEGORY_SLUG, MAX_SLUG, MAX_TAG, MAX_TAGS, MAX_TITLE
from kb.models import ArticleStatus
from web.api.schemas import Input, PageInfo, PageQuery, Timestamp

MAX_SUMMARY = 2000
MAX_NOTE = 500
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
NOT_NULL = ("title", "slug", "summary", "body", "tags", "note")

# Requests


def check_slug(value: str | None) -> str | None:
    """A slug is lowercase ASCII letters and digits in words joined by single hyphens."""
    if value is not None and not SLUG_PATTERN.fullmatch(value):
        raise ValueError(
            f"'slug' {value!r} is not a valid slug: use lowercase letters a-z, digits and single "
            "hyphens between words, like 'reset-your-password'."
        )
    return value


def parse_date(value: Any) -> Any:
    """An ISO date (2027-01-31) or null; anything else is refused with an example."""
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"'review_by' must be a date like 2027-01-31 (YYYY-MM-DD), got {value!r}.")


class ArticleFields(Input):
    """What both creating and editing an article take."""

    slug: str | None = Field(
        None,
        max_length=MAX_SLUG,
        description="The URL slug; changing a published one keeps a redirect from the old URL.",
    )
    summary: str | None = Field(None, max_length=MAX_SUMMARY, description="One or two sentences.")
    category: str | None = Field(
        None, max_length=MAX_CATEGORY_SLUG, description="A category slug (see /api/v1/categories)."
    )
    tags: list[str] | None = Field(
        None, max_length=MAX_TAGS, description=f"Up to {MAX_TAGS} tags of {MAX_TAG} characters."
    )
    owner_id: int | None = Field(
        None, ge=1, description="The editor who keeps the article true (a staff member's id)."
    )
    review_by: date | None = Field(
        None, description="When the article should next be checked (YYYY-MM-DD)."
    )
    note: str | None = Field(None, max_length=MAX_NOTE, description="Why, for the history.")

    @field_validator("slug")
    @classmethod
    def valid_slug(cls, slug: str | None) -> str | None:
        """A slug the help centre's URLs can carry."""
        return check_slug(slug)

    @field_validator("review_by", mode="before")
    @classmethod
    def iso_date(cls, value: Any) -> Any:
        """An ISO date, with an example when it is not one."""
        return parse_date(value)

    @field_validator("tags")
    @classmethod
    def short_tags(cls, tags: list[str] | None) -> list[str] | None:
        """Each tag fits the limit."""
        for tag in tags or []:
            if len(tag) > MAX_TAG:
                raise ValueError(
                    f"'tags': {tag[:50]!r} is {len(tag)} characters, at most {MAX_TAG} allowed."
                )
        return tags


class NewArticle(ArticleFields):
    """A new draft article, in Markdown."""

    title: str = Field(min_length=1, max_length=MAX_TITLE, description="The article's title.")
    body: str = Field("", max_length=MAX_BODY, description="The article, in Markdown.")


class ArticleChanges(ArticleFields):
    """The fields to change (the others stay); null clears category, owner_id and review_by.

    A published article gets a pending draft revision: the live version stays until it is
    published. Other states are edited in place.
    """

    title: str | None = Field(None, min_length=1, max_length=MAX_TITLE)
    body: str | None = Field(None, max_length=MAX_BODY, description="In Markdown.")

    @field_validator(*NOT_NULL, mode="before")
    @classmethod
    def not_null(cls, value: Any, info: ValidationInfo) -> Any:
        """Only category, owner_id and review_by can be cleared with null."""
        if value is None:
            raise ValueError(f"'{info.field_name}' cannot be null; leave it out to keep it.")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the caller sent (note aside), as kb.editorial.edit takes them."""
        return {name: getattr(self, name) for name in self.model_fields_set - {"note"}}


class WorkflowNote(Input):
    """An optional note for the article's history."""

    note: str = Field("", max_length=MAX_NOTE, description="Why, for the history.")


class RevisionListQuery(PageQuery):
    """Which page of an article's revisions to list (newest first)."""


# Responses


class EditorRef(BaseModel):
    """A member of the team."""

    id: int
    name: str


class WorkingCopy(BaseModel):
    """The content being edited: a published article's pending revision, else the article."""

    title: str
    slug: str
    summary: str
    body: str = Field(description="Markdown.")
    category: str | None = Field(description="The category's slug.")
    tags: list[str]
    status: ArticleStatus = Field(description="Of this content: a pending revision is a draft.")
    revision: int = Field(description="The revision holding this content.")
    pending: bool = Field(description="A newer draft of a published article, not live yet.")


class EditorialArticle(BaseModel):
    """An article as editors see it: its live state and what is being worked on."""

    slug: str = Field(description="The live slug (the one in the help centre's URL).")
    title: str
    summary: str
    category: str | None = Field(description="The category's slug.")
    tags: list[str]
    status: ArticleStatus
    author: EditorRef | None
    owner: EditorRef | None
    review_by: date | None
    revision_number: int = Field(description="The latest revision.")
    draft_revision: int | None = Field(description="A pending revision of a published article.")
    origin: str = Field(description="'', 'conversation' (an agent's draft) or 'community'.")
    origin_ref: str
    created_at: Timestamp
    updated_at: Timestamp
    published_at: Timestamp | None
    url: str | None = Field(description="The help centre page, while published.")
    working_copy: WorkingCopy


class RevisionSummary(BaseModel):
    """One saved revision: who, when, why."""

    number: int
    title: str
    slug: str
    summary: str
    category: str | None
    tags: list[str]
    status: ArticleStatus
    author: EditorRef | None
    note: str
    created_at: Timestamp
    pending: bool = Field(description="The published article's pending draft revision.")


class RevisionPage(PageInfo):
    """A page of an article's revisions, newest first."""

    items: list[RevisionSummary]


class RevisionDetail(RevisionSummary):
    """A revision with its Markdown."""

    body: str
