"""Sending webhook deliveries: claim the due ones, post them signed, record the outcome.

Each round claims due deliveries in a short transaction (on PostgreSQL with ``FOR UPDATE SKIP
LOCKED``) and leases them by moving ``next_attempt_at`` past the time the round can take, so
another worker (thread or process) never sends the same delivery. The requests are made with no
transaction open; each outcome is recorded in a transaction of its own. A receiver that fails,
times out or cannot be reached gets the delivery again later (30 s, 1 min, 2 min … at most 6 h
apart, ±10 %), until ``max_attempts`` have failed.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from kb.db import transaction
from kb.models import Webhook, WebhookDelivery, utcnow
from kb.webhooks import request_headers

log = logging.getLogger(__name__)

Post = Callable[[str, bytes, dict[str, str], float], int]
"""Sends one request: ``post(url, body, headers, timeout) -> HTTP status code``; raises on failure."""

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
JITTER = 0.1
BATCH = 20
LEASE_MARGIN = timedelta(seconds=60)
MAX_ERROR = 500


class DeliveryError(Exception):
    """A request that got no HTTP answer (timeout, refused connection, bad TLS); says what."""


@dataclass
class DeliveryReport:
    """What one round of sending did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def sent(self) -> int:
        """How many requests were made."""
        return self.delivered + self.retried + self.failed


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` with ``requests`` (no redirects followed); the response's status code."""
    import requests

    try:
        with requests.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False, stream=True
        ) as response:
            return int(response.status_code)
    except requests.Timeout as error:
        raise DeliveryError(f"No answer within {timeout:g} s.") from error
    except requests.ConnectionError as error:
        raise DeliveryError(f"Could not connect: {_reason(error)}") from error
    except requests.RequestException as error:
        raise DeliveryError(f"Request failed: {_reason(error)}") from error


def _reason(error: BaseException) -> str:
    """The innermost cause of a requests error, which names what really went wrong."""
    while error.__context__ is not None and error.__context__ is not error:
        error = error.__context__
    return str(error) or type(error).__name__


def retry_delay(attempts: int, *, rand: Callable[[], float] = random.random) -> timedelta:
    """How long to wait after ``attempts`` failures: 30 s doubling, at most 6 h, ±10 % jitter."""
    if attempts < 1:
        raise ValueError("attempts counts failures, so it is at least 1.")
    # 2 ** 10 × 30 s already exceeds 6 h; capping the exponent keeps the number small.
    base: timedelta = min(FIRST_RETRY * 2 ** min(attempts - 1, 16), LONGEST_RETRY)
    factor = 1 + JITTER * (2 * rand() - 1)
    return base * factor


def deliver_due(
    *,
    session_factory: sessionmaker[Session],
    post: Post = http_post,
    now: datetime | None = None,
    max_attempts: int = 8,
    timeout: float = 5.0,
    limit: int = BATCH,
    ids: Collection[int] | None = None,
    rand: Callable[[], float] = random.random,
) -> DeliveryReport:
    """Send up to ``limit`` due deliveries (only ``ids`` if given); never raises for a receiver."""
    now = now or utcnow()
    report = DeliveryReport()
    for delivery_id in claim_due(
        session_factory=session_factory, now=now, timeout=timeout, limit=limit, ids=ids
    ):
        _send(
            session_factory=session_factory,
            delivery_id=delivery_id,
            post=post,
            now=now,
            max_attempts=max_attempts,
            timeout=timeout,
            rand=rand,
            report=report,
        )
    return report


def claim_due(
    *,
    session_factory: sessionmaker[Session],
    now: datetime,
    timeout: float,
    limit: int = BATCH,
    ids: Collection[int] | None = None,
) -> list[int]:
    """Lease the due pending deliveries of active webhooks to this caller; their ids, oldest first."""
    due = (
        select(WebhookDelivery.id)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            Webhook.active.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)  # SQLite ignores this
    )
    if ids is not None:
        due = due.where(WebhookDelivery.id.in_(list(ids)))
    lease_until = now + LEASE_MARGIN + timedelta(seconds=timeout) * limit
    with transaction(session_factory) as session:
        # One UPDATE … WHERE id IN (SELECT … SKIP LOCKED) RETURNING: atomic on every backend.
        claimed = session.scalars(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(due.scalar_subquery()))
            .values(next_attempt_at=lease_until)
            .returning(WebhookDelivery.id),
            execution_options={"synchronize_session": False},
        ).all()
    return sorted(claimed)


def _send(
    *,
    session_factory: sessionmaker[Session],
    delivery_id: int,
    post: Post,
    now: datetime,
    max_attempts: int,
    timeout: float,
    rand: Callable[[], float],
    report: DeliveryReport,
) -> None:
    """Make one claimed delivery's request, then record how it went."""
    with session_factory() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:  # its webhook was deleted meanwhile
            return
        url, secret, event = delivery.webhook.url, delivery.webhook.secret, delivery.event
        body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = request_headers(secret=secret, event=event, delivery_id=delivery_id, body=body)
    status: int | None = None
    error = ""
    try:
        status = post(url, body, headers, timeout)
        if not 200 <= status < 300:
            error = f"The receiver answered HTTP {status}."
    except DeliveryError as failure:
        error = str(failure)
    except Exception as failure:  # a receiver's fault must never stop the worker
        error = f"{type(failure).__name__}: {failure}"
    with transaction(session_factory) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return
        delivery.attempts += 1
        delivery.last_status_code = status
        delivery.last_error = error[:MAX_ERROR]
        if not error:
            delivery.status = "delivered"
            delivery.delivered_at = now
            report.delivered += 1
        elif delivery.attempts >= max_attempts:
            delivery.status = "failed"
            report.failed += 1
            log.warning(
                "Webhook delivery %s to %s failed for good after %s attempts: %s",
                delivery_id,
                url,
                delivery.attempts,
                error,
            )
        else:
            delivery.next_attempt_at = now + retry_delay(delivery.attempts, rand=rand)
            report.retried += 1
            log.info("Webhook delivery %s to %s will be retried: %s", delivery_id, url, error)
