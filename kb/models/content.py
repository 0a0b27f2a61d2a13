"""People and the knowledge base: accounts, API tokens, articles with revisions, phrasings, and what customers do with them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from kb.models.base import Base, string_enum, utcnow


class Role(enum.StrEnum):
    """What a person may do in Tier0."""

    CUSTOMER = "customer"
    AGENT = "agent"
    EDITOR = "editor"
    ADMIN = "admin"


class ArticleStatus(enum.StrEnum):
    """Where an article is in its lifecycle; only published articles reach customers."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class PhrasingSource(enum.StrEnum):
    """Who taught the knowledge base a phrasing."""

    EDITOR = "editor"
    CONFIRMED_RESOLUTION = "confirmed_resolution"


class User(Base):
    """A customer, agent, editor or administrator."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[Role] = mapped_column(string_enum(Role), default=Role.CUSTOMER)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # When a staff member last used the desk or the API: "is anybody online?" for waiting customers.
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A staff member's token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token's first characters, shown in lists so people can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(lazy="joined")


class Category(Base):
    """A section of the help centre."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Article(Base):
    """An official help article, written in Markdown."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    tags: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[ArticleStatus] = mapped_column(
        string_enum(ArticleStatus), default=ArticleStatus.DRAFT, index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revision_number: Mapped[int] = mapped_column(Integer, default=0)
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The editor who keeps the article true, and when it should next be checked.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    review_by: Mapped[date | None] = mapped_column(Date)
    # A newer revision being written or reviewed while this published version stays live.
    draft_revision: Mapped[int | None] = mapped_column(Integer)
    # Where a draft came from: "" (written by an editor), "conversation" (an agent's answer) …
    origin: Mapped[str] = mapped_column(String(32), default="")
    # … and which one (a conversation's public id), for the editors' inbox to link back.
    origin_ref: Mapped[str] = mapped_column(String(200), default="")

    category: Mapped[Category | None] = relationship(lazy="joined")
    author: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[author_id])
    owner: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[owner_id])
    phrasings: Mapped[list[Phrasing]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="Phrasing.id"
    )
    revisions: WriteOnlyMapped[ArticleRevision] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ArticleRevision.number"
    )


class ArticleRevision(Base):
    """A full snapshot of an article, taken on every save."""

    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    tags: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[ArticleStatus] = mapped_column(string_enum(ArticleStatus))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    # The slug this revision had ("" in revisions written before slugs were kept).
    slug: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ArticleRedirect(Base):
    """An article's former slug: its old URL keeps working after a rename."""

    __tablename__ = "article_redirects"

    id: Mapped[int] = mapped_column(primary_key=True)
    old_slug: Mapped[str] = mapped_column(String(120), unique=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ArticleEvent(Base):
    """Something the bot did with an article: served it, or the customer confirmed or rejected it."""

    __tablename__ = "article_events"
    __table_args__ = (Index("ix_article_events_article_id_kind", "article_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))  # bot_served, bot_confirmed, bot_rejected
    conversation_ref: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class Phrasing(Base):
    """Another way customers ask for an article; search matches on it too."""

    __tablename__ = "phrasings"
    __table_args__ = (UniqueConstraint("article_id", "text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(500))
    source: Mapped[PhrasingSource] = mapped_column(
        string_enum(PhrasingSource), default=PhrasingSource.EDITOR
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    article: Mapped[Article] = relationship(back_populates="phrasings")


class ContentChange(Base):
    """An append-only log of searchable content changes; search indexes replay it to stay current."""

    __tablename__ = "content_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "article" or "question"
    entity_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ArticleFeedback(Base):
    """A visitor's "was this helpful?" answer on an article: one per visitor per article."""

    __tablename__ = "article_feedback"
    __table_args__ = (UniqueConstraint("article_id", "visitor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    visitor_id: Mapped[str] = mapped_column(String(64))
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChatStart(Base):
    """Context a chat should open with (an unhelpful article, a failed search), kept until used."""

    __tablename__ = "chat_starts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    origin: Mapped[str] = mapped_column(String(32))  # "article_feedback" or "search"
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    feedback_id: Mapped[int | None] = mapped_column(
        ForeignKey("article_feedback.id", ondelete="SET NULL")
    )
    query: Mapped[str] = mapped_column(String(500), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    visitor_id: Mapped[str] = mapped_column(String(64), default="")
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SearchEvent(Base):
    """One search a customer ran, what it found and what they clicked: the content-gap raw data."""

    __tablename__ = "search_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(500))
    corrected_query: Mapped[str | None] = mapped_column(String(500))
    channel: Mapped[str] = mapped_column(String(16), index=True)  # page, instant, ask, api
    result_count: Mapped[int] = mapped_column(Integer, default=0)
    top_confidence: Mapped[float] = mapped_column(default=0.0)
    decision: Mapped[str] = mapped_column(String(16), default="")
    zero_result: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    visitor_id: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    clicked_ref: Mapped[str | None] = mapped_column(String(200))
    clicked_source: Mapped[str | None] = mapped_column(String(16))
    clicked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
