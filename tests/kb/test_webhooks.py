"""kb.webhooks (configuration, outbox, signatures) and kb.webhook_delivery (sending, retries)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kb.db import make_engine, make_session_factory, transaction
from kb.models import Webhook, WebhookDelivery, as_utc, utcnow
from kb.webhook_delivery import (
    DeliveryError,
    claim_due,
    deliver_due,
    http_post,
    retry_delay,
)
from kb.webhooks import (
    EVENTS,
    WebhookError,
    create_webhook,
    delete_webhook,
    emit,
    recent_deliveries,
    redeliver,
    rotate_secret,
    send_test,
    sign,
    update_webhook,
    verify,
)
from tests.kb.webhook_receiver import Receiver
from tests.web.chat_helpers import free_port

BODY = b'{"event":"ping"}'


# -- signatures ---------------------------------------------------------------------------------


def test_sign_matches_an_independent_hmac() -> None:
    """The value openssl computes: printf '1700000000.{body}' | openssl dgst -sha256 -hmac …"""
    assert sign("whsec_test", 1700000000, BODY) == (
        "v1=aa8efe37b751e71157c508c5ac4acb1e9fe5225db98355dfc00f4b680afbc447"
    )


def test_verify_accepts_what_sign_made_and_nothing_else() -> None:
    """A round trip passes; another body, secret, stale or garbled timestamp does not."""
    now = 1700000000
    header = sign("whsec_a", now, BODY)
    assert verify("whsec_a", header, str(now), BODY, now=now + 10)
    assert verify("whsec_a", f"v1=deadbeef, {header}", now, BODY, now=now)
    assert not verify("whsec_a", header, now, BODY + b" ", now=now)
    assert not verify("whsec_b", header, now, BODY, now=now)
    assert not verify("whsec_a", header, now, BODY, now=now + 301)
    assert verify("whsec_a", header, now, BODY, tolerance=600, now=now + 301)
    assert not verify("whsec_a", header, "soon", BODY, now=now)
    assert not verify("whsec_a", "", now, BODY, now=now)


# -- configuration ------------------------------------------------------------------------------


def test_create_webhook_generates_a_secret_and_orders_events(session: Session) -> None:
    """Events are stored in the standard order; each webhook gets its own secret."""
    one = create_webhook(
        session=session,
        url=" https://hooks.example.com/tier0 ",
        events=["sla.breached", "escalation.created"],
        description="  CRM   sync ",
    )
    two = create_webhook(session=session, url="http://10.0.0.5:8080/x", events=list(EVENTS))
    assert one.url == "https://hooks.example.com/tier0" and one.description == "CRM sync"
    assert one.events == ["escalation.created", "sla.breached"]
    assert one.secret.startswith("whsec_") and len(one.secret) > 40
    assert one.secret != two.secret and one.active


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Enter the address"),
        ("ftp://example.com/x", "http:// or https://"),
        ("example.com/hooks", "http:// or https://"),
        ("https:///path", "needs a host"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com:port/", "not a valid address"),
        ("https://example.com/" + "a" * 2000, "at most 2000"),
    ],
)
def test_bad_addresses_are_refused(session: Session, url: str, message: str) -> None:
    """The message says what is wrong with the address."""
    with pytest.raises(WebhookError, match=message):
        create_webhook(session=session, url=url, events=["sla.breached"])


def test_events_must_be_known_and_not_empty(session: Session) -> None:
    """No events, or one that does not exist (ping included), is refused."""
    with pytest.raises(WebhookError, match="at least one event"):
        create_webhook(session=session, url="https://example.com/", events=[])
    with pytest.raises(WebhookError, match=r"Unknown events \['ping'\]"):
        create_webhook(session=session, url="https://example.com/", events=["ping"])


def test_update_checks_everything_before_changing_anything(session: Session) -> None:
    """A bad event leaves the new address unapplied; good changes apply together."""
    hook = create_webhook(session=session, url="https://a.example/", events=["sla.breached"])
    with pytest.raises(WebhookError):
        update_webhook(session=session, webhook=hook, url="https://b.example/", events=["nope"])
    assert hook.url == "https://a.example/"
    update_webhook(
        session=session,
        webhook=hook,
        url="https://b.example/",
        events=["escalation.resolved"],
        description="new",
        active=False,
    )
    assert (hook.url, hook.events, hook.description, hook.active) == (
        "https://b.example/",
        ["escalation.resolved"],
        "new",
        False,
    )


def test_rotate_secret_and_delete(session: Session) -> None:
    """Rotation replaces the secret; deleting a webhook deletes its deliveries."""
    hook = create_webhook(session=session, url="https://a.example/", events=["sla.breached"])
    old = hook.secret
    assert rotate_secret(session=session, webhook=hook) == hook.secret != old
    emit(session=session, event="sla.breached", data={})
    delete_webhook(session=session, webhook=hook)
    session.expire_all()
    assert session.scalars(select(WebhookDelivery)).all() == []


def test_emit_reaches_only_active_subscribed_webhooks(session: Session) -> None:
    """One pending delivery per active webhook that wants the event; unknown events refused."""
    wants = create_webhook(session=session, url="https://a.example/", events=["sla.breached"])
    create_webhook(session=session, url="https://b.example/", events=["escalation.created"])
    off = create_webhook(session=session, url="https://c.example/", events=["sla.breached"])
    update_webhook(session=session, webhook=off, active=False)
    [delivery] = emit(session=session, event="sla.breached", data={"x": 1})
    assert delivery.webhook_id == wants.id and delivery.status == "pending"
    assert delivery.payload["event"] == "sla.breached" and delivery.payload["data"] == {"x": 1}
    with pytest.raises(ValueError, match="Unknown webhook event"):
        emit(session=session, event="ping", data={})


def test_send_test_and_redeliver_queue_new_deliveries(session: Session) -> None:
    """A ping goes to any active webhook; a redelivery copies the payload; errors are clear."""
    hook = create_webhook(session=session, url="https://a.example/", events=["sla.breached"])
    ping = send_test(session=session, webhook=hook)
    assert ping.event == "ping" and ping.payload["data"]["webhook_id"] == hook.id
    [original] = emit(session=session, event="sla.breached", data={"id": 7})
    again = redeliver(session=session, delivery_id=original.id)
    assert again.id != original.id and again.payload == original.payload
    assert again.status == "pending" and again.attempts == 0
    assert [d.id for d in recent_deliveries(session=session, webhook=hook)] == [
        again.id,
        original.id,
        ping.id,
    ]
    with pytest.raises(WebhookError, match="no webhook delivery 999999"):
        redeliver(session=session, delivery_id=999999)
    update_webhook(session=session, webhook=hook, active=False)
    with pytest.raises(WebhookError, match="switched off"):
        send_test(session=session, webhook=hook)


# -- retry schedule -----------------------------------------------------------------------------


def test_retry_delay_doubles_from_30_seconds_up_to_6_hours() -> None:
    """30 s, 1 min, 2 min … capped at 6 h; jitter stays within ±10 %."""
    middle = [retry_delay(n, rand=lambda: 0.5).total_seconds() for n in range(1, 13)]
    assert middle[:4] == [30, 60, 120, 240]
    assert middle[9] == 30 * 2**9 and middle[10:] == [6 * 3600, 6 * 3600]
    assert retry_delay(1, rand=lambda: 0.0) == timedelta(seconds=27)
    assert retry_delay(1, rand=lambda: 1.0) == timedelta(seconds=33)
    assert retry_delay(100, rand=lambda: 1.0) == timedelta(hours=6.6)
    with pytest.raises(ValueError, match="at least 1"):
        retry_delay(0)


# -- delivery -----------------------------------------------------------------------------------


@pytest.fixture
def factory(fresh_db_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a database of this test's own (delivery commits)."""
    engine = make_engine(fresh_db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real receiver on a loopback port."""
    server = Receiver()
    yield server
    server.close()


def hook_with_event(
    factory: sessionmaker[Session], url: str, *, count: int = 1
) -> tuple[Webhook, list[int]]:
    """A webhook at ``url`` and ``count`` emitted ``sla.breached`` deliveries (committed)."""
    with transaction(factory) as session:
        hook = create_webhook(session=session, url=url, events=["sla.breached"])
        ids = [
            d.id
            for n in range(count)
            for d in emit(session=session, event="sla.breached", data={"n": n})
        ]
    return hook, ids


def load(factory: sessionmaker[Session], delivery_id: int) -> WebhookDelivery:
    """A delivery as stored now."""
    with factory() as session:
        return session.get_one(WebhookDelivery, delivery_id)


def test_real_receiver_gets_signed_requests_and_a_retry_after_a_500(
    factory: sessionmaker[Session], receiver: Receiver
) -> None:
    """500 → retried 30 s later (not before); then 200 → delivered. Signatures check out."""
    hook, [delivery_id] = hook_with_event(factory, receiver.url)
    receiver.secret = hook.secret
    receiver.answer(500)
    start = utcnow()
    report = deliver_due(session_factory=factory, now=start, timeout=5, rand=lambda: 0.5)
    assert (report.delivered, report.retried, report.failed) == (0, 1, 0)
    stored = load(factory, delivery_id)
    assert (stored.status, stored.attempts, stored.last_status_code) == ("pending", 1, 500)
    assert stored.last_error == "The receiver answered HTTP 500."
    assert as_utc(stored.next_attempt_at) == start + timedelta(seconds=30)

    assert deliver_due(session_factory=factory, now=start + timedelta(seconds=29)).sent == 0
    report = deliver_due(session_factory=factory, now=start + timedelta(seconds=31))
    assert report.delivered == 1
    stored = load(factory, delivery_id)
    assert (stored.status, stored.attempts, stored.last_status_code, stored.last_error) == (
        "delivered",
        2,
        200,
        "",
    )
    first, second = receiver.received
    assert first.signed and second.signed and first.body == second.body
    assert second.payload["event"] == "sla.breached" and second.payload["data"] == {"n": 0}
    assert second.headers["Content-Type"] == "application/json"
    assert second.headers["X-Tier0-Event"] == "sla.breached"
    assert second.headers["X-Tier0-Delivery"] == str(delivery_id)
    assert second.headers["X-Tier0-Signature"].startswith("v1=")


def test_a_receiver_with_the_wrong_secret_sees_bad_signatures(
    factory: sessionmaker[Session], receiver: Receiver
) -> None:
    """The signature depends on the webhook's secret (after rotation, the new one)."""
    hook, _ = hook_with_event(factory, receiver.url)
    receiver.secret = hook.secret
    with transaction(factory) as session:
        rotate_secret(session=session, webhook=session.get_one(Webhook, hook.id))
    deliver_due(session_factory=factory)
    [request] = receiver.received
    assert not request.signed


def test_connection_refused_is_retried_and_fails_after_max_attempts(
    factory: sessionmaker[Session],
) -> None:
    """Nobody listening: the error is kept, the delivery retried, then failed for good."""
    _, [delivery_id] = hook_with_event(factory, f"http://127.0.0.1:{free_port()}/hooks")
    now = utcnow()
    report = deliver_due(session_factory=factory, now=now, max_attempts=3)
    assert report.retried == 1
    stored = load(factory, delivery_id)
    assert stored.last_error.startswith("Could not connect") and stored.last_status_code is None
    for _ in range(2):
        now += timedelta(hours=7)
        deliver_due(session_factory=factory, now=now, max_attempts=3)
    stored = load(factory, delivery_id)
    assert (stored.status, stored.attempts) == ("failed", 3)
    assert deliver_due(session_factory=factory, now=now + timedelta(days=1)).sent == 0


def test_a_slow_receiver_times_out(factory: sessionmaker[Session], receiver: Receiver) -> None:
    """No answer within the timeout counts as a failed attempt."""
    _, [delivery_id] = hook_with_event(factory, receiver.url)
    receiver.delay = 1.0
    report = deliver_due(session_factory=factory, timeout=0.2)
    assert report.retried == 1
    assert load(factory, delivery_id).last_error == "No answer within 0.2 s."


def test_any_error_of_the_sender_is_recorded_not_raised(factory: sessionmaker[Session]) -> None:
    """A post that blows up is one failed attempt; inactive webhooks' deliveries wait."""
    _, [delivery_id] = hook_with_event(factory, "https://a.example/")

    def broken(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        raise RuntimeError("boom")

    assert deliver_due(session_factory=factory, post=broken).retried == 1
    assert load(factory, delivery_id).last_error == "RuntimeError: boom"

    with transaction(factory) as session:
        hook = session.scalars(select(Webhook)).one()
        update_webhook(session=session, webhook=hook, active=False)
    assert deliver_due(session_factory=factory, now=utcnow() + timedelta(days=1)).sent == 0


def test_claimed_deliveries_are_leased(factory: sessionmaker[Session]) -> None:
    """Once claimed, a delivery is not due for anyone else until its lease runs out."""
    _, ids = hook_with_event(factory, "https://a.example/", count=3)
    now = utcnow()
    assert claim_due(session_factory=factory, now=now, timeout=5, ids=ids[:2]) == ids[:2]
    assert claim_due(session_factory=factory, now=now, timeout=5) == ids[2:]
    assert claim_due(session_factory=factory, now=now + timedelta(seconds=59), timeout=5) == []


def test_http_post_reports_what_went_wrong(receiver: Receiver) -> None:
    """The adapter returns the status, and turns transport errors into DeliveryError."""
    receiver.answer(404)
    assert http_post(receiver.url, b"{}", {}, 2) == 404
    with pytest.raises(DeliveryError, match="Could not connect"):
        http_post(f"http://127.0.0.1:{free_port()}/", b"{}", {}, 2)


def test_concurrent_workers_never_send_a_delivery_twice(factory: sessionmaker[Session]) -> None:
    """Two workers draining the same outbox at once send each delivery exactly once."""
    _, ids = hook_with_event(factory, "https://a.example/", count=40)
    sent: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(2, timeout=30)

    def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        with lock:
            sent.append(int(headers["X-Tier0-Delivery"]))
        time.sleep(0.005)
        return 200

    def work(limit: int) -> None:
        start.wait()
        while deliver_due(session_factory=factory, post=post, limit=limit).sent:
            pass

    # Different batch sizes keep the two out of step, so each claims while the other sends.
    threads = [threading.Thread(target=work, args=(limit,)) for limit in (3, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(sent) == sorted(ids)
    with factory() as session:
        statuses = session.scalars(select(WebhookDelivery.status)).all()
    assert set(statuses) == {"delivered"}
