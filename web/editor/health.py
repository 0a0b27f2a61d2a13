"""Article health under /editor/health: views, votes, bot use and search clicks, with charts."""

from __future__ import annotations

from flask import render_template, url_for

from kb.article_health import ArticleHealth, health_report
from web.db import db_session
from web.editor import bp
from web.editor.charts import BarChart, bar_chart
from web.roles import EDITORS, staff_required

CHART_ROWS = 10


@bp.get("/health")
@staff_required(*EDITORS)
def health() -> str:
    """Every article's numbers, charts of the busiest, the most "not helpful" and never viewed."""
    report = health_report(session=db_session())
    return render_template(
        "editor/health.html",
        report=report,
        views_chart=views_chart(report.articles),
        helpful_chart=helpful_chart(report.articles),
        bot_chart=bot_chart(report.articles),
    )


def _href(article: ArticleHealth) -> str:
    """The article's page in the editor."""
    return url_for("editor.edit_article", article_id=article.article_id)


def views_chart(articles: list[ArticleHealth]) -> BarChart:
    """The most viewed articles."""
    top = sorted((a for a in articles if a.views), key=lambda a: (-a.views, a.title))
    rows = [(a.title, [(a.views, "main")], f"{a.views:,}", _href(a)) for a in top[:CHART_ROWS]]
    return bar_chart("Most viewed articles", rows)


def helpful_chart(articles: list[ArticleHealth]) -> BarChart:
    """Helpful share of the most-voted articles (green helpful, red not), on a 0–100 % scale."""
    voted = sorted((a for a in articles if a.votes), key=lambda a: (-a.votes, a.title))
    rows = [
        (
            a.title,
            [(100 * a.helpful / a.votes, "good"), (100 * a.not_helpful / a.votes, "bad")],
            f"{a.helpful_percent}% of {a.votes} vote{'' if a.votes == 1 else 's'}",
            _href(a),
        )
        for a in voted[:CHART_ROWS]
    ]
    return bar_chart(
        "Helpful votes, most-voted articles",
        rows,
        scale=100,
        legend=[("good", "Helpful"), ("bad", "Not helpful")],
    )


def bot_chart(articles: list[ArticleHealth]) -> BarChart:
    """What the bot served most, split by what customers said: confirmed, rejected, no answer."""
    served = sorted((a for a in articles if a.bot_served), key=lambda a: (-a.bot_served, a.title))
    rows: list[tuple[str, list[tuple[float, str]], str, str]] = []
    for a in served[:CHART_ROWS]:
        silent = max(0, a.bot_served - a.bot_confirmed - a.bot_rejected)
        parts: list[tuple[float, str]] = [
            (a.bot_confirmed, "good"),
            (a.bot_rejected, "bad"),
            (silent, "plain"),
        ]
        note = f"{a.bot_served} served: {a.bot_confirmed} yes, {a.bot_rejected} no"
        rows.append((a.title, parts, note, _href(a)))
    return bar_chart(
        "Served by the bot",
        rows,
        legend=[("good", "Confirmed it helped"), ("bad", "Said no"), ("plain", "No answer")],
    )
