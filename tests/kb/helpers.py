"""Helpers shared by the storage service tests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kb.articles import SaveOutcome, save_article
from kb.changes import changes_since
from kb.models import Role, User


def new_changes(session: Session, since: int) -> list[tuple[str, int]]:
    """The (kind, entity id) of change records written after ``since``."""
    return [(c.kind, c.entity_id) for c in changes_since(session=session, after=since)]


def make_editor(session: Session, name: str = "Edna") -> User:
    """An editor to author revisions."""
    user = User(display_name=name, email=f"{name.lower()}@example.com", role=Role.EDITOR)
    session.add(user)
    session.flush()
    return user


def reset_password(session: Session, **overrides: object) -> SaveOutcome:
    """Save the standard test article (found again by its slug), with any field overridden."""
    fields: dict[str, object] = {
        "slug": "reset-password",
        "title": "How do I reset my password?",
        "body": "Open **Settings → Security** and choose *Reset password*.",
        "summary": "Reset a forgotten password.",
    }
    fields.update(overrides)
    return save_article(session=session, **fields)  # type: ignore[arg-type]
