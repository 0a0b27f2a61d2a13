"""The search results page, instant search, result clicks and the pieces they are built from."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from kb.knowledge_base import KnowledgeBase
from kb.models import Question, SearchEvent
from kb.results import Decision, SearchResult
from web.help.searching import Pagination, highlight, parse_search


def _page(client: FlaskClient, url: str, status: int = 200) -> str:
    """GET a page, check its status, return its HTML."""
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def _event(demo_kb: KnowledgeBase, event_id: int) -> SearchEvent:
    """A stored search event."""
    with demo_kb.sessions() as session:
        event = session.get(SearchEvent, event_id)
        assert event is not None
        return event


def _hit_links(html: str) -> list[str]:
    """The result links on a results page, in order."""
    results = html.split('id="search-results"')[1].split("</ol>", maxsplit=1)[0]
    return [
        link.replace("&amp;", "&")
        for link in re.findall(r'class="hit-title"><a href="([^"]+)"', results)
    ]


# the results page


def test_results_page_highlights_and_links_through_the_click_recorder(
    client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """Hits show escaped snippets with <mark>, badges, and links that record the click."""
    html = _page(client, "/search?q=how+do+I+return+boots")
    links = _hit_links(html)
    assert 1 <= len(links) <= 10
    assert links[0].startswith("/search/click/") and "ref=how-to-return-an-item" in links[0]
    assert "<mark>" in html and 'class="badge badge-official">Official</span>' in html
    event_id = int(re.search(r"/search/click/(\d+)", links[0]).group(1))
    event = _event(demo_kb, event_id)
    assert (event.channel, event.query) == ("page", "how do I return boots")
    assert event.result_count > 0 and not event.zero_result


def test_community_hits_carry_the_community_badge(client: FlaskClient) -> None:
    """With the community filter every hit is a community answer, badged as such."""
    html = _page(client, "/search?q=boots&source=community")
    hits = html.count('class="search-hit search-hit-community"')
    assert hits >= 1
    assert html.count('class="search-hit search-hit-official"') == 0
    assert html.count('class="badge badge-community">Community answer</span>') == hits
    assert 'id="filter-source-community" checked' in html


def test_category_filter_restricts_hits(client: FlaskClient) -> None:
    """The topic filter keeps only hits from that category, and stays selected."""
    html = _page(client, "/search?q=boots&category=warranty-and-repairs")
    categories = re.findall(r'class="hit-category">([^<]+)<', html)
    assert categories and set(categories) == {"Warranty and repairs"}
    assert '<option value="warranty-and-repairs" selected>' in html


def test_pagination_pages_through_the_ranking(client: FlaskClient) -> None:
    """Ten hits a page; page 2 continues where page 1 stopped; links keep the query."""
    first = _page(client, "/search?q=return")
    second = _page(client, "/search?q=return&page=2")
    assert len(_hit_links(first)) == 10
    refs = [re.search(r"ref=([^&]+)", link).group(1) for link in _hit_links(first)]
    later = [re.search(r"ref=([^&]+)", link).group(1) for link in _hit_links(second)]
    assert later and not set(refs) & set(later)
    assert "11–" in second and 'rel="prev" href="/search?q=return"' in second
    assert 'href="/search?q=return&amp;page=2"' in first and 'aria-current="page"' in first


def test_a_page_beyond_the_results_is_a_friendly_empty_page(client: FlaskClient) -> None:
    """Asking for page 500 explains there are fewer pages and links back to the first."""
    html = _page(client, "/search?q=return&page=500")
    assert 'id="beyond-results"' in html and "no page 500" in html
    assert 'href="/search?q=return"' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=return&page=abc", "page number"),
        ("q=return&page=0", "page number"),
        ("q=return&page=-1", "page number"),
        ("q=return&page=99999", "page number"),
        ("q=return&source=blog", "source filter"),
        ("q=return&category=no-such-topic", "no category"),
        ("q=" + "a" * 301, "300 characters"),
    ],
)
def test_bad_search_input_is_a_400_page(client: FlaskClient, query: str, message: str) -> None:
    """Bad parameters get the HTML 400 page saying exactly what is wrong."""
    html = _page(client, f"/search?{query}", 400)
    assert message in html and "<h1" in html


def test_empty_query_shows_a_prompt(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """No query is not an error: the page invites a search and records nothing."""
    with demo_kb.sessions() as session:
        before = session.query(SearchEvent).count()
    for url in ("/search", "/search?q=", "/search?q=%20%20"):
        html = _page(client, url)
        assert 'id="search-prompt"' in html and 'id="search-results"' not in html
    with demo_kb.sessions() as session:
        assert session.query(SearchEvent).count() == before


def test_misspelling_offers_did_you_mean(client: FlaskClient) -> None:
    """A corrected query is offered as a link."""
    html = _page(client, "/search?q=retrun+boots")
    match = re.search(
        r'id="did-you-mean">Did you mean <a href="([^"]+)"><strong>([^<]+)</strong>', html
    )
    assert match and match.group(2) == "return boots"
    assert match.group(1) == "/search?q=return+boots"


def test_zero_results_offer_the_community_and_a_chat(
    client: FlaskClient, demo_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing found: ask the community (title prefilled) or chat (query carried), recorded."""
    monkeypatch.setattr(demo_kb, "search", lambda query, **_: SearchResult(query=query))
    html = _page(client, "/search?q=warp+drive+repair")
    assert 'id="no-answer"' in html and "No results for" in html
    assert 'href="/community/ask?title=warp+drive+repair"' in html
    chat_form = html.split('id="no-answer"')[1]
    assert 'action="/chat/start"' in chat_form and 'name="origin" value="search"' in chat_form
    assert 'name="q" value="warp drive repair"' in chat_form and 'name="csrf_token"' in chat_form
    with demo_kb.sessions() as session:
        event = session.scalars(select(SearchEvent).order_by(SearchEvent.id.desc())).first()
        assert event is not None and event.zero_result and event.query == "warp drive repair"


