"""Help centre views."""

from __future__ import annotations

from flask import render_template

from web.help import bp


@bp.get("/")
def home() -> str:
    """The home page."""
    return render_template("error.html", status=200, title="Help centre", message="Coming soon.")


@bp.get("/search")
def search() -> str:
    """The full search results page."""
    return home()


@bp.get("/search/instant")
def instant_search() -> str:
    """Instant results while typing."""
    return home()


@bp.get("/service-levels")
def service_levels() -> str:
    """Published response-time targets."""
    return home()
