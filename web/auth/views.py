"""Account views: sign up, sign in, sign out, change your password."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from kb.accounts import EmailTaken
from kb.models import Role, User
from web.auth import bp
from web.auth.forms import ChangePasswordForm, SignInForm, SignUpForm
from web.auth.identity import Account
from web.auth.service import (
    AccountSuspended,
    SignInFailed,
    WrongPassword,
    authenticate,
    change_password,
    local_path,
    register,
)
from web.db import db_session
from web.security import limit_sign_in, login_manager

log = logging.getLogger(__name__)

Page = str | tuple[str, int] | Response


def _next_path(form_value: str | None = None) -> str | None:
    """The local page to return to, from the form or the query string."""
    return local_path(form_value or request.args.get("next"))


def _done(target: str | None) -> Response:
    """Go where the person was heading, or to their home page."""
    return redirect(target or _home())


def _home() -> str:
    """Where signing in leads when no page was asked for: the desk for agents and admins."""
    if current_user.is_authenticated and current_user.role in (Role.AGENT, Role.ADMIN):
        return url_for("desk.queue_page")
    return url_for("community.index")


@bp.get("/sign-in")
def sign_in() -> Page:
    """The sign-in form."""
    if current_user.is_authenticated:
        return _done(_next_path())
    form = SignInForm(next=_next_path() or "")
    return render_template("auth/sign_in.html", form=form)


@bp.post("/sign-in", endpoint="sign_in_submit")
@limit_sign_in
def sign_in_submit() -> Page:
    """Check the email and password and start a session."""
    form = SignInForm()
    if not form.validate():
        return render_template("auth/sign_in.html", form=form), 400
    session = db_session()
    try:
        user = authenticate(session=session, email=form.email.data, password=form.password.data)
    except (SignInFailed, AccountSuspended) as error:
        form.form_errors.append(str(error))
        return render_template("auth/sign_in.html", form=form), 400
    login_user(Account.from_user(user), remember=bool(form.remember.data))
    flash(f"Welcome back, {user.display_name}.", "success")
    return _done(_next_path(form.next.data))


@bp.get("/sign-up")
def sign_up() -> Page:
    """The create-an-account form."""
    if current_user.is_authenticated:
        return _done(_next_path())
    form = SignUpForm(next=_next_path() or "")
    return render_template("auth/sign_up.html", form=form)


@bp.post("/sign-up", endpoint="sign_up_submit")
@limit_sign_in
def sign_up_submit() -> Page:
    """Create the account and sign the person in."""
    form = SignUpForm()
    if not form.validate():
        return render_template("auth/sign_up.html", form=form), 400
    target = _next_path(form.next.data)
    if form.caught_bot():
        log.warning("Sign-up honeypot filled from %s; nothing stored", request.remote_addr)
        flash("Your account is ready. Welcome!", "success")
        return _done(target)
    session = db_session()
    try:
        user = register(
            session=session,
            email=form.email.data,
            display_name=form.display_name.data,
            password=form.password.data,
        )
    except EmailTaken:
        form.email.errors.append(
            "An account with this email address already exists. Sign in instead?"
        )
        return render_template("auth/sign_up.html", form=form, email_taken=True), 400
    session.commit()
    login_user(Account.from_user(user))
    flash(f"Your account is ready. Welcome, {user.display_name}!", "success")
    return _done(target)


@bp.post("/sign-out")
def sign_out() -> Response:
    """End the session."""
    logout_user()
    flash("You're signed out.", "info")
    return redirect(url_for("help.home"))


@bp.get("/password")
def password() -> Page:
    """The change-your-password form (signed-in people only)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()  # type: ignore[no-any-return]
    return render_template("auth/password.html", form=ChangePasswordForm())


@bp.post("/password", endpoint="password_submit")
@limit_sign_in
def password_submit() -> Page:
    """Check the current password and set the new one."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()  # type: ignore[no-any-return]
    form = ChangePasswordForm()
    if not form.validate():
        return render_template("auth/password.html", form=form), 400
    session = db_session()
    user = session.get(User, int(current_user.get_id()))
    if user is None:
        logout_user()
        return redirect(url_for("auth.sign_in"))
    try:
        change_password(
            session=session, user=user, current=form.current.data, new=form.password.data
        )
    except WrongPassword as error:
        form.current.errors.append(str(error))
        return render_template("auth/password.html", form=form), 400
    session.commit()
    flash("Your password is changed.", "success")
    return redirect(_home())
