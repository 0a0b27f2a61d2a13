"""The content-gap report and article health pages, their charts, and GET /api/v1/content-gaps."""

from __future__ import annotations

import html as htmllib
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.article_health import record_article_event
from kb.knowledge_base import KnowledgeBase
from kb.models import Article, ArticleFeedback, Role, SearchEvent, utcnow
from tests.web.conftest import build_app
from tests.web.editor_helpers import module_kb, signed_in
from tests.web.staff_helpers import make_staff
from web.editor.charts import BAR_AREA, LABEL_WIDTH, bar_chart

ekb = pytest.fixture(scope="module")(module_kb)
GIFT = ("do you sell gift cards", "do you sell gift cards online", "Do you sell gift cards")
TENT = "my tent pole snapped in the wind"


@pytest.fixture(scope="module")
def eapp(ekb: KnowledgeBase) -> Flask:
    """The app on this module's knowledge base, with failed searches and article use seeded."""
    now = utcnow()
    with ekb.sessions.begin() as session:
        for i, query in enumerate(GIFT):
            session.add(
                SearchEvent(
                    query=query,
                    channel="page",
                    zero_result=True,
                    decision="handover",
                    created_at=now - timedelta(days=i),
                )
            )
        session.add(
            SearchEvent(
                query=TENT, channel="page", zero_result=True, created_at=now - timedelta(20)
            )
        )
        articles = session.scalars(select(Article).order_by(Article.id)).all()
        first, second = articles[0], articles[1]
        first.view_count, second.view_count = 120, 30
        for i in range(5):
            session.add(ArticleFeedback(article_id=second.id, visitor_id=f"v{i}", helpful=i == 0))
        for kind in ("bot_served", "bot_served", "bot_confirmed"):
            record_article_event(session=session, article=first, kind=kind, conversation_ref="c")
    return build_app(ekb, csrf=False, sign_in_rate_limit="1000 per minute")


@pytest.fixture(scope="module")
def editor(eapp: Flask, ekb: KnowledgeBase) -> FlaskClient:
    """A signed-in editor."""
    return signed_in(eapp, ekb)[0]


def page(client: FlaskClient, url: str) -> str:
    """A page's HTML (asserting 200)."""
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_gaps_page_groups_failed_searches(editor: FlaskClient) -> None:
    text = htmllib.unescape(page(editor, "/editor/gaps"))
    cards = re.findall(r'<li class="card gap-card".*?</li>\s*(?=<li class="card|</ol>)', text, re.S)
    assert len(cards) == 2
    gift, tent = cards
    assert "Do you sell gift cards" in gift and "Rising" in gift
    assert re.search(r'data-count="7">3<', gift) and re.search(r'data-count="30">3<', gift)
    assert "“do you sell gift cards online”" in gift and "no results: 3" in gift
    assert TENT in tent and "Steady" in tent and re.search(r'data-count="7">0<', tent)
    assert "<svg" in text and 'class="bar bar-recent"' in text
    assert " style=" not in text  # the CSP forbids inline styles


def test_draft_link_prefills_the_new_article_form(editor: FlaskClient) -> None:
    text = htmllib.unescape(page(editor, "/editor/gaps"))
    link = re.search(r'<a class="button" href="([^"]+)" data-action="draft"', text)
    assert link is not None
    url = link.group(1)
    params = parse_qs(urlsplit(url).query)
    assert urlsplit(url).path == "/editor/articles/new"
    assert params["title"] == ["Do you sell gift cards"]
    assert "- do you sell gift cards online" in params["body"][0]
    form = htmllib.unescape(page(editor, url))
    assert 'value="Do you sell gift cards"' in form
    assert "- do you sell gift cards online" in form


def test_health_page_numbers_charts_and_lists(editor: FlaskClient, ekb: KnowledgeBase) -> None:
    with ekb.sessions() as session:
        first, second = session.scalars(select(Article).order_by(Article.id).limit(2)).all()
        first_title, second_title, second_slug = first.title, second.title, second.slug
    text = htmllib.unescape(page(editor, "/editor/health"))
    assert " style=" not in text
    row = re.search(rf'<tr data-slug="{re.escape(second_slug)}">.*?</tr>', text, re.S)
    assert row is not None
    assert 'data-col="views">30<' in row.group(0) and 'data-col="helpful">20%<' in row.group(0)
    worst = re.search(r'<table class="data-table" id="not-helpful">.*?</table>', text, re.S)
    assert worst is not None and second_title in worst.group(0)
    assert f"{first_title}" in text and "2 served: 1 yes, 0 no" in text
    views = re.search(
        r'<figure class="chart" aria-labelledby="views-chart-title">.*?</figure>', text, re.S
    )
    assert views is not None
    widths = [
        float(w)
        for w in re.findall(
            r'class="bar bar-main" x="[\d.]+" y="\d+" width="([\d.]+)"', views.group(0)
        )
    ]
    assert widths[0] == BAR_AREA and widths[1] == pytest.approx(BAR_AREA * 30 / 120)
    never = re.search(r'<ul class="link-list never-list" id="never-viewed">.*?</ul>', text, re.S)
    assert never is not None and first_title not in never.group(0)


def test_agents_cannot_see_the_reports(eapp: Flask, ekb: KnowledgeBase) -> None:
    client, _ = signed_in(eapp, ekb, Role.AGENT)
    assert client.get("/editor/gaps").status_code == 403
    assert client.get("/editor/health").status_code == 403


def test_content_gaps_api(eapp: Flask, ekb: KnowledgeBase) -> None:
    client = eapp.test_client()
    editor = make_staff(ekb, Role.EDITOR)
    response = client.get("/api/v1/content-gaps", headers=editor.headers)
    assert response.status_code == 200
    groups = response.get_json()["groups"]
    assert [g["title"] for g in groups] == [
        "Do you sell gift cards",
        "My tent pole snapped in the wind",
    ]
    assert groups[0] | {"key": "k"} == {
        "key": "k",
        "title": "Do you sell gift cards",
        "count_7": 3,
        "count_30": 3,
        "trend": "rising",
        "examples": ["do you sell gift cards", "do you sell gift cards online"],
        "kinds": {"zero_result": 3},
    }
    agent = make_staff(ekb, Role.AGENT)
    refused = client.get("/api/v1/content-gaps", headers=agent.headers)
    assert (
        refused.status_code == 403 and "editor or admin" in refused.get_json()["error"]["message"]
    )
    assert client.get("/api/v1/content-gaps").status_code == 401


def test_bar_chart_scales_and_shortens() -> None:
    chart = bar_chart(
        "t",
        [("a" * 50, [(50, "good"), (50, "bad")], "n", ""), ("b", [(25, "good")], "m", "/x")],
        scale=100,
    )
    first, second = chart.bars
    assert first.label.endswith("…") and len(first.label) == 34
    assert [s.width for s in first.segments] == [BAR_AREA / 2, BAR_AREA / 2]
    assert first.segments[1].x == LABEL_WIDTH + BAR_AREA / 2 and first.end == LABEL_WIDTH + BAR_AREA
    assert second.segments[0].width == BAR_AREA / 4 and second.href == "/x"
    assert bar_chart("empty", []).bars == ()
