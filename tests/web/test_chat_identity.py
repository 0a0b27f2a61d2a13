"""Starting a chat as a verified customer or from a help-centre page; CORS; CSRF; OpenAPI."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.feedback import start_chat
from kb.knowledge_base import KnowledgeBase
from kb.models import Article, ChatStart, Conversation, Customer
from tests.web.chat_helpers import FakeRasa, send, start
from tests.web.conftest import build_app
from tests.web.people import unique
from web.chat.identity import canonical_json, sign

SECRET = "s3cret-shared-with-the-shop"


@pytest.fixture
def signed_app(demo_kb: KnowledgeBase, fake_rasa: FakeRasa) -> Flask:
    """The app with signed identity enabled and one partner site allowed to call it."""
    return build_app(
        demo_kb,
        rasa_url=fake_rasa.url,
        identity_secret=SECRET,
        widget_allowed_origins=["https://shop.example.com"],
    )


def signed(identity: dict[str, Any], secret: str = SECRET) -> dict[str, Any]:
    """A start body with the identity signed the way the docs tell host sites to."""
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
    return {"identity": identity, "signature": digest}


def customer(kb: KnowledgeBase, external_id: str) -> Customer | None:
    """The stored customer with this external id."""
    with kb.sessions() as session:
        return session.scalar(select(Customer).where(Customer.external_id == external_id))


def test_canonical_json_is_sorted_compact_utf8() -> None:
    """What the host site signs: sorted keys, no spaces, non-ASCII as UTF-8."""
    identity = {"name": "Zoë", "external_id": "c-1"}
    assert canonical_json(identity) == '{"external_id":"c-1","name":"Zoë"}'.encode()
    assert sign(identity, "k") == hmac.new(b"k", canonical_json(identity), "sha256").hexdigest()


def test_verified_identity_links_and_updates_the_customer(
    signed_app: Flask, fake_rasa: FakeRasa, demo_kb: KnowledgeBase
) -> None:
    """A valid signature upserts the customer; the bot is told who it is talking to."""
    client = signed_app.test_client()
    external_id = unique("cust")
    identity = {
        "external_id": external_id,
        "email": "Ada@Example.com",
        "name": "Ada",
        "plan": "plus",
    }
    conversation, token = start(client, signed(identity))
    found = customer(demo_kb, external_id)
    assert found is not None
    assert (found.email, found.name, found.plan) == ("ada@example.com", "Ada", "plus")
    send(client, conversation, token, text="hello")
    assert fake_rasa.requests[-1]["metadata"]["customer"] == {
        "verified": True,
        "plan": "plus",
        "name": "Ada",
        "email_known": True,
    }
    start(client, signed({"external_id": external_id, "plan": "premium"}))
    updated = customer(demo_kb, external_id)
    assert updated is not None and updated.id == found.id
    assert (updated.email, updated.name, updated.plan) == ("ada@example.com", "Ada", "premium")
    with demo_kb.sessions() as session:
        rows = session.scalars(select(Conversation).where(Conversation.customer_id == found.id))
        assert len(list(rows)) == 2


def test_bad_signatures_are_403(signed_app: Flask, demo_kb: KnowledgeBase) -> None:
    """A wrong secret, a changed identity or no signature: 403 with the reason; no customer."""
    client = signed_app.test_client()
    external_id = unique("cust")
    identity = {"external_id": external_id, "plan": "premium"}
    tampered = signed(identity)
    tampered["identity"] = {**identity, "plan": "plus"}
    cases = [
        (signed(identity, "wrong secret"), "does not match"),
        (tampered, "does not match"),
        ({"identity": identity}, "not signed"),
    ]
    for body, reason in cases:
        response = client.post("/api/v1/conversations", json=body)
        assert response.status_code == 403, body
        assert reason in response.get_json()["error"]["message"]
    assert customer(demo_kb, external_id) is None
    response = client.post(
        "/api/v1/conversations", json={**signed(identity), "signature": "not hex"}
    )
    assert response.status_code == 400


def test_identity_without_a_configured_secret_is_400(
    demo_kb: KnowledgeBase, fake_rasa: FakeRasa
) -> None:
    """Sites that have not enabled signed identity are told so."""
    client = build_app(demo_kb, rasa_url=fake_rasa.url).test_client()
    response = client.post("/api/v1/conversations", json=signed({"external_id": "c-9"}))
    assert response.status_code == 400
    assert "Signed identity is not enabled" in response.get_json()["error"]["message"]


def test_identity_input_errors_are_400(signed_app: Flask) -> None:
    """Unknown plans, bad emails, stray fields and a lone signature are refused with reasons."""
    client = signed_app.test_client()
    cases = [
        (signed({"external_id": "c-1", "plan": "gold"}), "Unknown plan 'gold'"),
        (signed({"external_id": "c-1", "email": "nope"}), "does not look like an email"),
        (signed({"external_id": "c-1", "role": "admin"}), "'identity.role' is not a field"),
        ({"signature": "ab" * 32}, "'signature' signs an 'identity'"),
    ]
    for body, reason in cases:
        response = client.post("/api/v1/conversations", json=body)
        assert response.status_code == 400, body
        assert reason in response.get_json()["error"]["message"], response.get_json()


def chat_start_token(kb: KnowledgeBase) -> str:
    """A chat start from a search, as the help centre's 'chat with us' makes one."""
    with kb.sessions() as session:
        chat = start_chat(
            session=session, origin="search", visitor_id="anon:test", query="damaged parcel"
        )
        session.commit()
        return chat.token


