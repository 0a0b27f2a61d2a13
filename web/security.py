"""Cross-cutting protection: CSRF, rate limits, sign-in sessions, security headers, visitor ids."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from kb.config import Settings

F = TypeVar("F", bound=Callable[..., object])

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
login_manager = LoginManager()

VISITOR_COOKIE = "tier0_visitor"
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    """Wire CSRF, the limiter, flask-login and the response headers into the app."""
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    from web.auth.identity import load_account

    login_manager.user_loader(load_account)
    app.after_request(_headers)
    app.after_request(_visitor_cookie)


def settings() -> Settings:
    """The app's settings."""
    value: Settings = current_app.config["TIER0_SETTINGS"]
    return value


def visitor_id() -> str:
    """Who is asking, for one-per-visitor rules: the account if signed in, else a cookie id."""
    if current_user.is_authenticated:
        return f"user:{current_user.get_id()}"
    existing = request.cookies.get(VISITOR_COOKIE, "")
    if 16 <= len(existing) <= 64 and existing.isalnum():
        return f"anon:{existing}"
    if "_tier0_new_visitor" not in g:
        g._tier0_new_visitor = secrets.token_hex(16)
    return f"anon:{g._tier0_new_visitor}"


def _user_or_ip() -> str:
    """Rate-limit key: the signed-in account, else the client address."""
    if current_user.is_authenticated:
        return f"user:{current_user.get_id()}"
    return f"ip:{get_remote_address()}"


def _ip() -> str:
    """Rate-limit key: the client address."""
    return f"ip:{get_remote_address()}"


def _budget(limits: Callable[[Settings], str], scope: str) -> Callable[[F], F]:
    """One budget per account and one per address (three accounts' worth) across every route."""

    def decorate(view: F) -> F:
        per_user = limiter.shared_limit(
            lambda: limits(settings()), key_func=_user_or_ip, scope=scope
        )
        per_ip = limiter.shared_limit(
            lambda: _scaled(limits(settings()), 3), key_func=_ip, scope=f"{scope}-ip"
        )
        return per_ip(per_user(view))  # type: ignore[return-value]

    return decorate


limit_posting = _budget(lambda s: s.post_rate_limit, "post")
"""Rate limits on creating community posts, shared by the site and the API."""

limit_voting = _budget(lambda s: s.vote_rate_limit, "vote")
"""Rate limits on votes, flags, acceptances and article feedback."""


def limit_sign_in(view: F) -> F:
    """Per-IP limits on sign-in and sign-up attempts."""
    limit = limiter.shared_limit(
        lambda: settings().sign_in_rate_limit, key_func=_ip, scope="sign-in"
    )
    return limit(view)  # type: ignore[return-value]


def _scaled(limits: str, factor: int) -> str:
    """'10 per minute;60 per hour' times a factor."""
    parts = []
    for part in limits.split(";"):
        amount, _, rest = part.strip().partition(" ")
        parts.append(f"{int(amount) * factor} {rest}" if amount.isdigit() else part)
    return ";".join(parts)


def _headers(response: Response) -> Response:
    """Security headers on every response."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def _visitor_cookie(response: Response) -> Response:
    """Give a new visitor their id cookie (no personal data; used for one vote per article)."""
    new = g.pop("_tier0_new_visitor", None)
    if new:
        response.set_cookie(
            VISITOR_COOKIE,
            new,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=settings().secure_cookies,
        )
    return response
