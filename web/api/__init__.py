"""The JSON API, version 1: search, categories, articles and community Q&A, with an OpenAPI document."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__)

# Importing the modules registers their routes and error handlers on bp.
from web.api import (  # noqa: E402,F401
    article_admin,
    articles,
    community,
    content_gaps,
    customers,
    errors,
    escalations,
    moderation,
    search,
    spec,
)

errors.register(bp)
