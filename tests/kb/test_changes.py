"""The content change log that search indexes replay to stay current."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kb.changes import changes_since, latest_change_id, record_change


def test_change_log_reads_in_order_with_limit(session: Session) -> None:
    """changes_since pages through the log oldest first."""
    start = latest_change_id(session=session)
    for entity_id in range(5):
        record_change(session=session, kind="question", entity_id=entity_id)
    page = changes_since(session=session, after=start, limit=3)
    assert [c.entity_id for c in page] == [0, 1, 2]
    rest = changes_since(session=session, after=page[-1].id)
    assert [c.entity_id for c in rest] == [3, 4]
    assert latest_change_id(session=session) == rest[-1].id
    assert changes_since(session=session, after=rest[-1].id) == []


def test_change_log_validates(session: Session) -> None:
    """Unknown kinds and empty pages are refused."""
    with pytest.raises(ValueError, match="change kind must be 'article' or 'question'"):
        record_change(session=session, kind="user", entity_id=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit must be at least 1"):
        changes_since(session=session, after=0, limit=0)
