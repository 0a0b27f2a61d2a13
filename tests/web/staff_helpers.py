"""Staff accounts for web tests: an agent, editor or admin with a password and an API token."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask.testing import FlaskClient

from kb import api_tokens
from kb.knowledge_base import KnowledgeBase
from kb.models import Role, User
from tests.web.people import PASSWORD, unique
from web.auth.service import hash_password


@dataclass(frozen=True)
class Staff:
    """A staff member made for a test."""

    id: int
    email: str
    role: Role
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The API's bearer header with this person's token."""
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def actor(self) -> str:
        """How escalation events name this person."""
        return f"agent:{self.id}"


def make_staff(
    kb: KnowledgeBase, role: Role | str = Role.AGENT, *, name: str | None = None
) -> Staff:
    """A new staff member (password ``PASSWORD``) with a live API token."""
    role = Role(role)
    name = name or unique(role.value)
    with kb.sessions() as session:
        user = User(
            email=f"{re.sub(r'[^A-Za-z0-9._+-]+', '.', name).strip('.')}@example.com",
            display_name=name,
            role=role,
            password_hash=hash_password(PASSWORD),
        )
        session.add(user)
        session.flush()
        issued = (
            api_tokens.issue(session=session, user=user, name="tests")
            if role != Role.CUSTOMER
            else None
        )
        session.commit()
        return Staff(user.id, user.email or "", role, issued.secret if issued else "")


def sign_in(client: FlaskClient, staff: Staff) -> None:
    """Sign ``staff`` in through the form (the app must have CSRF off)."""
    response = client.post("/account/sign-in", data={"email": staff.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
