"""One database session per request, opened on first use and closed when the request ends."""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy.orm import Session

from web.extensions import knowledge_base


def init_app(app: Flask) -> None:
    """Close the request's session when the app context ends."""
    app.teardown_appcontext(_close)


def db_session() -> Session:
    """The current request's session (commit explicitly after a write)."""
    session: Session | None = g.get("_tier0_db")
    if session is None:
        session = knowledge_base().sessions()
        g._tier0_db = session
    return session


def _close(_error: BaseException | None) -> None:
    """Roll back anything uncommitted and give the connection back."""
    session: Session | None = g.pop("_tier0_db", None)
    if session is not None:
        session.close()
