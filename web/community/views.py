"""Community views."""

from __future__ import annotations

from flask import redirect, url_for
from werkzeug.wrappers import Response

from web.community import bp


@bp.get("/")
def index() -> Response:
    """Community questions."""
    return redirect(url_for("help.home"))
