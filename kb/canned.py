"""Canned responses: replies agents reuse, with placeholders such as ``{customer.name}``.

Admins manage them; a body may only use the placeholders in PLACEHOLDERS (checked on save).
``render`` fills them in for one conversation. Functions flush; the caller commits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kb.models import CannedResponse, Customer, utcnow

MAX_TITLE = 120
MAX_BODY = 5000
PLACEHOLDERS: dict[str, str] = {
    "customer.name": "The customer's name",
    "customer.first_name": "The first word of the customer's name",
    "customer.email": "The customer's email address",
    "customer.plan": "The customer's plan",
    "agent.name": "Your name",
    "agent.first_name": "The first word of your name",
}
"""The placeholders a body may hold, written ``{customer.name}``, and what each becomes."""

# Braces around a dotted name (or a single word, as in a mistyped "{name}") are a placeholder;
# other braces ("{}", "{ 1 }", JSON) are ordinary text.
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}")


class CannedError(ValueError):
    """A canned response that cannot be saved; the message says why, ``field`` what it is about."""

    def __init__(self, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.field = field


class CannedNotFound(LookupError):
    """No canned response has that id."""


def placeholders_in(body: str) -> list[str]:
    """The placeholders ``body`` uses, in order of first use."""
    return list(dict.fromkeys(match.group(1) for match in _PLACEHOLDER.finditer(body)))


def check(*, title: str, body: str) -> tuple[str, str]:
    """The title and body, trimmed; raises CannedError for a bad length or unknown placeholder."""
    title = " ".join(title.split())
    body = body.strip()
    if not 1 <= len(title) <= MAX_TITLE:
        raise CannedError(
            f"Give the canned response a title of 1 to {MAX_TITLE} characters.", "title"
        )
    if not body:
        raise CannedError("The canned response needs some text.")
    if len(body) > MAX_BODY:
        raise CannedError(f"The text is {len(body):,} characters; at most {MAX_BODY:,} allowed.")
    unknown = [name for name in placeholders_in(body) if name not in PLACEHOLDERS]
    if unknown:
        names = ", ".join(f"{{{name}}}" for name in unknown)
        known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
        noun = "placeholder" if len(unknown) == 1 else "placeholders"
        raise CannedError(f"Unknown {noun} {names}. You can use {known}.")
    return title, body


def render(body: str, values: Mapping[str, str]) -> str:
    """``body`` with each known placeholder replaced by its value ("" when there is none)."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return match.group(0)
        return str(values.get(name) or "")

    return _PLACEHOLDER.sub(fill, body)


def values_for(
    *, customer: Customer | None, agent_name: str, plan_names: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The placeholder values for a conversation with ``customer`` answered by ``agent_name``."""
    name = (customer.name if customer else "").strip()
    plan = customer.plan if customer else ""
    return {
        "customer.name": name,
        "customer.first_name": _first_word(name),
        "customer.email": (customer.email or "") if customer else "",
        "customer.plan": (plan_names or {}).get(plan, plan),
        "agent.name": agent_name.strip(),
        "agent.first_name": _first_word(agent_name),
    }


def _first_word(name: str) -> str:
    """'Ada' for 'Ada Lovelace'."""
    words = name.split()
    return words[0] if words else ""


def list_canned(*, session: Session) -> list[CannedResponse]:
    """Every canned response, by title."""
    return list(session.scalars(select(CannedResponse).order_by(func.lower(CannedResponse.title))))


def get_canned(*, session: Session, canned_id: int) -> CannedResponse:
    """The canned response; raises CannedNotFound."""
    canned = session.get(CannedResponse, canned_id)
    if canned is None:
        raise CannedNotFound(f"There is no canned response with id {canned_id}.")
    return canned


def create_canned(
    *, session: Session, title: str, body: str, created_by: int | None = None
) -> CannedResponse:
    """A new canned response; raises CannedError (bad text, unknown placeholder, title taken)."""
    title, body = check(title=title, body=body)
    _title_free(session, title)
    canned = CannedResponse(title=title, body=body, created_by=created_by)
    _save(session, canned)
    return canned


def update_canned(*, session: Session, canned_id: int, title: str, body: str) -> CannedResponse:
    """Change a canned response's title and text; raises CannedNotFound or CannedError."""
    canned = get_canned(session=session, canned_id=canned_id)
    title, body = check(title=title, body=body)
    _title_free(session, title, other_than=canned.id)
    canned.title, canned.body, canned.updated_at = title, body, utcnow()
    _save(session, canned)
    return canned


def delete_canned(*, session: Session, canned_id: int) -> None:
    """Delete a canned response; raises CannedNotFound."""
    session.delete(get_canned(session=session, canned_id=canned_id))
    session.flush()


def _title_free(session: Session, title: str, *, other_than: int | None = None) -> None:
    """Raise CannedError if another canned response has this title (in any case)."""
    query = select(CannedResponse.id).where(func.lower(CannedResponse.title) == title.lower())
    if other_than is not None:
        query = query.where(CannedResponse.id != other_than)
    if session.scalar(query) is not None:
        raise CannedError(
            f"A canned response called {title!r} already exists; pick another title.", "title"
        )


def _save(session: Session, canned: CannedResponse) -> None:
    """Flush, turning a title taken at the same moment into CannedError."""
    try:
        with session.begin_nested():
            session.add(canned)
    except IntegrityError:
        raise CannedError(
            f"A canned response called {canned.title!r} already exists; pick another title.",
            "title",
        ) from None
