"""The admin console's webhook screens: CRUD, secrets shown once, test sends, the delivery log."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.knowledge_base import KnowledgeBase
from kb.models import Role, Webhook, WebhookDelivery
from tests.kb.webhook_receiver import Receiver
from tests.web.chat_helpers import free_port
from tests.web.conftest import build_app
from tests.web.people import PASSWORD, unique
from tests.web.staff_helpers import make_staff, sign_in

SECRET = re.compile(r"whsec_[A-Za-z0-9_-]{40,}")


@pytest.fixture
def admin_app(demo_kb: KnowledgeBase) -> Iterator[Flask]:
    """The app with CSRF off; webhooks made by the test are removed afterwards (shared database)."""
    with demo_kb.sessions() as session:
        before = set(session.scalars(select(Webhook.id)))
    yield build_app(demo_kb, csrf=False, webhook_timeout_seconds=2)
    with demo_kb.sessions() as session:
        for hook in session.scalars(select(Webhook).where(Webhook.id.not_in(before))):
            session.delete(hook)
        session.commit()


@pytest.fixture
def admin(admin_app: Flask, demo_kb: KnowledgeBase) -> FlaskClient:
    """A signed-in admin."""
    client = admin_app.test_client()
    sign_in(client, make_staff(demo_kb, Role.ADMIN))
    return client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real receiver on a loopback port."""
    server = Receiver()
    yield server
    server.close()


def stored(kb: KnowledgeBase, url: str) -> Webhook:
    """The webhook with this address."""
    with kb.sessions() as session:
        return session.scalars(select(Webhook).where(Webhook.url == url)).one()


def deliveries(kb: KnowledgeBase, webhook_id: int) -> list[WebhookDelivery]:
    """A webhook's deliveries, oldest first."""
    with kb.sessions() as session:
        return list(
            session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.webhook_id == webhook_id)
                .order_by(WebhookDelivery.id)
            )
        )


