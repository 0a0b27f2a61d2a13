"""Errors and permission rules shared by the editorial services (``kb.editorial`` and friends)."""

from __future__ import annotations

from kb.models import Role, User

WRITERS = frozenset({Role.AGENT, Role.EDITOR, Role.ADMIN})
"""Who may write article drafts and send them for review."""
EDITORS = frozenset({Role.EDITOR, Role.ADMIN})
"""Who may publish, unpublish, archive, edit live articles, restore and curate phrasings."""


class EditorialError(ValueError):
    """Input for an editorial action was invalid; ``field`` names the offending field if one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(EditorialError):
    """The user's role (or suspension) does not allow this action (HTTP 403)."""


class WorkflowError(EditorialError):
    """The move is illegal from the article's current state (HTTP 409)."""


class RevisionNotFound(EditorialError):
    """The article has no revision with that number (HTTP 404)."""


class PhrasingNotFound(EditorialError):
    """The article has no phrasing with that id (HTTP 404)."""


def check_role(user: User, roles: frozenset[Role], what: str) -> None:
    """Raise NotAllowed unless ``user`` has one of ``roles`` and is not suspended."""
    if user.role not in roles:
        names = sorted(f"{r.value}s" for r in roles)
        who = " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]
        raise NotAllowed(f"Only {who} can {what}; {user.display_name} is {user.role.value}.")
    if user.suspended:
        raise NotAllowed(f"{user.display_name} is suspended and cannot {what}.")
