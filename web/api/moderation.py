"""The staff JSON API for moderation: the queue of pending and flagged community posts.

``GET /api/v1/moderation`` needs ``Authorization: Bearer <staff token>`` of an editor or admin;
being token-authenticated it is exempt from CSRF.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from spectree import Response as Responses

from kb import moderation_queue as mq
from kb.models import Question
from web.api import bp
from web.api.schemas import ErrorResponse, Timestamp
from web.api.spec import STAFF_TOKEN, api_spec
from web.db import db_session
from web.roles import EDITORS, api_endpoint
from web.security import settings


class FlagOut(BaseModel):
    """One reader's report on a post."""

    reason: str = Field(description="What the reader said is wrong (may be empty).")
    created_at: Timestamp


class QueueItemOut(BaseModel):
    """A post waiting for a moderator."""

    kind: Literal["question", "answer"]
    id: int = Field(description="The question's or answer's id.")
    question_id: int = Field(description="The question (the post itself, or the answer's).")
    title: str = Field(description="The question's title.")
    body: str = Field(description="The post's Markdown.")
    author: str | None = Field(description="The author's display name.")
    author_id: int | None
    moderation: Literal["visible", "pending", "hidden"]
    moderation_reason: str = Field(description="Why it is held, e.g. 'Held keyword: casino'.")
    flags: list[FlagOut]
    created_at: Timestamp


class ModerationQueue(BaseModel):
    """Everything waiting for moderators, most flagged first, and the held keywords in force."""

    items: list[QueueItemOut]
    held_keywords: list[str]


@bp.get("/moderation")
@api_endpoint(*EDITORS)
@api_spec.validate(
    resp=Responses(HTTP_200=ModerationQueue, HTTP_401=ErrorResponse, HTTP_403=ErrorResponse),
    tags=["moderation"],
    operation_id="listModerationQueue",
    security=STAFF_TOKEN,
)
def moderation_queue() -> ModerationQueue:
    """List pending and flagged questions and answers (editors and admins)."""
    session = db_session()
    items = [
        QueueItemOut(
            kind="question" if isinstance(item.post, Question) else "answer",
            id=item.post.id,
            question_id=item.question.id,
            title=item.question.title,
            body=item.post.body,
            author=item.post.author.display_name if item.post.author else None,
            author_id=item.post.author_id,
            moderation=item.post.moderation.value,
            moderation_reason=item.post.moderation_reason,
            flags=[FlagOut(reason=f.reason, created_at=f.created_at) for f in item.flags],
            created_at=item.post.created_at,
        )
        for item in mq.queue(session=session)
    ]
    keywords = mq.effective_keywords(session=session, configured=settings().held_keywords)
    return ModerationQueue(items=items, held_keywords=keywords)
