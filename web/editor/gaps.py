"""Content gaps under /editor/gaps: failed customer questions grouped by meaning, to write up."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, url_for

from kb.content_gaps import KINDS, RISING_FACTOR, SIMILARITY, GapGroup, content_gaps, draft_for
from web.db import db_session
from web.editor import bp
from web.editor.charts import BarChart, bar_chart
from web.extensions import report_embedder
from web.roles import EDITORS, staff_required

CHART_GROUPS = 10


@dataclass(frozen=True, slots=True)
class GapView:
    """A group as the page shows it, with the link that starts a draft for it."""

    group: GapGroup
    draft_url: str
    kinds: list[tuple[str, int]]


@bp.get("/gaps")
@staff_required(*EDITORS)
def gaps() -> str:
    """The content-gap report of the last 30 days, most asked first."""
    groups = content_gaps(session=db_session(), embedder=report_embedder())
    return render_template(
        "editor/gaps.html",
        gaps=[gap_view(group) for group in groups],
        chart=gaps_chart(groups),
        similarity=SIMILARITY,
        rising_factor=RISING_FACTOR,
    )


def gap_view(group: GapGroup) -> GapView:
    """A group with its "draft an article for this" link (the new-article form, pre-filled)."""
    draft = draft_for(group.title, group.examples)
    url = url_for("editor.new_article", title=draft.title, summary=draft.summary, body=draft.body)
    kinds = [(KINDS.get(kind, kind), count) for kind, count in group.kinds.items()]
    return GapView(group=group, draft_url=url, kinds=kinds)


def gaps_chart(groups: list[GapGroup]) -> BarChart:
    """The biggest groups: asks in the last 7 days, then the 23 before, as one bar each."""
    rows = [
        (
            g.title,
            [(g.count_7, "recent"), (g.count_30 - g.count_7, "older")],
            f"{g.count_30} ({g.count_7} this week)",
            f"#gap-{g.key}",
        )
        for g in groups[:CHART_GROUPS]
    ]
    return bar_chart(
        "Most asked gaps, last 30 days",
        rows,
        legend=[("recent", "Last 7 days"), ("older", "8–30 days ago")],
    )
