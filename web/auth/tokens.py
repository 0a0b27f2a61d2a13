"""Staff API tokens: list, create (the secret is shown once) and revoke; admins see everyone's."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from kb import api_tokens
from kb.models import Role, User
from web.auth import bp
from web.db import db_session
from web.roles import staff_required

Page = str | tuple[str, int] | Response


def _squeeze(value: object) -> object:
    """Text trimmed and on one line."""
    return " ".join(value.split()) if isinstance(value, str) else value


class NewTokenForm(FlaskForm):  # type: ignore[misc]
    """Name a new API token."""

    name = StringField(
        "Token name",
        filters=[_squeeze],
        validators=[
            DataRequired("Give the token a name, such as what will use it."),
            Length(
                max=api_tokens.MAX_NAME,
                message=f"Use a name of at most {api_tokens.MAX_NAME} characters.",
            ),
        ],
        description="What will use it, e.g. “CRM sync” or “reporting script”.",
        render_kw={"maxlength": api_tokens.MAX_NAME, "autocomplete": "off"},
    )


class RevokeTokenForm(FlaskForm):  # type: ignore[misc]
    """Revoke a token (the form only carries the CSRF token)."""


def _me() -> User:
    """The signed-in staff member's row."""
    user = db_session().get(User, g.staff.id)
    assert user is not None  # staff_required found them a moment ago
    return user


def _page(form: NewTokenForm, *, secret: str | None = None, status: int = 200) -> Page:
    """The tokens page: your tokens, and for admins everyone's."""
    session = db_session()
    me = _me()
    everyone = api_tokens.tokens(session=session) if me.role == Role.ADMIN else []
    page = render_template(
        "auth/tokens.html",
        form=form,
        revoke_form=RevokeTokenForm(),
        mine=api_tokens.tokens(session=session, user=me),
        everyone=[token for token in everyone if token.user_id != me.id],
        secret=secret,
    )
    return page, status


@bp.get("/tokens")
@staff_required()
def tokens() -> Page:
    """Your API tokens (and, for admins, everyone's)."""
    return _page(NewTokenForm())


@bp.post("/tokens")
@staff_required()
def create_token() -> Page:
    """Make a new token and show its secret, this once."""
    form = NewTokenForm()
    if not form.validate():
        return _page(form, status=400)
    session = db_session()
    try:
        issued = api_tokens.issue(session=session, user=_me(), name=form.name.data)
    except api_tokens.TokenError as error:
        form.name.errors.append(str(error))
        return _page(form, status=400)
    session.commit()
    return _page(NewTokenForm(formdata=None), secret=issued.secret)


@bp.post("/tokens/<int:token_id>/revoke")
@staff_required()
def revoke_token(token_id: int) -> Response:
    """Revoke one of your tokens (admins: anyone's)."""
    if not RevokeTokenForm().validate():
        flash("That form has expired; please try again.", "error")
        return redirect(url_for("auth.tokens"))
    session = db_session()
    try:
        token = api_tokens.revoke(session=session, token_id=token_id, by=_me())
    except api_tokens.TokenError as error:
        flash(str(error), "error")
        return redirect(url_for("auth.tokens"))
    session.commit()
    owner = "" if token.user_id == g.staff.id else f" of {token.user.email}"
    flash(f"Token “{token.name}”{owner} is revoked; it no longer works.", "success")
    return redirect(url_for("auth.tokens"))
