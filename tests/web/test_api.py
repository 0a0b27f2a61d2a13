"""The JSON search API and the health check."""

from __future__ import annotations

import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.knowledge_base import KnowledgeBase
from kb.models import SearchEvent
from tests.web.chat_helpers import FakeRasa, free_port
from tests.web.conftest import build_app


def test_healthz_reports_every_component(demo_kb: KnowledgeBase, fake_rasa: FakeRasa) -> None:
    """Health reports the web app, the database, Rasa and the action server, and the index size."""
    app = build_app(demo_kb, rasa_url=fake_rasa.url, actions_url=fake_rasa.url)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["components"] == {"web": "ok", "database": "ok", "rasa": "ok", "actions": "ok"}
    assert body["documents"] >= 60 and body["passages"] > body["documents"]
    assert {r["path"] for r in fake_rasa.requests} == {"/", "/health"}


def test_healthz_without_the_bot_is_degraded_not_down(demo_kb: KnowledgeBase) -> None:
    """With Rasa and the actions unreachable the site still serves (chats go to people)."""
    nobody = f"http://127.0.0.1:{free_port()}"
    app = build_app(demo_kb, rasa_url=nobody, actions_url=nobody)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["components"]["rasa"].startswith("unreachable")
    assert body["components"]["actions"].startswith("unreachable")


def test_search_returns_ranked_hits(client: FlaskClient) -> None:
    """A returns question finds the returns article first, with a snippet and confidence."""
    body = client.get("/api/v1/search", query_string={"q": "how do I return boots"}).get_json()
    assert body["hits"][0]["ref"] == "how-to-return-an-item"
    assert body["hits"][0]["source"] == "official"
    assert 0.0 <= body["confidence"] <= 1.0
    assert body["decision"] in {"answer", "suggest", "handover"}
    hit = body["hits"][0]
    for start, end in hit["highlights"]:
        assert hit["snippet"][start:end]


def test_search_filters_and_paging(client: FlaskClient) -> None:
    """Source and category filters restrict hits; offset pages through the same ranking."""
    community = client.get("/api/v1/search?q=boots&source=community").get_json()
    assert community["hits"] and {h["source"] for h in community["hits"]} == {"community"}
    returns = client.get("/api/v1/search?q=boots&category=returns-and-refunds").get_json()
    assert {h["category"] for h in returns["hits"]} == {"returns-and-refunds"}
    first = client.get("/api/v1/search?q=shipping&limit=4").get_json()["hits"]
    second = client.get("/api/v1/search?q=shipping&limit=2&offset=2").get_json()["hits"]
    assert [h["ref"] for h in first[2:]] == [h["ref"] for h in second]


def test_search_rejects_bad_input_clearly(client: FlaskClient) -> None:
    """Bad parameters get a 400 with a message saying what is wrong, never a 500."""
    cases = {
        "/api/v1/search": "query",
        "/api/v1/search?q=%20%20": "query",
        "/api/v1/search?q=x&limit=abc": "limit",
        "/api/v1/search?q=x&limit=999": "limit",
        "/api/v1/search?q=x&source=blog": "source",
        "/api/v1/search?q=" + "a" * 600: "too long",
    }
    for url, words in cases.items():
        response = client.get(url)
        assert response.status_code == 400, url
        assert words in response.get_json()["error"]["message"], url


def test_unknown_route_is_json_404(client: FlaskClient) -> None:
    """Unknown API routes answer 404 in JSON."""
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


def test_search_hits_link_to_their_pages(client: FlaskClient) -> None:
    """Each hit carries the absolute URL of its article or community question."""
    hits = client.get("/api/v1/search?q=boots&limit=20").get_json()["hits"]
    official = next(h for h in hits if h["source"] == "official")
    community = next(h for h in hits if h["source"] == "community")
    assert official["url"] == f"http://localhost/articles/{official['ref']}"
    assert community["url"] == f"http://localhost/community/questions/{community['ref']}"


def test_search_is_recorded_for_analytics(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Every API search is stored with channel 'api', its result count and confidence."""
    query = f"waterproof boots {uuid.uuid4().hex[:8]}"
    body = client.get("/api/v1/search", query_string={"q": query, "source": "official"}).get_json()
    with demo_kb.sessions() as session:
        event = session.scalars(select(SearchEvent).where(SearchEvent.query == query)).one()
    assert event.channel == "api"
    assert event.result_count == body["total"]
    assert event.top_confidence == pytest.approx(body["confidence"], abs=1e-3)
    assert event.filters == {"source": ["official"]}
    assert event.zero_result is (body["total"] == 0)


def test_search_rejects_unknown_parameters(client: FlaskClient) -> None:
    """A mistyped parameter is named, with the ones that exist."""
    response = client.get("/api/v1/search?q=boots&categroy=returns")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert set(error["fields"]) == {"categroy"}
    assert "category" in error["fields"]["categroy"]
