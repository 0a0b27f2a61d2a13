"""Account rules: registering, checking a password, and where to go after signing in."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from kb.accounts import create_customer, find_user_by_email
from kb.models import User


class SignInFailed(Exception):
    """The email and password do not match an account (deliberately vague)."""


class AccountSuspended(Exception):
    """The password was right but the account may not be used."""


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked when the address is unknown, so a miss takes as long as a wrong password."""
    return generate_password_hash("not anybody's password")


def hash_password(password: str) -> str:
    """A salted hash of ``password`` with werkzeug's current default (scrypt)."""
    return generate_password_hash(password)


def register(*, session: Session, email: str, display_name: str, password: str) -> User:
    """Create a customer account with a hashed password; raises kb.accounts.EmailTaken."""
    return create_customer(
        session=session,
        email=email,
        display_name=display_name,
        password_hash=hash_password(password),
    )


def authenticate(*, session: Session, email: str, password: str) -> User:
    """The account for this email and password; raises SignInFailed or AccountSuspended."""
    user = find_user_by_email(session=session, email=email)
    stored = user.password_hash if user is not None and user.password_hash else None
    matches = check_password_hash(stored or _dummy_hash(), password)
    if user is None or stored is None or not matches:
        raise SignInFailed("That email and password don't match an account.")
    if user.suspended:
        raise AccountSuspended(
            "This account is suspended, so you can't sign in. "
            "Contact us through the help centre if you think this is a mistake."
        )
    return user


def local_path(target: str | None, *, host: str | None = None) -> str | None:
    """``target`` if it is a path on this site (or a full URL on ``host``), as a path; else None.

    Guards redirects after sign-in: ``//evil.example``, ``/\\evil.example``, other hosts and
    schemes all give None.
    """
    if not target or len(target) > 2000 or any(ord(c) < 32 or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    foreign = host is None or parts.scheme not in {"http", "https"} or parts.netloc != host
    if (parts.scheme or parts.netloc) and foreign:
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


class WrongPassword(Exception):
    """The current password given to change it is not the account's."""


def change_password(*, session: Session, user: User, current: str, new: str) -> User:
    """Set a new password after checking the current one; raises WrongPassword."""
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise WrongPassword("That isn't your current password.")
    user.password_hash = hash_password(new)
    session.flush()
    return user
