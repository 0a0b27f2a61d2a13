"""Community Q&A: questions, answers, votes, flags and moderation."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.models.base import Base, string_enum, utcnow
from kb.models.content import Category, User


class Moderation(enum.StrEnum):
    """Whether community content is shown."""

    VISIBLE = "visible"
    PENDING = "pending"
    HIDDEN = "hidden"


class QuestionStatus(enum.StrEnum):
    """Whether a community question still needs an answer."""

    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class Question(Base):
    """A question a customer asked the community."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    status: Mapped[QuestionStatus] = mapped_column(
        string_enum(QuestionStatus), default=QuestionStatus.OPEN
    )
    moderation: Mapped[Moderation] = mapped_column(
        string_enum(Moderation), default=Moderation.VISIBLE
    )
    moderation_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    author: Mapped[User | None] = relationship(lazy="joined")
    category: Mapped[Category | None] = relationship(lazy="joined")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="question", cascade="all, delete-orphan", order_by="Answer.id"
    )


class Answer(Base):
    """A community answer to a question."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    score: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    moderation: Mapped[Moderation] = mapped_column(
        string_enum(Moderation), default=Moderation.VISIBLE
    )
    moderation_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    question: Mapped[Question] = relationship(back_populates="answers")
    author: Mapped[User | None] = relationship(lazy="joined")


class Vote(Base):
    """One user's up or down vote on one answer."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("answer_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FlagTarget(enum.StrEnum):
    """What a community flag points at."""

    QUESTION = "question"
    ANSWER = "answer"


class Flag(Base):
    """One user's report that a community post breaks the rules."""

    __tablename__ = "flags"
    __table_args__ = (UniqueConstraint("target", "target_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[FlagTarget] = mapped_column(string_enum(FlagTarget))
    target_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class HeldKeyword(Base):
    """A word or phrase that holds community posts for review, as moderators keep the list.

    Until moderators first edit the list, ``TIER0_HELD_KEYWORDS`` is the list (kb.moderation).
    """

    __tablename__ = "held_keywords"

    id: Mapped[int] = mapped_column(primary_key=True)
    keyword: Mapped[str] = mapped_column(String(100), unique=True)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModerationAction(Base):
    """What a moderator did and why: approve, hide or delete a post, resolve flags, suspend a
    customer, edit the held-keyword list (who, when and the reason, kept after a delete)."""

    __tablename__ = "moderation_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(24))
    target: Mapped[str] = mapped_column(String(16))  # "question", "answer", "user", "keywords"
    target_id: Mapped[int | None] = mapped_column(Integer)
    # What the target was (a title or an excerpt), so the log still reads after a delete.
    summary: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )

    moderator: Mapped[User | None] = relationship(lazy="joined")
