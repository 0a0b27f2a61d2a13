"""Outgoing webhooks: escalation events written to an outbox in the same transaction as the change.

``emit`` adds one pending :class:`~kb.models.WebhookDelivery` per active webhook subscribed to the
event; :func:`deliver_due` sends them later, outside that transaction, signed with the webhook's
secret and retried with backoff. Receivers check requests with :func:`verify` (docs/webhooks.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.models import Webhook, WebhookDelivery, utcnow

EVENTS = (
    "escalation.created",
    "escalation.assigned",
    "escalation.resolved",
    "sla.breached",
)
"""Every event a webhook can subscribe to."""
PING = "ping"
"""The event of a test delivery (sent to any webhook by :func:`send_test`, never by ``emit``)."""
MAX_URL = 2000
MAX_DESCRIPTION = 200
SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE = 300
"""Receivers reject requests whose timestamp is further than this many seconds from their clock."""


class WebhookError(ValueError):
    """A webhook setting or request that is not allowed; the message says why."""


def emit(
    *, session: Session, event: str, data: dict[str, Any], now: datetime | None = None
) -> list[WebhookDelivery]:
    """Queue ``event`` for every active webhook that wants it; the caller's commit sends it."""
    if event not in EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}; use one of {list(EVENTS)}.")
    now = now or utcnow()
    # One id per event, the same for every webhook and every retry: receivers dedupe on it.
    event_id = f"evt_{uuid.uuid4().hex}"
    deliveries = []
    for webhook in session.scalars(select(Webhook).where(Webhook.active.is_(True))):
        if event not in webhook.events:
            continue
        delivery = WebhookDelivery(
            webhook_id=webhook.id,
            event=event,
            payload={"id": event_id, "event": event, "created_at": now.isoformat(), "data": data},
            status="pending",
            next_attempt_at=now,
            created_at=now,
        )
        session.add(delivery)
        deliveries.append(delivery)
    if deliveries:
        session.flush()
    return deliveries


# -- configuration ------------------------------------------------------------------------------


def check_url(url: str) -> str:
    """``url`` trimmed, if it is an http(s) address with a host of at most 2000 characters."""
    url = (url or "").strip()
    if not url:
        raise WebhookError("Enter the address to send events to, like https://example.com/hooks.")
    if len(url) > MAX_URL:
        raise WebhookError(f"Use an address of at most {MAX_URL} characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError as error:
        raise WebhookError(f"{url!r} is not a valid address: {error}.") from error
    if parts.scheme not in {"http", "https"}:
        raise WebhookError("Use an http:// or https:// address.")
    if not host:
        raise WebhookError("The address needs a host name, like https://example.com/hooks.")
    if any(ch.isspace() for ch in url):
        raise WebhookError("The address must not contain spaces.")
    return url


def check_events(events: list[str] | tuple[str, ...]) -> list[str]:
    """The chosen events in the standard order, if there is at least one and all are known."""
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise WebhookError(f"Unknown events {unknown}; choose from {list(EVENTS)}.")
    if not events:
        raise WebhookError("Choose at least one event to send.")
    return [event for event in EVENTS if event in events]


def _description(description: str) -> str:
    """The description trimmed, if it fits."""
    description = " ".join((description or "").split())
    if len(description) > MAX_DESCRIPTION:
        raise WebhookError(f"Use a description of at most {MAX_DESCRIPTION} characters.")
    return description


def new_secret() -> str:
    """A new random signing secret."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def create_webhook(
    *,
    session: Session,
    url: str,
    events: list[str] | tuple[str, ...],
    description: str = "",
    active: bool = True,
) -> Webhook:
    """A new webhook with a freshly generated secret (show it to the admin once)."""
    webhook = Webhook(
        url=check_url(url),
        events=check_events(events),
        description=_description(description),
        active=active,
        secret=new_secret(),
        created_at=utcnow(),
    )
    session.add(webhook)
    session.flush()
    return webhook


def update_webhook(
    *,
    session: Session,
    webhook: Webhook,
    url: str | None = None,
    events: list[str] | tuple[str, ...] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> Webhook:
    """Change the given settings of ``webhook`` (all are checked before any is changed)."""
    changes: dict[str, Any] = {}
    if url is not None:
        changes["url"] = check_url(url)
    if events is not None:
        changes["events"] = check_events(events)
    if description is not None:
        changes["description"] = _description(description)
    if active is not None:
        changes["active"] = bool(active)
    for name, value in changes.items():
        setattr(webhook, name, value)
    session.flush()
    return webhook


def delete_webhook(*, session: Session, webhook: Webhook) -> None:
    """Remove ``webhook`` and its delivery log."""
    session.delete(webhook)
    session.flush()


def rotate_secret(*, session: Session, webhook: Webhook) -> str:
    """Give ``webhook`` a new secret and return it (the old one stops working at once)."""
    webhook.secret = new_secret()
    session.flush()
    return webhook.secret


def get_webhook(*, session: Session, webhook_id: int) -> Webhook | None:
    """The webhook with this id, if there is one."""
    return session.get(Webhook, webhook_id)


def list_webhooks(*, session: Session) -> list[Webhook]:
    """Every webhook, oldest first."""
    return list(session.scalars(select(Webhook).order_by(Webhook.id)))


def recent_deliveries(
    *, session: Session, webhook: Webhook, limit: int = 100
) -> list[WebhookDelivery]:
    """The webhook's latest deliveries, newest first."""
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def get_delivery(*, session: Session, delivery_id: int) -> WebhookDelivery | None:
    """The delivery with this id, if there is one."""
    return session.get(WebhookDelivery, delivery_id)


def delivery_counts(*, session: Session) -> dict[int, dict[str, int]]:
    """For each webhook id, how many of its deliveries are pending, delivered and failed."""
    counts: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(WebhookDelivery.webhook_id, WebhookDelivery.status, func.count()).group_by(
            WebhookDelivery.webhook_id, WebhookDelivery.status
        )
    )
    for webhook_id, status, count in rows:
        counts.setdefault(webhook_id, {"pending": 0, "delivered": 0, "failed": 0})[status] = count
    return counts


