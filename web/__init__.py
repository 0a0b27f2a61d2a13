"""Tier0's web app: help centre, chat API, agent desk, editor console and JSON API."""

from __future__ import annotations

import secrets
from pathlib import Path
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
        SECRET_KEY=settings.secret_key or _stored_secret(settings.data_dir),
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_STORAGE_URI=settings.rate_limit_storage_url,
        RATELIMIT_HEADERS_ENABLED=True,
    )
    if test_config:
        app.config.update(test_config)

    from web import db, errors, extensions, live, security, templating
    from web.admin import bp as admin_bp
    from web.api import bp as api_bp
    from web.auth import bp as auth_bp
    from web.chat import bp as chat_bp
    from web.community import bp as community_bp
    from web.desk import bp as desk_bp
    from web.editor import bp as editor_bp
    from web.health import bp as health_bp
    from web.help import bp as help_bp
    from web.widget import bp as widget_bp

    extensions.init_app(app, knowledge_base=knowledge_base)
    live.limit(settings.long_poll_max)
    db.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(help_bp)
    app.register_blueprint(auth_bp, url_prefix="/account")
    app.register_blueprint(community_bp, url_prefix="/community")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(chat_bp, url_prefix="/api/v1")
    app.register_blueprint(widget_bp)
    app.register_blueprint(desk_bp, url_prefix="/desk")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(editor_bp, url_prefix="/editor")
    return app


def _stored_secret(data_dir: Path) -> str:
    """A random secret key kept in the data directory, so sessions survive restarts."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