def test_low_confidence_results_also_offer_help(
    client: FlaskClient, demo_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hits shown with a hand-over decision still get the ask-or-chat panel, after the hits."""
    real = demo_kb.search

    def unsure(query: str, **kwargs: object) -> SearchResult:
        return replace(real(query, **kwargs), decision=Decision.HANDOVER)  # type: ignore[arg-type]

    monkeypatch.setattr(demo_kb, "search", unsure)
    html = _page(client, "/search?q=how+do+I+return+boots")
    assert 'id="search-results"' in html and 'id="no-answer"' in html
    assert "Not quite what you need?" in html
    assert html.index('id="search-results"') < html.index('id="no-answer"')
    assert 'id="low-confidence"' in html and 'href="#no-answer"' in html


def test_query_text_is_escaped_everywhere(client: FlaskClient) -> None:
    """A query holding markup is shown as text."""
    html = _page(client, "/search?q=%3Cscript%3Ealert(1)%3C/script%3E+boots")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


# instant search


def test_instant_search_json_shape(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Instant results: the top six hits with safe snippet HTML, links, and timing."""
    response = client.get("/search/instant?q=how+do+I+return+boots")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= {
        "query",
        "corrected_query",
        "decision",
        "confidence",
        "hits",
        "search_url",
        "event_id",
    }
    assert body["query"] == "how do I return boots"
    assert body["decision"] in {"answer", "suggest", "handover"}
    assert 1 <= len(body["hits"]) <= 6
    first = body["hits"][0]
    assert set(first) == {"title", "url", "source", "category", "snippet_html", "badge"}
    assert first["title"] == "How to return an item" and first["source"] == "official"
    assert first["category"] == "Returns and refunds" and first["badge"] == "Official"
    assert first["url"] == (
        f"/search/click/{body['event_id']}?source=official&ref=how-to-return-an-item"
    )
    assert "<mark>" in "".join(h["snippet_html"] for h in body["hits"])
    assert body["search_url"] == "/search?q=how+do+I+return+boots"
    assert re.fullmatch(r"app;dur=\d+(\.\d+)?", response.headers["Server-Timing"])
    assert _event(demo_kb, body["event_id"]).channel == "instant"


def test_instant_search_marks_community_hits(client: FlaskClient) -> None:
    """Community answers in instant results carry their badge."""
    hits = client.get("/search/instant?q=Ridgeline+sleeping+bag+Adirondacks").get_json()["hits"]
    community = [h for h in hits if h["source"] == "community"]
    assert community and all(h["badge"] == "Community answer" for h in community)


@pytest.mark.parametrize(
    ("query", "message"),
    [("", "Type something"), ("%20", "Type something"), ("a" * 301, "300 characters")],
)
def test_instant_search_rejects_bad_input_as_json(
    client: FlaskClient, query: str, message: str
) -> None:
    """Bad input is a JSON 400 with a message."""
    response = client.get(f"/search/instant?q={query}")
    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]


# clicks


