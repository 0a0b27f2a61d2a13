"""What an editor page's form action answers: who is acting, then a flash and back to the page."""

from __future__ import annotations

from flask import flash, g, redirect, url_for
from werkzeug.wrappers import Response

from kb.community import NotFound
from kb.models import User
from web.db import db_session


def signed_in_editor() -> User:
    """The signed-in editor's row; NotFound if the account was deleted since the role check."""
    user = db_session().get(User, g.staff.id)
    if user is None:  # deleted since the role check
        raise NotFound("your account no longer exists")
    return user


def back_to(endpoint: str, message: str, category: str = "success") -> Response:
    """Flash ``message`` and go back to the page at ``endpoint``."""
    flash(message, category)
    return redirect(url_for(endpoint), code=303)


def refused(endpoint: str, message: str) -> Response:
    """Nothing changed: roll back, say why and go back to the page at ``endpoint``."""
    db_session().rollback()
    return back_to(endpoint, message, "error")
