"""Customer accounts in the kb: created with a password hash, found by e-mail in any case."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kb.accounts import (
    EmailTaken,
    create_customer,
    find_user_by_email,
    is_email,
    normalise_email,
)
from kb.community import CommunityError, get_or_create_user
from kb.models import Role


def test_create_customer_stores_normalised_email_and_hash(session: Session) -> None:
    """The address is stored in lower case; the hash as given; the role is customer."""
    user = create_customer(
        session=session, email=" Rae@Example.COM ", display_name=" Rae ", password_hash="h$1"
    )
    assert (user.email, user.display_name, user.password_hash) == ("rae@example.com", "Rae", "h$1")
    assert user.role == Role.CUSTOMER
    assert not user.suspended
    assert find_user_by_email(session=session, email="RAE@example.com") is user


def test_create_customer_refuses_a_taken_email(session: Session) -> None:
    """A second account with the same address (any case) raises EmailTaken."""
    create_customer(session=session, email="sol@example.com", display_name="Sol", password_hash="h")
    with pytest.raises(EmailTaken, match="already exists"):
        create_customer(
            session=session, email="SOL@example.com", display_name="Sol 2", password_hash="h"
        )


def test_create_customer_refuses_an_email_used_by_an_imported_user(session: Session) -> None:
    """Users created elsewhere (staff, imports) hold their address too."""
    get_or_create_user(session=session, display_name="Tess", email="tess@example.com")
    with pytest.raises(EmailTaken):
        create_customer(
            session=session, email="tess@example.com", display_name="T", password_hash="h"
        )


@pytest.mark.parametrize(
    ("email", "name", "password_hash", "message"),
    [
        ("nope", "Uma", "h", "is not an e-mail address"),
        ("a@b", "Uma", "h", "is not an e-mail address"),
        ("uma@example.com", " ", "h", "display name must be 1 to 80 characters"),
        ("uma@example.com", "Uma", "", "a password hash"),
        ("uma@example.com", "Uma", "h" * 256, "a password hash"),
    ],
)
def test_create_customer_validates(
    session: Session, email: str, name: str, password_hash: str, message: str
) -> None:
    """Invalid fields raise CommunityError naming the problem."""
    with pytest.raises(CommunityError, match=message):
        create_customer(
            session=session, email=email, display_name=name, password_hash=password_hash
        )


def test_find_user_by_email_missing(session: Session) -> None:
    """An unknown address finds nobody."""
    assert find_user_by_email(session=session, email="nobody@example.com") is None


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("a@example.com", True),
        ("first.last+tag@sub.example.co.uk", True),
        ("a@example", False),
        ("a b@example.com", False),
        ("@example.com", False),
        ("a@example.com.", False),
        ("x" * 250 + "@e.co", False),
    ],
)
def test_is_email(email: str, valid: bool) -> None:
    """A light check: one @, a dotted domain, no spaces, at most 254 characters."""
    assert is_email(email) is valid


def test_normalise_email() -> None:
    """Trimmed and lower-cased."""
    assert normalise_email("  Ab@EXAMPLE.com\n") == "ab@example.com"
