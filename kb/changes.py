"""The content change log: services append to it, search indexes replay it to stay current."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from kb.models import ContentChange

ChangeKind = Literal["article", "question"]

# Any constant works; it names the PostgreSQL advisory lock that orders change-log writers.
_CHANGE_LOG_LOCK_KEY = 7_410_330_001


def record_change(*, session: Session, kind: ChangeKind, entity_id: int) -> ContentChange:
    """Append a change record saying that the given article or question changed (or was deleted).

    On PostgreSQL, ids come from a sequence and concurrent transactions may commit out of id order,
    so a reader could move its cursor past an id that commits later and miss it. Writers therefore
    take a transaction-scoped advisory lock first, so change ids become visible in increasing
    order; content writes are rare, and SQLite serialises writers anyway.
    """
    if kind not in ("article", "question"):
        raise ValueError(f"change kind must be 'article' or 'question', not {kind!r}")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHANGE_LOG_LOCK_KEY})
    change = ContentChange(kind=kind, entity_id=entity_id)
    session.add(change)
    session.flush()
    return change


def latest_change_id(*, session: Session) -> int:
    """The id of the newest change record, or 0 when there is none."""
    return session.scalar(select(func.coalesce(func.max(ContentChange.id), 0))) or 0


def changes_since(*, session: Session, after: int, limit: int = 10_000) -> list[ContentChange]:
    """The change records newer than id ``after``, oldest first, at most ``limit`` of them."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    query = (
        select(ContentChange)
        .where(ContentChange.id > after)
        .order_by(ContentChange.id)
        .limit(limit)
    )
    return list(session.scalars(query))
