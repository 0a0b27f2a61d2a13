"""Who is reading or posting: the signed-in person's row, and sending others to sign in first."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import flash, redirect, request, url_for
from flask_login import current_user

from kb.models import User
from kb.moderation import PostRules
from web.auth.service import local_path
from web.community.service import acting_user
from web.db import db_session
from web.security import settings

F = TypeVar("F", bound=Callable[..., Any])


def reader() -> User | None:
    """The signed-in person's row, or None for anonymous readers."""
    if not current_user.is_authenticated:
        return None
    return db_session().get(User, int(current_user.get_id()))


def post_rules() -> PostRules:
    """The moderation rules: the app's settings with the moderators' held keywords."""
    return PostRules.for_site(session=db_session(), settings=settings())


def return_path() -> str:
    """Where to come back to after signing in: this page, or for a form the page it was on."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    back = local_path(request.referrer, host=request.host)
    return back or url_for("community.index")


def account_required(view: F) -> F:
    """Anonymous visitors go to sign in (and come back); others get ``user=`` their row.

    A suspended account is refused with NotAllowed.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        """Check the account, then run the view."""
        if not current_user.is_authenticated:
            flash("Please sign in or create an account to take part.", "info")
            return redirect(url_for("auth.sign_in", next=return_path()))
        user = acting_user(session=db_session(), user_id=int(current_user.get_id()))
        return view(*args, user=user, **kwargs)

    return wrapper  # type: ignore[return-value]
