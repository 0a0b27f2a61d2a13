"""The editor console's front page (what is waiting, with links) and the stale-content list."""

from __future__ import annotations

from flask import render_template

from kb import editorial
from kb.models import utcnow
from web.db import db_session
from web.editor import bp, service
from web.roles import EDITORS, staff_required


@bp.get("/")
@bp.get("")
@staff_required(*EDITORS)
def home() -> str:
    """Counts of drafts, reviews, stale articles, moderation, the inbox and failed searches."""
    counts = service.home_counts(session=db_session(), today=service.today(), now=utcnow())
    return render_template("editor/home.html", counts=counts)


@bp.get("/stale")
@staff_required(*EDITORS)
def stale() -> str:
    """Published articles past their review-by date, grouped by owner."""
    today = service.today()
    groups = editorial.stale_by_owner(session=db_session(), today=today)
    return render_template("editor/stale.html", groups=groups, today=today)
