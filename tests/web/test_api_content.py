"""The API's categories and articles: lists with the pagination envelope, reads, and bad input."""

from __future__ import annotations

import uuid

import pytest
from flask.testing import FlaskClient

from kb.articles import save_article
from kb.knowledge_base import KnowledgeBase


def test_categories_with_published_counts(client: FlaskClient) -> None:
    """Categories come in display order, each with its published-article count and page URL."""
    body = client.get("/api/v1/categories").get_json()
    assert body["page"] == 1 and body["pages"] == 1 and body["total"] == len(body["items"]) >= 8
    returns = next(c for c in body["items"] if c["slug"] == "returns-and-refunds")
    assert returns["name"] == "Returns and refunds"
    assert returns["url"] == "http://localhost/categories/returns-and-refunds"
    for category in body["items"][:3]:
        listed = client.get(f"/api/v1/articles?category={category['slug']}").get_json()
        assert category["article_count"] == listed["total"] > 0


def test_category_pages(client: FlaskClient) -> None:
    """The category list pages like every other list."""
    first = client.get("/api/v1/categories?per_page=3").get_json()
    second = client.get("/api/v1/categories?per_page=3&page=2").get_json()
    assert len(first["items"]) == 3 and first["pages"] == -(-first["total"] // 3)
    assert not {c["slug"] for c in first["items"]} & {c["slug"] for c in second["items"]}


def test_category_with_its_articles(client: FlaskClient) -> None:
    """A category reads with all its published articles."""
    body = client.get("/api/v1/categories/returns-and-refunds").get_json()
    assert body["slug"] == "returns-and-refunds"
    assert len(body["articles"]) == body["article_count"]
    assert "how-to-return-an-item" in {a["slug"] for a in body["articles"]}
    assert {a["category"]["slug"] for a in body["articles"]} == {"returns-and-refunds"}


def test_articles_page_through_the_same_order(client: FlaskClient) -> None:
    """Pages of 5 follow the title order of one page of 10; the envelope counts pages."""
    ten = client.get("/api/v1/articles?per_page=10").get_json()
    first = client.get("/api/v1/articles?per_page=5").get_json()
    second = client.get("/api/v1/articles?per_page=5&page=2").get_json()
    assert [a["slug"] for a in ten["items"]] == [
        a["slug"] for a in first["items"] + second["items"]
    ]
    assert first["total"] == ten["total"] and first["pages"] == -(-first["total"] // 5)
    titles = [a["title"] for a in ten["items"]]
    assert titles == sorted(titles)
    beyond = client.get(f"/api/v1/articles?page={first['pages'] + 1}&per_page=5").get_json()
    assert beyond["items"] == [] and beyond["total"] == first["total"]


def test_article_in_full(client: FlaskClient) -> None:
    """An article reads as Markdown, sanitised HTML and headings, with its category and URL."""
    body = client.get("/api/v1/articles/how-to-return-an-item").get_json()
    assert body["title"] == "How to return an item"
    assert body["source"] == "official"
    assert body["category"] == {"slug": "returns-and-refunds", "name": "Returns and refunds"}
    assert "boots" in body["tags"]
    assert body["url"] == "http://localhost/articles/how-to-return-an-item"
    assert body["body"].strip() and "<p>" in body["html"] and "<script" not in body["html"]
    assert body["updated_at"].endswith("Z")
    for heading in body["headings"]:
        assert f'id="{heading["anchor"]}"' in body["html"]


def test_unpublished_article_is_not_found(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Drafts are invisible to the API, in reads and lists alike."""
    slug = f"draft-{uuid.uuid4().hex[:8]}"
    with demo_kb.sessions() as session:
        save_article(session=session, slug=slug, title=f"Draft {slug}", body="Not yet.")
        session.commit()
    assert client.get(f"/api/v1/articles/{slug}").status_code == 404
    listed = client.get("/api/v1/articles?per_page=100").get_json()["items"]
    assert slug not in {a["slug"] for a in listed}


def test_article_xss_is_sanitised(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Raw HTML in an article's Markdown comes out sanitised in the API's html field."""
    slug = f"xss-{uuid.uuid4().hex[:8]}"
    with demo_kb.sessions() as session:
        save_article(
            session=session,
            slug=slug,
            title=f"XSS {slug}",
            body='Hello <script>alert(1)</script><img src=x onerror="alert(2)">',
            status="published",
        )
        session.commit()
    body = client.get(f"/api/v1/articles/{slug}").get_json()
    assert "<script" not in body["html"] and "onerror" not in body["html"]
    assert "<script>" in body["body"]  # the Markdown itself is returned as written


@pytest.mark.parametrize(
    ("url", "field", "words"),
    [
        ("/api/v1/articles?page=0", "page", "at least 1"),
        ("/api/v1/articles?page=abc", "page", "whole number"),
        ("/api/v1/articles?per_page=101", "per_page", "at most 100"),
        ("/api/v1/articles?category=no-such-category", "category", "no-such-category"),
        ("/api/v1/articles?sort=title", "sort", "not a field"),
        ("/api/v1/categories?page=-1", "page", "at least 1"),
        ("/api/v1/categories?category=x", "category", "not a field"),
    ],
)
def test_bad_list_parameters(client: FlaskClient, url: str, field: str, words: str) -> None:
    """Bad parameters answer 400 naming exactly the field and what is wrong with it."""
    response = client.get(url)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["status"] == 400
    assert set(error["fields"]) == {field}
    assert words in error["fields"][field] and words in error["message"]
