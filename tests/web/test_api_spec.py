"""The generated OpenAPI document, and the API's HTTP-level errors (404, 405) in JSON."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from web.api.schemas import MAX_TITLE

HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    """The OpenAPI document as served."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    return body


def test_document_is_valid_openapi(document: dict[str, Any]) -> None:
    """The document validates as OpenAPI 3.1 and names the API."""
    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Tier0 help centre API"


def test_every_api_route_is_documented(app: Flask, document: dict[str, Any]) -> None:
    """Each route under /api/v1 appears in the document with each of its methods."""
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in (rule.methods or set()) & HTTP_METHODS
    }
    assert len(routes) >= 10
    assert routes <= documented, routes - documented
    assert all(path.startswith("/api/v1/") for path, _ in documented)


def test_document_comes_from_the_code(document: dict[str, Any]) -> None:
    """Limits and parameters in the document are the ones the models enforce."""
    schemas = document["components"]["schemas"]
    new_question = schemas["NewQuestion"]
    assert new_question["properties"]["title"]["maxLength"] == MAX_TITLE
    assert new_question["additionalProperties"] is False
    assert set(new_question["required"]) == {"title"}
    ask = document["paths"]["/api/v1/community/questions"]["post"]
    assert ask["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/NewQuestion"
    )
    assert {"201", "400", "401", "429"} <= set(ask["responses"])
    assert ask["security"] == [{"session": [], "csrf": []}]
    listing = document["paths"]["/api/v1/articles"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"page", "per_page", "category"}
    article = document["paths"]["/api/v1/articles/{slug}"]["get"]
    assert {"200", "404"} <= set(article["responses"])
    assert "Markdown" in article["summary"]


def test_documented_by_its_stable_endpoint_name(app: Flask) -> None:
    """The site's footer links to the document through the endpoint 'api.openapi_document'."""
    with app.test_request_context():
        assert url_for("api.openapi_document") == "/api/v1/openapi.json"


def test_unknown_ids_and_slugs_are_json_404(client: FlaskClient) -> None:
    """Unknown resources answer 404 with the error envelope."""
    for url in (
        "/api/v1/articles/no-such-article",
        "/api/v1/categories/no-such-category",
        "/api/v1/community/questions/999999",
        "/api/v1/community/questions/not-a-number",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.get_json()["error"]["status"] == 404, url


def test_wrong_method_is_json_405(client: FlaskClient) -> None:
    """A method a route does not take answers 405 in JSON."""
    for method, url in (
        ("put", "/api/v1/articles"),
        ("delete", "/api/v1/community/questions/1"),
        ("post", "/api/v1/search"),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 405, url
        assert response.get_json()["error"]["status"] == 405, url
        assert method.upper() not in response.headers["Allow"], url
