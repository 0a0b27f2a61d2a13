"""Where things live on the site: one place that maps search hits and content to URLs."""

from __future__ import annotations

from flask import url_for

from kb.documents import Source


def content_url(source: Source | str, ref: str, *, external: bool = False) -> str:
    """The page of an article (official) or a community question (community)."""
    if Source(source) == Source.COMMUNITY:
        return url_for("community.question", question_id=int(ref), _external=external)
    return url_for("help.article", slug=ref, _external=external)
