"""Outgoing webhooks: escalation events written to an outbox in the same transaction as the change.

``emit`` adds one pending :class:`~kb.models.WebhookDelivery` per active webhook subscribed to the
event; delivery (signed, retried with backoff, logged) happens later, outside the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.models import Webhook, WebhookDelivery, utcnow

EVENTS = (
    "escalation.created",
    "escalation.assigned",
    "escalation.resolved",
    "sla.breached",
)
"""Every event a webhook can subscribe to."""


def emit(
    *, session: Session, event: str, data: dict[str, Any], now: datetime | None = None
) -> list[WebhookDelivery]:
    """Queue ``event`` for every active webhook that wants it; the caller's commit sends it."""
    if event not in EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}; use one of {list(EVENTS)}.")
    now = now or utcnow()
    deliveries = []
    for webhook in session.scalars(select(Webhook).where(Webhook.active.is_(True))):
        if event not in webhook.events:
            continue
        delivery = WebhookDelivery(
            webhook_id=webhook.id,
            event=event,
            payload={"event": event, "created_at": now.isoformat(), "data": data},
            status="pending",
            next_attempt_at=now,
            created_at=now,
        )
        session.add(delivery)
        deliveries.append(delivery)
    if deliveries:
        session.flush()
    return deliveries