def test_chat_start_context_goes_to_the_bot_once(
    signed_app: Flask, fake_rasa: FakeRasa, demo_kb: KnowledgeBase
) -> None:
    """The start token's context is kept and sent with the first message only."""
    token = chat_start_token(demo_kb)
    client = signed_app.test_client()
    conversation, secret = start(client, {"start": token})
    send(client, conversation, secret, text="my parcel arrived broken")
    send(client, conversation, secret, text="hello?")
    first, second = fake_rasa.requests[-2:]
    assert first["metadata"]["context"] == {
        "origin": "search",
        "article_ref": "",
        "article_title": "",
        "query": "damaged parcel",
        "comment": "",
    }
    assert "context" not in second["metadata"]
    with demo_kb.sessions() as session:
        chat = session.scalar(select(ChatStart).where(ChatStart.token == token))
        assert chat is not None and chat.used_at is not None


def test_chat_start_from_an_article(
    signed_app: Flask, fake_rasa: FakeRasa, demo_kb: KnowledgeBase
) -> None:
    """From 'was this not helpful? chat with us': the article and the comment travel along."""
    with demo_kb.sessions() as session:
        article = session.scalars(select(Article).order_by(Article.id)).first()
        assert article is not None
        from kb.feedback import record_feedback

        feedback = record_feedback(
            session=session,
            article=article,
            visitor_id="anon:" + unique(),
            helpful=False,
            comment="It doesn't cover gifts",
        )
        chat = start_chat(
            session=session,
            origin="article_feedback",
            visitor_id=feedback.visitor_id,
            feedback=feedback,
        )
        session.commit()
        token, slug, title = chat.token, article.slug, article.title
    client = signed_app.test_client()
    conversation, secret = start(client, {"start": token})
    send(client, conversation, secret, text="hi")
    context = fake_rasa.requests[-1]["metadata"]["context"]
    assert context["origin"] == "article_feedback"
    assert (context["article_ref"], context["article_title"]) == (slug, title)
    assert context["comment"] == "It doesn't cover gifts"


def test_unknown_start_token_is_400(signed_app: Flask) -> None:
    """A start token that is not ours is refused, naming the field."""
    client = signed_app.test_client()
    response = client.post("/api/v1/conversations", json={"start": "x" * 30})
    assert response.status_code == 400
    assert "start" in response.get_json()["error"]["fields"]


def preflight(client: FlaskClient, origin: str) -> Any:
    """A browser's CORS preflight for posting a message."""
    return client.options(
        "/api/v1/conversations/abc/messages",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_cors_for_allowed_origins_only(signed_app: Flask, fake_rasa: FakeRasa) -> None:
    """Allowed sites get CORS headers on preflights and responses; others get none."""
    client = signed_app.test_client()
    response = preflight(client, "https://shop.example.com")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "Origin" in response.headers["Vary"]
    response = client.post(
        "/api/v1/conversations", json={}, headers={"Origin": "https://shop.example.com"}
    )
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    for origin in ("https://evil.example.net", "https://shop.example.com.evil.net"):
        assert "Access-Control-Allow-Origin" not in preflight(client, origin).headers
        response = client.post("/api/v1/conversations", json={}, headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_wildcard_only_when_configured(demo_kb: KnowledgeBase, fake_rasa: FakeRasa) -> None:
    """``*`` answers any origin with ``*``; the default allows no other site."""
    anyone = build_app(demo_kb, rasa_url=fake_rasa.url, widget_allowed_origins=["*"])
    response = preflight(anyone.test_client(), "https://anywhere.example.org")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    nobody = build_app(demo_kb, rasa_url=fake_rasa.url)
    response = preflight(nobody.test_client(), "https://anywhere.example.org")
    assert "Access-Control-Allow-Origin" not in response.headers


def test_preflights_do_not_use_up_rate_limits(demo_kb: KnowledgeBase, fake_rasa: FakeRasa) -> None:
    """OPTIONS requests are not counted against the chat budgets."""
    app = build_app(
        demo_kb,
        rasa_url=fake_rasa.url,
        widget_allowed_origins=["*"],
        chat_ip_rate_limit="1 per minute",
    )
    client = app.test_client()
    for _ in range(3):
        assert preflight(client, "https://a.example").status_code == 200
    assert client.post("/api/v1/conversations", json={}).status_code == 201


def test_chat_api_needs_no_csrf_token(demo_kb: KnowledgeBase, fake_rasa: FakeRasa) -> None:
    """With CSRF on (as in production) the token-authenticated API still takes posts."""
    client = build_app(demo_kb, csrf=True, rasa_url=fake_rasa.url).test_client()
    conversation, token = start(client)
    assert send(client, conversation, token, text="hi")[0] == 200
    assert client.post(
        "/api/v1/community/questions", json={"title": "hello there"}
    ).status_code in {
        400,
        401,
    }


def test_chat_endpoints_are_in_the_openapi_document(signed_app: Flask) -> None:
    """The three chat operations are documented with their models, errors and bearer auth."""
    document = signed_app.test_client().get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    create = paths["/api/v1/conversations"]["post"]
    assert {"201", "400", "403", "429"} <= set(create["responses"])
    post = paths["/api/v1/conversations/{conversation_id}/messages"]["post"]
    get = paths["/api/v1/conversations/{conversation_id}/messages"]["get"]
    assert post["security"] == [{"conversationToken": []}] == get["security"]
    assert {"200", "400", "403", "404", "429"} <= set(post["responses"])
    assert {p["name"] for p in get["parameters"]} >= {"after", "conversation_id"}
    schemas = document["components"]["schemas"]
    assert schemas["NewMessage"]["properties"]["text"]["anyOf"][0]["maxLength"] == 2000
    assert document["components"]["securitySchemes"]["conversationToken"]["scheme"] == "bearer"
