"""Tier0's web app: help centre, chat API, agent desk, editor console and JSON API."""

from __future__ import annotations

from typing import Any

from flask import Flask

from kb.config import Settings
from kb.knowledge_base import KnowledgeBase


def create_app(
    test_config: dict[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    knowledge_base: KnowledgeBase | None = None,
) -> Flask:
    """Build the Flask app; tests pass their own settings or knowledge base."""
    app = Flask(__name__)
    settings = settings or Settings()
    app.config.from_mapping(
        TIER0_SETTINGS=settings,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    if test_config:
        app.config.update(test_config)

    from web import errors, extensions
    from web.api import bp as api_bp
    from web.health import bp as health_bp

    extensions.init_app(app, knowledge_base=knowledge_base)
    errors.init_app(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    return app
