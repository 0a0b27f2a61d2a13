"""Customer accounts: create one with an already-hashed password, find one by e-mail.

Hashing is the caller's job (the web app uses a current algorithm); the kb only stores the hash.
Functions flush; the caller commits.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kb.community import MAX_DISPLAY_NAME, MAX_EMAIL, CommunityError
from kb.models import Role, User

MAX_PASSWORD_HASH = 255
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class EmailTaken(CommunityError):
    """Another account already uses the e-mail address."""


def normalise_email(email: str) -> str:
    """An e-mail address as stored and compared: trimmed and in lower case."""
    return email.strip().lower()


def is_email(email: str) -> bool:
    """Whether ``email`` looks like an address someone could receive mail at."""
    return len(email) <= MAX_EMAIL and bool(_EMAIL.match(email))


def find_user_by_email(*, session: Session, email: str) -> User | None:
    """The user with ``email`` (any case), or None."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def create_customer(*, session: Session, email: str, display_name: str, password_hash: str) -> User:
    """A new customer account; raises EmailTaken, or CommunityError for invalid fields."""
    email = normalise_email(email)
    display_name = display_name.strip()
    if not is_email(email):
        raise CommunityError(f"{email!r} is not an e-mail address of at most {MAX_EMAIL} chars")
    if not 1 <= len(display_name) <= MAX_DISPLAY_NAME:
        raise CommunityError(f"display name must be 1 to {MAX_DISPLAY_NAME} characters")
    if not password_hash or len(password_hash) > MAX_PASSWORD_HASH:
        raise CommunityError(f"a password hash of 1 to {MAX_PASSWORD_HASH} characters is needed")
    if find_user_by_email(session=session, email=email) is not None:
        raise EmailTaken(f"an account with {email} already exists")
    user = User(
        email=email, display_name=display_name, role=Role.CUSTOMER, password_hash=password_hash
    )
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:  # a concurrent sign-up with the same address won the race
        raise EmailTaken(f"an account with {email} already exists") from None
    return user