def _queue(
    *, session: Session, webhook: Webhook, event: str, payload: dict[str, Any], now: datetime
) -> WebhookDelivery:
    """A new pending delivery of ``payload`` to ``webhook``, due at once."""
    if not webhook.active:
        raise WebhookError("This webhook is switched off; switch it on to send to it.")
    delivery = WebhookDelivery(
        webhook_id=webhook.id,
        event=event,
        payload=payload,
        status="pending",
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return delivery


def send_test(
    *, session: Session, webhook: Webhook, now: datetime | None = None
) -> WebhookDelivery:
    """Queue a ``ping`` delivery to ``webhook`` (whatever it subscribes to), to test the receiver."""
    now = now or utcnow()
    payload = {
        "event": PING,
        "created_at": now.isoformat(),
        "data": {"webhook_id": webhook.id, "message": "A test delivery from Tier0."},
    }
    return _queue(session=session, webhook=webhook, event=PING, payload=payload, now=now)


def redeliver(
    *, session: Session, delivery_id: int, now: datetime | None = None
) -> WebhookDelivery:
    """Queue the payload of delivery ``delivery_id`` again, as a new delivery."""
    original = session.get(WebhookDelivery, delivery_id)
    if original is None:
        raise WebhookError(f"There is no webhook delivery {delivery_id}.")
    return _queue(
        session=session,
        webhook=original.webhook,
        event=original.event,
        payload=dict(original.payload),
        now=now or utcnow(),
    )


# -- signatures -------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value: ``v1=`` and the hex HMAC-SHA256 of ``"<timestamp>." + body``."""
    message = f"{int(timestamp)}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify(
    secret: str,
    header: str,
    timestamp: str | int,
    body: bytes,
    tolerance: int = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> bool:
    """Whether a request really came from Tier0: for receivers, to copy (docs/webhooks.md).

    Args:
        secret: the webhook's secret (``whsec_…``), shown when it was created or rotated.
        header: the ``X-Tier0-Signature`` header (``v1=<hex>``; several may be comma-separated).
        timestamp: the ``X-Tier0-Timestamp`` header (Unix seconds).
        body: the raw request body, exactly as received (not re-encoded JSON).
        tolerance: the largest difference in seconds from ``now`` accepted (stops replays).
        now: the receiver's current Unix time (default: the clock).

    Returns:
        True if the timestamp is fresh and one of the signatures matches.
    """
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance:
        return False
    expected = sign(secret, stamp, body)
    return any(
        hmac.compare_digest(candidate.strip(), expected) for candidate in (header or "").split(",")
    )


def request_headers(*, secret: str, event: str, delivery_id: int, body: bytes) -> dict[str, str]:
    """The headers of a delivery, signed now."""
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": "Tier0-Webhooks/1",
        "X-Tier0-Event": event,
        "X-Tier0-Delivery": str(delivery_id),
        "X-Tier0-Timestamp": str(timestamp),
        "X-Tier0-Signature": sign(secret, timestamp, body),
    }