def create(client: FlaskClient, url: str, *events: str, description: str = "") -> str:
    """Add a webhook through the form; the page that follows."""
    response = client.post(
        "/admin/webhooks/new",
        data={
            "url": url,
            "events": list(events or ["sla.breached"]),
            "description": description,
            "active": "y",
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_create_shows_the_secret_once(admin: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """The page after creating shows the secret; the list never does again."""
    url = f"https://hooks.example.com/{unique()}"
    page = create(admin, url, "escalation.created", "sla.breached", description="CRM")
    hook = stored(demo_kb, url)
    assert SECRET.findall(page) == [hook.secret]
    assert hook.events == ["escalation.created", "sla.breached"] and hook.description == "CRM"
    listing = admin.get("/admin/webhooks").get_data(as_text=True)
    assert url in listing and "CRM" in listing and hook.secret not in listing


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "ftp://example.com/x", "events": ["sla.breached"]}, "http:// or https://"),
        ({"url": "https:///nohost", "events": ["sla.breached"]}, "needs a host name"),
        ({"url": "https://example.com/x"}, "Choose at least one event"),
        ({"url": "https://example.com/x", "events": ["ping"]}, "not a valid choice"),
        ({"url": "", "events": ["sla.breached"]}, "Enter the address"),
    ],
)
def test_bad_input_is_explained(admin: FlaskClient, data: dict[str, object], message: str) -> None:
    """The form comes back with a 400 and says what to fix."""
    response = admin.post("/admin/webhooks/new", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_edit_and_rotate(admin: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Edits are saved; rotation shows a new secret that replaces the old one."""
    url = f"https://hooks.example.com/{unique()}"
    create(admin, url)
    hook = stored(demo_kb, url)
    form = admin.get(f"/admin/webhooks/{hook.id}/edit").get_data(as_text=True)
    assert url in form and hook.secret not in form
    response = admin.post(
        f"/admin/webhooks/{hook.id}/edit",
        data={"url": url + "/v2", "events": ["escalation.resolved"], "description": "new"},
    )
    assert response.status_code == 302
    edited = stored(demo_kb, url + "/v2")
    assert (edited.events, edited.description, edited.active) == (
        ["escalation.resolved"],
        "new",
        False,
    )
    page = admin.post(f"/admin/webhooks/{hook.id}/rotate").get_data(as_text=True)
    rotated = stored(demo_kb, url + "/v2")
    assert rotated.secret != hook.secret and SECRET.findall(page) == [rotated.secret]
    assert admin.get("/admin/webhooks/999999/edit").status_code == 404


def test_send_test_reaches_a_real_receiver_and_is_logged(
    admin: FlaskClient, demo_kb: KnowledgeBase, receiver: Receiver
) -> None:
    """A signed ping arrives; the log shows it with its payload; redeliver sends it again."""
    create(admin, receiver.url)
    hook = stored(demo_kb, receiver.url)
    receiver.secret = hook.secret
    response = admin.post(f"/admin/webhooks/{hook.id}/test", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "It was delivered." in page
    [ping] = receiver.received
    assert ping.signed and ping.payload["event"] == "ping"
    [delivery] = deliveries(demo_kb, hook.id)
    assert (delivery.event, delivery.status, delivery.attempts) == ("ping", "delivered", 1)
    assert f'id="delivery-{delivery.id}"' in page and "HTTP 200" in page
    assert f'"webhook_id": {hook.id}' in page  # the payload, viewable

    receiver.answer(503)
    response = admin.post(f"/admin/deliveries/{delivery.id}/redeliver", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "did not get through: The receiver answered HTTP 503." in page
    first, again = deliveries(demo_kb, hook.id)
    assert again.payload == first.payload and again.status == "pending"
    assert again.attempts == 1 and again.last_status_code == 503
    assert len(receiver.received) == 2 and receiver.received[1].signed
    assert "HTTP 503" in page
    assert admin.post("/admin/deliveries/999999/redeliver").status_code == 404


def test_unreachable_receiver_is_reported(admin: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Connection refused: the admin is told, the delivery waits for a retry."""
    url = f"http://127.0.0.1:{free_port()}/hooks"
    create(admin, url)
    hook = stored(demo_kb, url)
    page = admin.post(f"/admin/webhooks/{hook.id}/test", follow_redirects=True)
    assert "did not get through: Could not connect" in page.get_data(as_text=True)
    [delivery] = deliveries(demo_kb, hook.id)
    assert (delivery.status, delivery.attempts) == ("pending", 1)


def test_switched_off_webhooks_are_not_tested(admin: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """A test send to a webhook that is off is refused with a message."""
    url = f"https://hooks.example.com/{unique()}"
    create(admin, url)
    hook = stored(demo_kb, url)
    admin.post(f"/admin/webhooks/{hook.id}/edit", data={"url": url, "events": ["sla.breached"]})
    page = admin.post(f"/admin/webhooks/{hook.id}/test", follow_redirects=True)
    assert "switched off" in page.get_data(as_text=True)
    assert deliveries(demo_kb, hook.id) == []


def test_delete_removes_the_webhook_and_its_log(admin: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Deleting redirects to the list, which no longer has it."""
    url = f"http://127.0.0.1:{free_port()}/hooks"
    create(admin, url)
    hook = stored(demo_kb, url)
    admin.post(f"/admin/webhooks/{hook.id}/test")
    response = admin.post(f"/admin/webhooks/{hook.id}/delete", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="webhook-{hook.id}"' not in page
    assert f"Webhook to {url} deleted." in page
    assert deliveries(demo_kb, hook.id) == []
    assert admin.get(f"/admin/webhooks/{hook.id}/deliveries").status_code == 404


@pytest.mark.parametrize("role", [Role.AGENT, Role.EDITOR, Role.CUSTOMER])
def test_only_admins_get_in(admin_app: Flask, demo_kb: KnowledgeBase, role: Role) -> None:
    """Everyone else gets 403 on every screen and button; anonymous visitors are sent to sign in."""
    with demo_kb.sessions() as session:
        hook_id = session.scalars(select(Webhook.id)).first() or 1
    pages = [
        ("get", "/admin/webhooks"),
        ("get", "/admin/webhooks/new"),
        ("post", "/admin/webhooks/new"),
        ("get", f"/admin/webhooks/{hook_id}/edit"),
        ("post", f"/admin/webhooks/{hook_id}/delete"),
        ("post", f"/admin/webhooks/{hook_id}/rotate"),
        ("post", f"/admin/webhooks/{hook_id}/test"),
        ("get", f"/admin/webhooks/{hook_id}/deliveries"),
        ("post", "/admin/deliveries/1/redeliver"),
    ]
    anonymous = admin_app.test_client()
    person = admin_app.test_client()
    sign_in(person, make_staff(demo_kb, role))
    for method, path in pages:
        assert getattr(person, method)(path).status_code == 403, path
        response = getattr(anonymous, method)(path)
        assert response.status_code == 302 and "/account/sign-in" in response.location, path


def test_buttons_need_the_csrf_token(demo_kb: KnowledgeBase, admin_app: Flask) -> None:
    """With CSRF on (as in production), a button without the page's token is refused."""
    client = build_app(demo_kb).test_client()
    staff = make_staff(demo_kb, Role.ADMIN)
    token = csrf_token(client.get("/account/sign-in").get_data(as_text=True))
    response = client.post(
        "/account/sign-in", data={"email": staff.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    url = f"https://hooks.example.com/{unique()}"
    token = csrf_token(client.get("/admin/webhooks/new").get_data(as_text=True))
    response = client.post(
        "/admin/webhooks/new", data={"url": url, "events": ["sla.breached"], "csrf_token": token}
    )
    assert response.status_code == 201
    hook = stored(demo_kb, url)
    response = client.post(f"/admin/webhooks/{hook.id}/delete")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    token = csrf_token(client.get("/admin/webhooks").get_data(as_text=True))
    response = client.post(f"/admin/webhooks/{hook.id}/delete", data={"csrf_token": token})
    assert response.status_code == 302


def csrf_token(page: str) -> str:
    """The CSRF token in a page's form."""
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found, page
    return found.group(1)
