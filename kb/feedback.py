"""What visitors tell us about self-service: "was this helpful?" votes and the chats they lead to.

Functions flush; the caller commits. Text arrives already cleaned by the front end (``kb`` does
not sanitise HTML); these functions check sizes and shapes and say exactly what is wrong.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kb.models import Article, ArticleFeedback, ChatStart, utcnow

MAX_COMMENT = 1000
MAX_VISITOR_ID = 64
MAX_CHAT_QUERY = 500
CHAT_ORIGINS = frozenset({"article_feedback", "search"})
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


class FeedbackError(ValueError):
    """Feedback or a chat start was invalid; the message says what is wrong."""


class FeedbackNotFound(LookupError):
    """No feedback with that id belongs to this visitor."""


class ChatStartNotFound(LookupError):
    """No chat start has that token."""


def record_feedback(
    *,
    session: Session,
    article: Article,
    visitor_id: str,
    helpful: bool,
    comment: str | None = None,
) -> ArticleFeedback:
    """Store a visitor's vote on an article, replacing their earlier one (never a second row).

    ``comment=None`` keeps the comment given before; a string (even empty) replaces it. The
    insert-or-update is a single statement, so two requests at once cannot both insert.
    """
    _check_visitor(visitor_id)
    if comment is not None and len(comment) > MAX_COMMENT:
        raise FeedbackError(
            f"Your comment is {len(comment):,} characters long; please keep it to {MAX_COMMENT:,}."
        )
    now = utcnow()
    values: dict[str, Any] = {
        "article_id": article.id,
        "visitor_id": visitor_id,
        "helpful": bool(helpful),
        "comment": comment or "",
        "created_at": now,
        "updated_at": now,
    }
    statement = _upsert(session.get_bind().dialect.name, values, keep_comment=comment is None)
    feedback: ArticleFeedback = session.scalars(
        statement.returning(ArticleFeedback), execution_options={"populate_existing": True}
    ).one()
    return feedback


def update_comment(*, session: Session, feedback: ArticleFeedback, comment: str) -> ArticleFeedback:
    """Replace the comment on existing feedback (e.g. typed just before starting a chat)."""
    if len(comment) > MAX_COMMENT:
        raise FeedbackError(
            f"Your comment is {len(comment):,} characters long; please keep it to {MAX_COMMENT:,}."
        )
    if comment != feedback.comment:
        feedback.comment = comment
        feedback.updated_at = utcnow()
        session.flush()
    return feedback


def get_feedback(*, session: Session, article: Article, visitor_id: str) -> ArticleFeedback | None:
    """The visitor's feedback on the article, if they gave any."""
    return session.scalar(
        select(ArticleFeedback).where(
            ArticleFeedback.article_id == article.id, ArticleFeedback.visitor_id == visitor_id
        )
    )


def find_feedback(*, session: Session, feedback_id: int, visitor_id: str) -> ArticleFeedback:
    """The visitor's own feedback with this id; raises FeedbackNotFound for anyone else's."""
    feedback = session.get(ArticleFeedback, feedback_id)
    if feedback is None or feedback.visitor_id != visitor_id:
        raise FeedbackNotFound(f"no feedback {feedback_id} from this visitor")
    return feedback


def start_chat(
    *,
    session: Session,
    origin: str,
    visitor_id: str,
    feedback: ArticleFeedback | None = None,
    article: Article | None = None,
    query: str = "",
    comment: str | None = None,
) -> ChatStart:
    """Keep the context a chat should open with; its random token finds it again.

    From article feedback, the article and the comment come from the feedback itself (a
    ``comment`` given here replaces the feedback's). From a search, ``query`` is required.
    """
    if origin not in CHAT_ORIGINS:
        raise FeedbackError(f"Unknown chat origin {origin!r}; use one of {sorted(CHAT_ORIGINS)}.")
    _check_visitor(visitor_id)
    query = " ".join(query.split())
    if len(query) > MAX_CHAT_QUERY:
        raise FeedbackError(f"The search is too long to carry into a chat (max {MAX_CHAT_QUERY}).")
    if comment is not None and len(comment) > MAX_COMMENT:
        raise FeedbackError(f"The comment is too long (max {MAX_COMMENT:,} characters).")
    if origin == "article_feedback" and feedback is None:
        raise FeedbackError("A chat about an article needs the feedback it follows.")
    if origin == "search" and not query:
        raise FeedbackError("A chat from a search needs the search text.")
    article_id = article.id if article is not None else None
    if feedback is not None:
        article_id = feedback.article_id
        comment = feedback.comment if comment is None else comment
    chat = ChatStart(
        token=secrets.token_urlsafe(24),
        origin=origin,
        article_id=article_id,
        feedback_id=feedback.id if feedback is not None else None,
        query=query,
        comment=comment or "",
        visitor_id=visitor_id,
    )
    session.add(chat)
    session.flush()
    return chat


def get_chat_start(*, session: Session, token: str) -> ChatStart:
    """The chat start with this token; raises ChatStartNotFound (also for malformed tokens)."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise ChatStartNotFound("malformed chat token")
    chat = session.scalar(select(ChatStart).where(ChatStart.token == token))
    if chat is None:
        raise ChatStartNotFound("no chat start with that token")
    return chat


def mark_chat_started(*, session: Session, chat: ChatStart) -> ChatStart:
    """Record that a chat picked this context up (the first time only)."""
    if chat.used_at is None:
        chat.used_at = utcnow()
        session.flush()
    return chat


def _upsert(dialect: str, values: dict[str, Any], *, keep_comment: bool) -> Any:
    """INSERT … ON CONFLICT (article, visitor) DO UPDATE, in the database's own dialect."""
    module: Any = {"postgresql": postgresql, "sqlite": sqlite}.get(dialect)
    if module is None:
        raise NotImplementedError(f"feedback supports SQLite and PostgreSQL, not {dialect}")
    insert = module.insert(ArticleFeedback).values(values)
    columns = ["helpful", "updated_at"] + ([] if keep_comment else ["comment"])
    return insert.on_conflict_do_update(
        index_elements=[ArticleFeedback.article_id, ArticleFeedback.visitor_id],
        set_={column: insert.excluded[column] for column in columns},
    )


def _check_visitor(visitor_id: str) -> None:
    """Raise FeedbackError unless the visitor id is 1 to 64 characters."""
    if not isinstance(visitor_id, str) or not 1 <= len(visitor_id) <= MAX_VISITOR_ID:
        raise FeedbackError(f"visitor_id must be 1 to {MAX_VISITOR_ID} characters")
