"""kb.worker: missed service levels flagged once each, and the worker thread that keeps going."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kb import chat
from kb.config import Settings
from kb.db import make_engine, make_session_factory, transaction
from kb.models import Escalation, EscalationState, WebhookDelivery, as_utc
from kb.webhooks import create_webhook
from kb.worker import RunSummary, Worker, flag_breaches, run_once

NOW = datetime.fromisoformat("2025-03-04T10:00:00+00:00")


def escalation(
    session: Session,
    state: EscalationState = EscalationState.QUEUED,
    *,
    first_in: float = 10,
    resolve_in: float = 60,
    answered: bool = False,
) -> Escalation:
    """An escalation whose first reply is due ``first_in`` minutes after NOW, resolution after
    ``resolve_in``."""
    talk = chat.start_conversation(session=session).conversation
    item = Escalation(
        conversation_id=talk.id,
        state=state,
        reason="customer_request",
        plan="plus",
        queued_at=NOW - timedelta(minutes=5),
        first_response_due=NOW + timedelta(minutes=first_in),
        resolution_due=NOW + timedelta(minutes=resolve_in),
        first_response_at=NOW - timedelta(minutes=1) if answered else None,
    )
    session.add(item)
    session.flush()
    return item


def breach_deliveries(session: Session) -> list[dict[str, Any]]:
    """The data of every queued sla.breached delivery, oldest first."""
    return [
        d.payload["data"]
        for d in session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.event == "sla.breached")
            .order_by(WebhookDelivery.id)
        )
    ]


def test_each_target_is_flagged_once_when_it_passes(session: Session) -> None:
    """First response at its due time, resolution at its own; never twice; webhook told each time."""
    create_webhook(session=session, url="https://a.example/", events=["sla.breached"])
    item = escalation(session, first_in=10, resolve_in=60)
    assert flag_breaches(session=session, now=NOW + timedelta(minutes=9)) == []

    later = NOW + timedelta(minutes=11)
    assert flag_breaches(session=session, now=later) == [(item, "first_response")]
    assert as_utc(item.first_response_breached_at or NOW) == later
    assert item.resolution_breached_at is None
    assert flag_breaches(session=session, now=later + timedelta(minutes=1)) == []

    latest = NOW + timedelta(minutes=61)
    assert flag_breaches(session=session, now=latest) == [(item, "resolution")]
    assert flag_breaches(session=session, now=latest + timedelta(hours=5)) == []

    first, second = breach_deliveries(session)
    assert (first["target"], second["target"]) == ("first_response", "resolution")
    assert first["escalation"]["id"] == item.id
    assert first["escalation"]["conversation_id"] == item.conversation.public_id
    assert first["escalation"]["first_response_breached_at"] == later.isoformat()
    session.expire_all()
    stored = session.get_one(Escalation, item.id)
    assert as_utc(stored.first_response_breached_at or NOW) == later
    assert as_utc(stored.resolution_breached_at or NOW) == latest


def test_only_open_escalations_missing_their_target_are_flagged(session: Session) -> None:
    """Answered ones keep their first-response record clean; resolved ones are never flagged."""
    answered = escalation(session, EscalationState.ASSIGNED, first_in=-5, answered=True)
    waiting = escalation(session, EscalationState.ASSIGNED, first_in=-5)
    escalation(session, EscalationState.RESOLVED, first_in=-5, resolve_in=-1)
    escalation(session, EscalationState.BOT, first_in=-5, resolve_in=-1)
    flagged = flag_breaches(session=session, now=NOW)
    assert flagged == [(waiting, "first_response")]
    assert answered.first_response_breached_at is None
    assert breach_deliveries(session) == []  # nobody subscribed


@pytest.fixture
def factory(fresh_db_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a database of this test's own (the worker commits)."""
    engine = make_engine(fresh_db_url)
    yield make_session_factory(engine)
    engine.dispose()


class Recorder:
    """A post that answers 200 and keeps the events it was sent."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def __call__(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        self.events.append(headers["X-Tier0-Event"])
        return 200


def test_run_once_flags_and_delivers_in_one_round(factory: sessionmaker[Session]) -> None:
    """A breach found in a round is sent in the same round."""
    with transaction(factory) as session:
        create_webhook(session=session, url="https://a.example/", events=["sla.breached"])
        escalation(session, first_in=-1, resolve_in=-1)
    post = Recorder()
    summary = run_once(session_factory=factory, settings=Settings(), post=post, now=NOW)
    assert summary == RunSummary(breaches=2, delivered=2, retried=0, failed=0)
    assert post.events == ["sla.breached", "sla.breached"]
    assert run_once(session_factory=factory, settings=Settings(), post=post, now=NOW) == (
        RunSummary()
    )


def test_concurrent_rounds_flag_each_breach_once(factory: sessionmaker[Session]) -> None:
    """Two workers at once never flag (or announce) the same breach twice."""
    with transaction(factory) as session:
        create_webhook(session=session, url="https://a.example/", events=["sla.breached"])
        for _ in range(10):
            escalation(session, first_in=-1, resolve_in=30)
    start = threading.Barrier(2, timeout=30)
    found: list[int] = []

    def work() -> None:
        start.wait()
        for _ in range(20):
            try:
                with transaction(factory) as session:
                    found.extend(e.id for e, _ in flag_breaches(session=session, now=NOW))
                return
            except Exception:  # SQLite: the other writer's snapshot won; try again
                time.sleep(0.01)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(found) == len(set(found)) == 10
    with factory() as session:
        assert len(breach_deliveries(session)) == 10


class FailingOnce:
    """A session factory whose first use raises, as a database that went away would."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self.calls = 0

    def __call__(self) -> Session:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("database unavailable")
        return self.factory()


def test_worker_survives_an_error_and_stops_cleanly(
    factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    """The failed round is logged; the next rounds run; stop() ends the thread promptly."""
    with transaction(factory) as session:
        create_webhook(session=session, url="https://a.example/", events=["sla.breached"])
        escalation(session, first_in=-1, resolve_in=-1)  # NOW is in the past: both missed
    post = Recorder()
    worker = Worker(
        session_factory=FailingOnce(factory),  # type: ignore[arg-type]
        settings=Settings(),
        post=post,
        interval=0.01,
    )
    worker.start()
    deadline = time.monotonic() + 10
    while worker.rounds < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stop(timeout=5)
    assert not worker.is_alive()
    assert worker.errors == 1 and worker.rounds >= 3
    assert post.events == ["sla.breached", "sla.breached"]
    assert "Worker round failed" in caplog.text and "database unavailable" in caplog.text


def test_worker_needs_a_positive_interval(factory: sessionmaker[Session]) -> None:
    """A zero interval would spin; it is refused."""
    with pytest.raises(ValueError, match="positive"):
        Worker(session_factory=factory, settings=Settings(), interval=0)
