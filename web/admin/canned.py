"""Admin console: canned responses agents insert into replies, with placeholders like {customer.name}."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from kb import canned
from kb.models import CannedResponse
from web.admin import bp
from web.db import db_session
from web.roles import ADMINS, staff_required

Page = str | tuple[str, int] | Response


def _squeeze(value: object) -> object:
    """Text trimmed and on one line (titles)."""
    return " ".join(value.split()) if isinstance(value, str) else value


def _trim(value: object) -> object:
    """Text without surrounding whitespace."""
    return value.strip() if isinstance(value, str) else value


class CannedForm(FlaskForm):  # type: ignore[misc]
    """A canned response's title and text."""

    title = StringField(
        "Title",
        filters=[_squeeze],
        validators=[
            DataRequired("Give it a title agents will recognise."),
            Length(max=canned.MAX_TITLE, message=f"Use at most {canned.MAX_TITLE} characters."),
        ],
        description="Agents pick responses by title, e.g. “Refund on its way”.",
        render_kw={"maxlength": canned.MAX_TITLE},
    )
    body = TextAreaField(
        "Text",
        filters=[_trim],
        validators=[
            DataRequired("Write the text of the response."),
            Length(max=canned.MAX_BODY, message=f"Use at most {canned.MAX_BODY:,} characters."),
        ],
        render_kw={"rows": 8, "maxlength": canned.MAX_BODY},
    )


class DeleteForm(FlaskForm):  # type: ignore[misc]
    """Delete a canned response (the form only carries the CSRF token)."""


def _found(canned_id: int) -> CannedResponse:
    """The canned response, or a 404 page."""
    try:
        return canned.get_canned(session=db_session(), canned_id=canned_id)
    except canned.CannedNotFound as error:
        abort(404, str(error))


def _form_page(form: CannedForm, *, item: CannedResponse | None = None, status: int = 200) -> Page:
    """The create or edit form."""
    page = render_template(
        "admin/canned_form.html", form=form, item=item, placeholders=canned.PLACEHOLDERS
    )
    return page, status


@bp.get("/canned")
@staff_required(*ADMINS)
def canned_list() -> str:
    """Every canned response, by title."""
    return render_template(
        "admin/canned.html",
        items=canned.list_canned(session=db_session()),
        delete_form=DeleteForm(),
        placeholders=canned.PLACEHOLDERS,
    )


@bp.get("/canned/new")
@staff_required(*ADMINS)
def new_canned() -> Page:
    """The form for a new canned response."""
    return _form_page(CannedForm())


@bp.post("/canned")
@staff_required(*ADMINS)
def create_canned() -> Page:
    """Save a new canned response (placeholders checked)."""
    form = CannedForm()
    if not form.validate():
        return _form_page(form, status=400)
    session = db_session()
    try:
        item = canned.create_canned(
            session=session, title=form.title.data, body=form.body.data, created_by=g.staff.id
        )
    except canned.CannedError as error:
        session.rollback()
        _attach(form, error)
        return _form_page(form, status=400)
    session.commit()
    flash(f"“{item.title}” is saved; agents can use it now.", "success")
    return redirect(url_for("admin.canned_list"))


@bp.get("/canned/<int:canned_id>/edit")
@staff_required(*ADMINS)
def edit_canned(canned_id: int) -> Page:
    """The form for changing a canned response."""
    item = _found(canned_id)
    return _form_page(CannedForm(obj=item), item=item)


@bp.post("/canned/<int:canned_id>")
@staff_required(*ADMINS)
def update_canned(canned_id: int) -> Page:
    """Save changes to a canned response."""
    item = _found(canned_id)
    form = CannedForm()
    if not form.validate():
        return _form_page(form, item=item, status=400)
    session = db_session()
    try:
        canned.update_canned(
            session=session, canned_id=canned_id, title=form.title.data, body=form.body.data
        )
    except canned.CannedError as error:
        session.rollback()
        _attach(form, error)
        return _form_page(form, item=_found(canned_id), status=400)
    session.commit()
    flash(f"“{form.title.data}” is updated.", "success")
    return redirect(url_for("admin.canned_list"))


@bp.post("/canned/<int:canned_id>/delete")
@staff_required(*ADMINS)
def delete_canned(canned_id: int) -> Response:
    """Delete a canned response."""
    item = _found(canned_id)
    if not DeleteForm().validate():
        flash("That form has expired; please try again.", "error")
        return redirect(url_for("admin.canned_list"))
    title = item.title
    session = db_session()
    canned.delete_canned(session=session, canned_id=canned_id)
    session.commit()
    flash(f"“{title}” is deleted.", "success")
    return redirect(url_for("admin.canned_list"))


def _attach(form: CannedForm, error: canned.CannedError) -> None:
    """Put a service error next to the field it is about."""
    (form.title if error.field == "title" else form.body).errors.append(str(error))
