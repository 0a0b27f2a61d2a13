"""Jinja helpers shared by every page: site name, dates, safe Markdown."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from markupsafe import Markup

from web.rendering import plain_text, render_community
from web.security import settings


def init_app(app: Flask) -> None:
    """Register the context processor and filters."""
    app.context_processor(lambda: {"site_name": settings().site_name})
    app.add_template_filter(_community_html, "community_html")
    app.add_template_filter(_date, "date")
    app.add_template_filter(_ago, "ago")
    app.add_template_filter(plain_text, "excerpt")


def _community_html(markdown: str) -> Markup:
    """A community post rendered and sanitised (safe to output as HTML)."""
    return Markup(render_community(markdown))  # sanitised by nh3


def _date(value: datetime | None) -> str:
    """'23 Nov 2026'."""
    return value.strftime("%-d %b %Y") if value else ""


def _ago(value: datetime | None) -> str:
    """'5 minutes ago', '3 days ago', or the date for old things."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = int((datetime.now(UTC) - value).total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            if unit == "day" and count > 30:
                return f"on {_date(value)}"
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"
