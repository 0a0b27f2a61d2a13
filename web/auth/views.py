"""Account views (sign up, sign in, sign out)."""

from __future__ import annotations

from flask import redirect, url_for
from werkzeug.wrappers import Response

from web.auth import bp


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response:
    """Sign in."""
    return redirect(url_for("help.home"))


@bp.route("/sign-up", methods=["GET", "POST"])
def sign_up() -> Response:
    """Create an account."""
    return redirect(url_for("help.home"))


@bp.post("/sign-out")
def sign_out() -> Response:
    """Sign out."""
    return redirect(url_for("help.home"))
