"""Staff API tokens: issued once, stored as a SHA-256, revocable, checked on every API call.

A token reads ``t0_<random>``; its first characters are kept as ``prefix`` so people can tell
their tokens apart in a list. Functions take the session explicitly and flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.models import ApiToken, Role, User, as_utc, utcnow

PREFIX = "t0_"
MAX_NAME = 80
SHOWN = 10
TOUCH_EVERY = timedelta(seconds=60)
STAFF_ROLES = frozenset({Role.AGENT, Role.EDITOR, Role.ADMIN})


class TokenError(ValueError):
    """A token that cannot be issued or revoked; the message says why."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token's row and its secret, which is shown only this once."""

    token: ApiToken
    secret: str


def hash_secret(secret: str) -> str:
    """The SHA-256 of a token's secret, as stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(*, session: Session, user: User, name: str) -> IssuedToken:
    """A new API token for a staff member; raises TokenError for customers or a bad name."""
    name = name.strip()
    if user.role not in STAFF_ROLES:
        raise TokenError("Only staff (agents, editors and admins) can have API tokens.")
    if user.suspended:
        raise TokenError("A suspended account cannot get an API token.")
    if not 1 <= len(name) <= MAX_NAME:
        raise TokenError(f"Give the token a name of 1 to {MAX_NAME} characters.")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name, token_hash=hash_secret(secret), prefix=secret[:SHOWN]
    )
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def authenticate(*, session: Session, secret: str, now: datetime | None = None) -> User | None:
    """The staff member a live token belongs to, or None (unknown, revoked, suspended, customer)."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or token.revoked_at is not None:
        return None
    user = token.user
    if user.suspended or user.role not in STAFF_ROLES:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - as_utc(token.last_used_at) >= TOUCH_EVERY:
        token.last_used_at = now
        session.flush()
    return user


def tokens(*, session: Session, user: User | None = None) -> list[ApiToken]:
    """Every token (an admin's view), or one person's, newest first."""
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(session.scalars(query))


def revoke(*, session: Session, token_id: int, by: User, now: datetime | None = None) -> ApiToken:
    """Revoke a token: its owner or an admin may; raises TokenError otherwise or if it is unknown."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != by.id and by.role != Role.ADMIN):
        raise TokenError(f"There is no token {token_id} of yours to revoke.")
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        session.flush()
    return token
