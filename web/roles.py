"""Who may do what: role checks for staff pages (session) and the staff JSON API (bearer token).

Pages: anonymous visitors are sent to sign in; signed-in people without the role get 403.
API: no or an unknown token is 401, a token whose owner lacks the role is 403, both as JSON.
Either way the staff member is ``g.staff`` afterwards, and their presence is recorded (agents
seen recently count as online for waiting customers).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import Response, abort, g, jsonify, request
from flask_login import current_user

from kb import api_tokens
from kb.models import Role, User, as_utc, utcnow
from web.db import db_session
from web.security import csrf, login_manager

if TYPE_CHECKING:  # web.auth's views use these decorators, so it is imported when first needed
    from web.auth.identity import Account

F = TypeVar("F", bound=Callable[..., Any])

AGENTS = (Role.AGENT, Role.ADMIN)
"""Who works the queue."""
EDITORS = (Role.EDITOR, Role.ADMIN)
"""Who writes and publishes content."""
ADMINS = (Role.ADMIN,)
"""Who manages people, canned responses and webhooks."""
STAFF = (Role.AGENT, Role.EDITOR, Role.ADMIN)
"""Anyone on the team."""
SEEN_EVERY = timedelta(seconds=30)
TOKEN_NEEDED = "This API needs a staff token: send Authorization: Bearer <token>."
ROLE_NEEDED = "Your role ({role}) cannot do this; it needs {roles}."


def _names(roles: tuple[Role, ...]) -> str:
    """'agent or admin'."""
    return " or ".join(role.value for role in roles)


def staff_required(*roles: Role) -> Callable[[F], F]:
    """A page for signed-in staff with one of ``roles`` (redirect to sign in, else 403)."""
    allowed = roles or STAFF

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            account: Account = current_user._get_current_object()
            if account.role not in allowed:
                abort(403, ROLE_NEEDED.format(role=account.role.value, roles=_names(allowed)))
            g.staff = account
            seen(account.id)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def api_staff(*roles: Role) -> Callable[[F], F]:
    """A staff API endpoint: a live bearer token whose owner has one of ``roles`` (401, 403)."""
    allowed = roles or STAFF

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = token_user()
            if user is None:
                return _json_error(401, TOKEN_NEEDED, authenticate=True)
            if user.role not in allowed:
                return _json_error(
                    403, ROLE_NEEDED.format(role=user.role.value, roles=_names(allowed))
                )
            from web.auth.identity import Account

            g.staff = Account.from_user(user)
            seen(user.id)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def api_endpoint(*roles: Role) -> Callable[[F], F]:
    """A staff API endpoint (see api_staff) exempt from CSRF: its bearer token is no cookie."""

    def decorate(view: F) -> F:
        return csrf.exempt(api_staff(*roles)(view))  # type: ignore[no-any-return]

    return decorate


def token_user() -> User | None:
    """The staff member whose bearer token this request carries, if it is live."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    session = db_session()
    user = api_tokens.authenticate(session=session, secret=secret.strip())
    session.commit()  # keeps the token's last-used time
    return user


def seen(user_id: int) -> None:
    """Record that a staff member is here (at most every 30 seconds; committed at once)."""
    session = db_session()
    user = session.get(User, user_id)
    now = utcnow()
    if user is not None and (
        user.last_seen_at is None or now - as_utc(user.last_seen_at) >= SEEN_EVERY
    ):
        user.last_seen_at = now
        session.commit()


def _json_error(status: int, message: str, *, authenticate: bool = False) -> tuple[Response, int]:
    """The API's error envelope."""
    response = jsonify(error={"status": status, "message": message})
    if authenticate:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tier0"'
    return response, status
