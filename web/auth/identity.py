"""The signed-in person as flask-login sees them: a small, detached copy of the account row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_login import UserMixin

from kb.models import Role, User
from web.db import db_session


@dataclass(frozen=True)
class Account(UserMixin):  # type: ignore[misc]
    """A signed-in customer or staff member."""

    id: int
    email: str
    display_name: str
    role: Role
    created_at: datetime

    @property
    def is_staff(self) -> bool:
        """Agents, editors and admins."""
        return self.role != Role.CUSTOMER

    @classmethod
    def from_user(cls, user: User) -> Account:
        """Copy what the views need out of a database row."""
        return cls(
            id=user.id,
            email=user.email or "",
            display_name=user.display_name,
            role=user.role,
            created_at=user.created_at,
        )


def load_account(user_id: str) -> Account | None:
    """flask-login's user loader: the account, unless it is gone, suspended or has no password."""
    if not user_id.isdigit():
        return None
    user = db_session().get(User, int(user_id))
    if user is None or user.suspended or not user.password_hash:
        return None
    return Account.from_user(user)
