"""Admin console: staff accounts — list, create, change role, suspend and reactivate."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import Field, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from kb import staff
from kb.accounts import EmailTaken, is_email, normalise_email
from kb.community import MAX_DISPLAY_NAME, MAX_EMAIL
from web.admin import bp
from web.auth.forms import MAX_PASSWORD, MIN_PASSWORD
from web.auth.service import hash_password
from web.db import db_session
from web.roles import ADMINS, staff_required

Page = str | tuple[str, int] | Response
ROLE_CHOICES = [
    SelectChoice("agent", "Agent — works the queue"),
    SelectChoice("editor", "Editor — writes help content"),
    SelectChoice("admin", "Admin — everything, and manages people"),
]
ROLES = [choice.value for choice in ROLE_CHOICES]


def _text(value: object) -> object:
    """Text trimmed and on one line."""
    return " ".join(value.split()) if isinstance(value, str) else value


def _email(form: FlaskForm, field: Field) -> None:
    """Reject text that is not an email address."""
    if field.data and not is_email(normalise_email(field.data)):
        raise ValidationError("Enter an email address like name@example.com.")


class NewStaffForm(FlaskForm):  # type: ignore[misc]
    """Add a staff member."""

    email = StringField(
        "Email address",
        filters=[_text],
        validators=[
            DataRequired("Enter their email address."),
            Length(max=MAX_EMAIL, message=f"Use at most {MAX_EMAIL} characters."),
            _email,
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": MAX_EMAIL},
    )
    display_name = StringField(
        "Name",
        filters=[_text],
        validators=[
            DataRequired("Enter their name."),
            Length(max=MAX_DISPLAY_NAME, message=f"Use at most {MAX_DISPLAY_NAME} characters."),
        ],
        description="Shown to colleagues and, in replies, to customers.",
        render_kw={"autocomplete": "off", "maxlength": MAX_DISPLAY_NAME},
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default="agent")
    password = PasswordField(
        "Initial password",
        validators=[
            DataRequired("Choose an initial password."),
            Length(min=MIN_PASSWORD, message=f"Use at least {MIN_PASSWORD} characters."),
            Length(max=MAX_PASSWORD, message=f"Use at most {MAX_PASSWORD} characters."),
        ],
        description=f"At least {MIN_PASSWORD} characters. Pass it on to them safely.",
        render_kw={"autocomplete": "new-password", "maxlength": MAX_PASSWORD},
    )


class RoleForm(FlaskForm):  # type: ignore[misc]
    """Change someone's role."""

    role = SelectField("Role", choices=[SelectChoice(role, role.title()) for role in ROLES])


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button that changes something (the form only carries the CSRF token)."""


@bp.get("")
@bp.get("/")
@staff_required(*ADMINS)
def index() -> Response:
    """The console starts with its people."""
    return redirect(url_for("admin.users"))


def _page(form: NewStaffForm, status: int = 200) -> Page:
    """The staff list with the add-someone form."""
    people = staff.list_staff(session=db_session())
    page = render_template(
        "admin/users.html",
        people=people,
        form=form,
        roles=ROLES,
        action_form=ActionForm(),
        me=g.staff.id,
    )
    return page, status


@bp.get("/users")
@staff_required(*ADMINS)
def users() -> Page:
    """Everyone on the team: role, last seen, suspended or active."""
    return _page(NewStaffForm())


@bp.post("/users")
@staff_required(*ADMINS)
def create_user() -> Page:
    """Add a staff member with an initial password."""
    form = NewStaffForm()
    if not form.validate():
        return _page(form, 400)
    session = db_session()
    try:
        user = staff.create_staff(
            session=session,
            email=form.email.data,
            display_name=form.display_name.data,
            role=form.role.data,
            password_hash=hash_password(form.password.data),
        )
    except EmailTaken:
        form.email.errors.append("Someone already has an account with this email address.")
        return _page(form, 400)
    except staff.StaffError as error:
        form.form_errors.append(str(error))
        return _page(form, 400)
    session.commit()
    flash(f"{user.display_name} ({user.email}) can now sign in as {user.role.value}.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/role")
@staff_required(*ADMINS)
def change_role(user_id: int) -> Response:
    """Give someone another role (never leaving the team without an active admin)."""
    form = RoleForm()
    if not form.validate():
        return _refused("Choose agent, editor or admin.")
    session = db_session()
    try:
        user = staff.set_role(session=session, user_id=user_id, role=form.role.data)
    except staff.StaffError as error:
        return _refused(str(error))
    session.commit()
    flash(f"{user.display_name} is now an {user.role.value}.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/suspend")
@staff_required(*ADMINS)
def suspend_user(user_id: int) -> Response:
    """Suspend someone: they can no longer sign in or use their API tokens."""
    return _set_suspended(user_id, suspended=True)


@bp.post("/users/<int:user_id>/reactivate")
@staff_required(*ADMINS)
def reactivate_user(user_id: int) -> Response:
    """Let a suspended staff member back in."""
    return _set_suspended(user_id, suspended=False)


def _set_suspended(user_id: int, *, suspended: bool) -> Response:
    """Suspend or reactivate, with a message saying what happened."""
    if not ActionForm().validate():
        return _refused("That form has expired; please try again.")
    session = db_session()
    try:
        user = staff.set_suspended(
            session=session, user_id=user_id, suspended=suspended, by_id=g.staff.id
        )
    except staff.StaffError as error:
        return _refused(str(error))
    session.commit()
    if suspended:
        flash(
            f"{user.display_name} is suspended: they can't sign in and their API tokens "
            "stop working until you reactivate them.",
            "success",
        )
    else:
        flash(f"{user.display_name} is active again.", "success")
    return redirect(url_for("admin.users"))


def _refused(message: str) -> Response:
    """Back to the list with the reason nothing changed."""
    db_session().rollback()
    flash(message, "error")
    return redirect(url_for("admin.users"))