def test_click_records_the_first_result_and_redirects(
    client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """A click goes to the article; the event remembers the first click only."""
    event_id = client.get("/search/instant?q=return+boots").get_json()["event_id"]
    response = client.get(f"/search/click/{event_id}?source=official&ref=how-to-return-an-item")
    assert response.status_code == 302
    assert response.headers["Location"] == "/articles/how-to-return-an-item"
    event = _event(demo_kb, event_id)
    assert (event.clicked_source, event.clicked_ref) == ("official", "how-to-return-an-item")
    assert event.clicked_at is not None
    client.get(f"/search/click/{event_id}?source=official&ref=return-policy")
    assert _event(demo_kb, event_id).clicked_ref == "how-to-return-an-item"


def test_click_on_a_community_hit_goes_to_the_question(
    client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """Community results lead to the question page."""
    with demo_kb.sessions() as session:
        question_id = session.scalars(select(Question.id).order_by(Question.id)).first()
    event_id = client.get("/search/instant?q=boots").get_json()["event_id"]
    response = client.get(f"/search/click/{event_id}?source=community&ref={question_id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/community/questions/{question_id}"


def test_click_with_an_unknown_event_still_goes_to_existing_content(client: FlaskClient) -> None:
    """An old or made-up event id does not break the link, if the content exists."""
    response = client.get("/search/click/999999999?source=official&ref=return-policy")
    assert response.status_code == 302 and response.headers["Location"] == "/articles/return-policy"
    missing = client.get("/search/click/999999999?source=official&ref=no-such-article")
    assert missing.status_code == 404
    assert client.get("/search/click/1?source=community&ref=99999999").status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        "source=official&ref=//evil.example",
        "source=official&ref=https://evil.example/x",
        "source=official&ref=..%2F..%2Fadmin",
        "source=official&ref=",
        "source=javascript&ref=alert(1)",
        "source=community&ref=//evil.example",
        "source=community&ref=1e9",
        "ref=return-policy",
    ],
)
def test_click_is_never_an_open_redirect(client: FlaskClient, params: str) -> None:
    """Anything but a known source and a well-formed ref is refused, never redirected."""
    response = client.get(f"/search/click/1?{params}")
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_signed_out_searches_carry_the_visitor(app: Flask, demo_kb: KnowledgeBase) -> None:
    """Events record the visitor id that the cookie keeps for later searches."""
    client = app.test_client()
    first = client.get("/search/instant?q=gift+card").get_json()["event_id"]
    second = client.get("/search/instant?q=gift+card+balance").get_json()["event_id"]
    visitor = _event(demo_kb, first).visitor_id
    assert visitor.startswith("anon:") and _event(demo_kb, second).visitor_id == visitor


# the pieces


def test_highlight_escapes_everything_but_the_marks() -> None:
    """Snippet text is escaped; only the highlight spans become <mark>; bad spans are ignored."""
    snippet = "<b>Boots</b> & <script>x</script> boots"
    last = snippet.rindex("boots")
    html = highlight(snippet, [(3, 8), (last, last + 5), (4, 6), (last + 3, 99), (9, 9)])
    assert isinstance(html, Markup)
    assert str(html) == (
        "&lt;b&gt;<mark>Boots</mark>&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt; <mark>boots</mark>"
    )
    assert str(highlight("plain", [])) == "plain"


@pytest.mark.parametrize(
    ("page", "pages", "expected"),
    [
        (1, 1, [1]),
        (1, 4, [1, 2, 3, 4]),
        (1, 10, [1, 2, 3, None, 10]),
        (5, 10, [1, 2, 3, 4, 5, 6, 7, None, 10]),
        (10, 10, [1, None, 8, 9, 10]),
        (12, 10, [1, None, 10]),
    ],
)
def test_pagination_numbers(page: int, pages: int, expected: list[int | None]) -> None:
    """First, last and two either side of the current page, gaps marked with None."""
    assert Pagination(page=page, pages=pages, total=pages * 10).numbers == expected


def test_parse_search(app: Flask) -> None:
    """Parameters are normalised; bad ones raise BadRequest with a reason."""
    with app.test_request_context():
        wanted = parse_search(
            MultiDict(
                {
                    "q": "  return   boots ",
                    "category": "returns",
                    "source": "community",
                    "page": "3",
                }
            ),
            categories={"returns"},
        )
        assert (wanted.query, wanted.category, wanted.source, wanted.page) == (
            "return boots",
            "returns",
            "community",
            3,
        )
        assert wanted.page_url(1) == "/search?q=return+boots&category=returns&source=community"
        with pytest.raises(BadRequest, match="page number"):
            parse_search(MultiDict({"q": "x", "page": "1.5"}), categories=set())
