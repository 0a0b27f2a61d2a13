"""The background worker: flags missed service levels and sends due webhook deliveries.

``tier0 worker`` runs it on its own; ``tier0 serve`` runs it in a thread when
``settings.background_worker`` is on. Several workers (threads or processes) may run at once:
breaches are flagged with a conditional update and deliveries are claimed (see
:mod:`kb.webhook_delivery`), so nothing is flagged or sent twice.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from kb import webhooks
from kb.config import Settings
from kb.db import transaction
from kb.escalations import escalation_data
from kb.models import Escalation, EscalationState, utcnow
from kb.webhook_delivery import Post, deliver_due, http_post

log = logging.getLogger(__name__)

OPEN = (EscalationState.QUEUED, EscalationState.ASSIGNED)
DEFAULT_INTERVAL = 5.0


@dataclass(frozen=True)
class RunSummary:
    """What one round of the worker did."""

    breaches: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0


def flag_breaches(*, session: Session, now: datetime) -> list[tuple[Escalation, str]]:
    """Mark open escalations whose targets passed unmet (each once) and emit ``sla.breached``.

    First response: queued or assigned, no agent reply yet, ``first_response_due`` passed.
    Resolution: queued or assigned, ``resolution_due`` passed. Returns (escalation, target) pairs.
    """
    flagged: list[tuple[Escalation, str]] = []
    targets: list[tuple[str, Any, InstrumentedAttribute[datetime | None], list[Any]]] = [
        (
            "first_response",
            Escalation.first_response_due,
            Escalation.first_response_breached_at,
            [Escalation.first_response_at.is_(None)],
        ),
        ("resolution", Escalation.resolution_due, Escalation.resolution_breached_at, []),
    ]
    for target, due, flag, extra in targets:
        candidates = session.scalars(
            select(Escalation)
            .where(Escalation.state.in_(OPEN), due.is_not(None), due < now, flag.is_(None), *extra)
            .order_by(due, Escalation.id)
            .with_for_update(of=Escalation, skip_locked=True)
        ).all()
        for escalation in candidates:
            # Conditional, so a concurrent worker that got here first wins and we skip it.
            result = cast(
                "CursorResult[Any]",
                session.execute(
                    update(Escalation)
                    .where(Escalation.id == escalation.id, flag.is_(None))
                    .values({flag: now}),
                    execution_options={"synchronize_session": False},
                ),
            )
            if result.rowcount != 1:
                continue
            set_committed_value(escalation, flag.key, now)
            webhooks.emit(
                session=session,
                event="sla.breached",
                data={"escalation": escalation_data(escalation), "target": target},
                now=now,
            )
            flagged.append((escalation, target))
            log.info("Escalation %s missed its %s target.", escalation.id, target)
    session.flush()
    return flagged


def run_once(
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    post: Post = http_post,
    now: datetime | None = None,
) -> RunSummary:
    """One round: flag new breaches (committed), then send the due webhook deliveries."""
    now = now or utcnow()
    with transaction(session_factory) as session:
        breaches = flag_breaches(session=session, now=now)
    report = deliver_due(
        session_factory=session_factory,
        post=post,
        now=now,
        max_attempts=settings.webhook_max_attempts,
        timeout=settings.webhook_timeout_seconds,
    )
    return RunSummary(len(breaches), report.delivered, report.retried, report.failed)


class Worker(threading.Thread):
    """Runs :func:`run_once` every ``interval`` seconds until stopped; an error is logged, not fatal."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        settings: Settings,
        post: Post = http_post,
        interval: float = DEFAULT_INTERVAL,
        name: str = "tier0-worker",
    ) -> None:
        if interval <= 0:
            raise ValueError("The worker's interval must be a positive number of seconds.")
        super().__init__(name=name, daemon=True)
        self.session_factory = session_factory
        self.settings = settings
        self.post = post
        self.interval = interval
        self.stopping = threading.Event()
        self.rounds = 0
        self.errors = 0
        self.last_summary: RunSummary | None = None

    def run(self) -> None:
        """Work in rounds until :meth:`stop` is called."""
        log.info("Worker started (every %g s).", self.interval)
        while not self.stopping.is_set():
            try:
                summary = run_once(
                    session_factory=self.session_factory, settings=self.settings, post=self.post
                )
            except Exception:
                self.errors += 1
                log.exception("Worker round failed; trying again in %g s.", self.interval)
            else:
                self.last_summary = summary
                if summary != RunSummary():
                    log.info("Worker round: %s", summary)
            self.rounds += 1
            self.stopping.wait(self.interval)
        log.info("Worker stopped.")

    def stop(self, timeout: float | None = None) -> None:
        """Ask the worker to stop and wait for its round to finish."""
        self.stopping.set()
        if self.is_alive():
            self.join(timeout)
