"""Admin console: outgoing webhooks (create, edit, delete, rotate the secret, test) and their log.

A webhook's secret is shown twice only: in the response that created it and after rotating it.
"Send test" and "Redeliver" make one attempt at once, so the admin sees the outcome; failures
are then retried by the background worker like any other delivery.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, Field, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from kb import webhooks
from kb.models import Webhook, as_utc
from kb.webhook_delivery import deliver_due
from web.admin import bp
from web.db import db_session
from web.extensions import knowledge_base
from web.roles import ADMINS, staff_required
from web.security import settings

Page = str | tuple[str, int] | Response
DESCRIBED = {
    "escalation.created": "A conversation was handed to the team",
    "escalation.assigned": "An agent took an escalation",
    "escalation.resolved": "An agent resolved an escalation",
    "sla.breached": "A first-response or resolution target was missed",
}


def _checked_url(form: FlaskForm, field: Field) -> None:
    """The address must be one Tier0 can send to."""
    try:
        field.data = webhooks.check_url(field.data or "")
    except webhooks.WebhookError as error:
        raise ValidationError(str(error)) from error


def _some_events(form: FlaskForm, field: Field) -> None:
    """At least one box ticked (not DataRequired: that would mark every box required)."""
    if not field.data:
        raise ValidationError("Choose at least one event to send.")


class WebhookForm(FlaskForm):  # type: ignore[misc]
    """A webhook's address, events, description and switch."""

    url = StringField(
        "Address",
        validators=[DataRequired("Enter the address to send events to."), _checked_url],
        description="Tier0 POSTs signed JSON here, e.g. https://example.com/hooks/tier0.",
        render_kw={"maxlength": webhooks.MAX_URL, "spellcheck": "false", "inputmode": "url"},
    )
    events = SelectMultipleField(
        "Events",
        choices=[SelectChoice(event, f"{event} — {DESCRIBED[event]}") for event in webhooks.EVENTS],
        validators=[_some_events],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    description = StringField(
        "Description",
        validators=[
            Length(
                max=webhooks.MAX_DESCRIPTION,
                message=f"Use a description of at most {webhooks.MAX_DESCRIPTION} characters.",
            )
        ],
        description="What receives these events, for your colleagues.",
        render_kw={"maxlength": webhooks.MAX_DESCRIPTION},
    )
    active = BooleanField("Active (send events to this address)", default=True)

    def values(self) -> dict[str, Any]:
        """The form's fields as keyword arguments for kb.webhooks."""
        return {
            "url": self.url.data,
            "events": list(self.events.data or []),
            "description": self.description.data or "",
            "active": bool(self.active.data),
        }


def _webhook(webhook_id: int) -> Webhook:
    """The webhook, or 404."""
    webhook = webhooks.get_webhook(session=db_session(), webhook_id=webhook_id)
    if webhook is None:
        abort(404, f"There is no webhook {webhook_id}; it may have been deleted.")
    return webhook


def _list(secret_for: Webhook | None = None, status: int = 200) -> Page:
    """The list of webhooks, showing one webhook's new secret if it has just been made."""
    session = db_session()
    page = render_template(
        "admin/webhooks.html",
        webhooks=webhooks.list_webhooks(session=session),
        counts=webhooks.delivery_counts(session=session),
        secret_for=secret_for,
        described=DESCRIBED,
    )
    return page, status


def _send_now(delivery_id: int) -> tuple[bool, str]:
    """Make one attempt at a delivery right away: whether it got through, and a sentence."""
    config = settings()
    sessions = knowledge_base().sessions
    report = deliver_due(
        session_factory=sessions,
        ids=[delivery_id],
        max_attempts=config.webhook_max_attempts,
        timeout=config.webhook_timeout_seconds,
        limit=1,
    )
    if report.delivered:
        return True, "It was delivered."
    if not report.sent:
        return False, "It is queued; the background worker will send it."
    with sessions() as session:  # not the request's session: it holds the delivery as it was
        delivery = webhooks.get_delivery(session=session, delivery_id=delivery_id)
        reason = delivery.last_error if delivery is not None else "it was removed."
    return False, f"It did not get through: {reason} It will be retried."


@bp.get("/webhooks", endpoint="webhooks")
@staff_required(*ADMINS)
def webhook_list() -> Page:
    """Every webhook with its events and delivery counts."""
    return _list()


@bp.route("/webhooks/new", methods=["GET", "POST"])
@staff_required(*ADMINS)
def webhook_new() -> Page:
    """Add a webhook; its secret is shown once, on the page that follows."""
    form = WebhookForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("admin/webhook_form.html", form=form, webhook=None), status
    session = db_session()
    try:
        webhook = webhooks.create_webhook(session=session, **form.values())
    except webhooks.WebhookError as error:
        form.form_errors.append(str(error))
        return render_template("admin/webhook_form.html", form=form, webhook=None), 400
    session.commit()
    flash(
        f"Webhook to {webhook.url} created. Copy its secret now: it is not shown again.", "success"
    )
    return _list(secret_for=webhook, status=201)


@bp.route("/webhooks/<int:webhook_id>/edit", methods=["GET", "POST"])
@staff_required(*ADMINS)
def webhook_edit(webhook_id: int) -> Page:
    """Change a webhook's address, events, description or switch it off."""
    webhook = _webhook(webhook_id)
    form = WebhookForm(obj=webhook)
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("admin/webhook_form.html", form=form, webhook=webhook), status
    session = db_session()
    try:
        webhooks.update_webhook(session=session, webhook=webhook, **form.values())
    except webhooks.WebhookError as error:
        form.form_errors.append(str(error))
        return render_template("admin/webhook_form.html", form=form, webhook=webhook), 400
    session.commit()
    flash(f"Webhook to {webhook.url} saved.", "success")
    return redirect(url_for("admin.webhooks"))


@bp.post("/webhooks/<int:webhook_id>/delete")
@staff_required(*ADMINS)
def webhook_delete(webhook_id: int) -> Response:
    """Remove a webhook and its delivery log."""
    webhook = _webhook(webhook_id)
    url = webhook.url
    session = db_session()
    webhooks.delete_webhook(session=session, webhook=webhook)
    session.commit()
    flash(f"Webhook to {url} deleted.", "success")
    return redirect(url_for("admin.webhooks"))


@bp.post("/webhooks/<int:webhook_id>/rotate")
@staff_required(*ADMINS)
def webhook_rotate(webhook_id: int) -> Page:
    """Replace a webhook's secret; the new one is shown once."""
    webhook = _webhook(webhook_id)
    session = db_session()
    webhooks.rotate_secret(session=session, webhook=webhook)
    session.commit()
    flash("New secret made; the old one no longer signs deliveries. Copy it now.", "success")
    return _list(secret_for=webhook)


@bp.post("/webhooks/<int:webhook_id>/test")
@staff_required(*ADMINS)
def webhook_test(webhook_id: int) -> Response:
    """Send a ``ping`` to the webhook now and say how it went."""
    webhook = _webhook(webhook_id)
    session = db_session()
    try:
        delivery = webhooks.send_test(session=session, webhook=webhook)
    except webhooks.WebhookError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.webhooks"))
    session.commit()
    delivered, outcome = _send_now(delivery.id)
    flash(f"Test sent to {webhook.url}. {outcome}", "success" if delivered else "error")
    return redirect(url_for("admin.webhook_deliveries", webhook_id=webhook.id))


@bp.get("/webhooks/<int:webhook_id>/deliveries")
@staff_required(*ADMINS)
def webhook_deliveries(webhook_id: int) -> Page:
    """The webhook's latest 100 deliveries, newest first, with their payloads."""
    webhook = _webhook(webhook_id)
    deliveries = webhooks.recent_deliveries(session=db_session(), webhook=webhook, limit=100)
    return render_template(
        "admin/webhook_deliveries.html",
        webhook=webhook,
        deliveries=deliveries,
        utc_iso=lambda moment: as_utc(moment).astimezone(UTC).isoformat(),
        utc_text=lambda moment: as_utc(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
    )


@bp.post("/deliveries/<int:delivery_id>/redeliver")
@staff_required(*ADMINS)
def redeliver(delivery_id: int) -> Response:
    """Send a delivery's payload again, as a new delivery, and try it at once."""
    session = db_session()
    original = webhooks.get_delivery(session=session, delivery_id=delivery_id)
    if original is None:
        abort(404, f"There is no webhook delivery {delivery_id}; it may have been deleted.")
    back = url_for("admin.webhook_deliveries", webhook_id=original.webhook_id)
    try:
        delivery = webhooks.redeliver(session=session, delivery_id=delivery_id)
    except webhooks.WebhookError as error:
        flash(str(error), "error")
        return redirect(back)
    session.commit()
    delivered, outcome = _send_now(delivery.id)
    flash(
        f"Delivery {delivery_id} sent again as {delivery.id}. {outcome}",
        "success" if delivered else "error",
    )
    return redirect(back)
