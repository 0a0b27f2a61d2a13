"""The chat widget's files, the demo host page, and the widget on every help-centre page."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from web.security import CONTENT_SECURITY_POLICY

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
WIDGET_TAG = '<script src="/widget.js" defer></script>'


@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        ("/widget.js", "text/javascript; charset=utf-8"),
        ("/widget.css", "text/css; charset=utf-8"),
    ],
)
def test_widget_files_are_served_with_type_etag_and_a_short_cache(
    client: FlaskClient, url: str, content_type: str
) -> None:
    """Right content type, public for five minutes, and a 304 for a browser that has them."""
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.cache_control.public and response.cache_control.max_age == 300
    etag = response.headers["ETag"]
    assert etag and "Set-Cookie" not in response.headers
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_the_script_never_writes_markup_or_inline_styles(client: FlaskClient) -> None:
    """Messages go into the page with textContent only, and nothing needs 'unsafe-inline' or eval."""
    source = client.get("/widget.js").get_data(as_text=True)
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert forbidden not in source, forbidden
    assert 'setAttribute("style"' not in source and "new Function" not in source
    assert "textContent" in source and "window.Tier0Chat" in source
    assert '"/request_human"' in source and "MAX_CHARS = 2000" in source


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/articles/how-to-return-an-item",
        "/search?q=boots",
        "/community/",
        "/service-levels",
        "/chat",
        "/account/sign-in",
        "/no-such-page",
    ],
)
def test_every_help_centre_page_carries_the_widget(client: FlaskClient, url: str) -> None:
    """One script tag in the shared layout: the chat is on every page, error pages included."""
    html = client.get(url).get_data(as_text=True)
    assert html.count(WIDGET_TAG) == 1, url


def test_chat_page_opens_the_widget_with_the_chat_start(client: FlaskClient) -> None:
    """The page a "Chat with us" flow lands on hands the widget its start token."""
    page = client.get("/search?q=quantum+flux+capacitor+warp+drive+calibration").get_data(
        as_text=True
    )
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/chat/start", data={"origin": "search", "q": "warp drive", "csrf_token": token.group(1)}
    )
    assert response.status_code == 302
    start = response.headers["Location"].split("start=", 1)[1]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'data-tier0-chat-start="{start}"' in html
    assert "data-tier0-chat-open" in html


def test_chat_page_without_a_start_still_opens_the_widget(client: FlaskClient) -> None:
    """Without context the chat page asks the widget to open with nothing attached."""
    html = client.get("/chat").get_data(as_text=True)
    assert 'data-tier0-chat-start=""' in html


def test_home_page_chat_link_opens_the_widget(client: FlaskClient) -> None:
    """With JavaScript the link opens the widget in place; without, it goes to the chat page."""
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'href="/chat" data-tier0-chat-open>Chat with us<', html)


def test_demo_page_embeds_the_widget_with_one_tag(client: FlaskClient) -> None:
    """A plain company page: the script tag, its own stylesheet, no inline script or style, CSP on."""
    response = client.get("/widget/demo")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = response.get_data(as_text=True)
    assert html.count(WIDGET_TAG) == 1
    assert '&lt;script src="http://localhost/widget.js" defer&gt;&lt;/script&gt;' in html
    assert "/static/widget/demo.css" in html and "site.css" not in html
    assert not INLINE_SCRIPT.search(html) and not INLINE_STYLE.search(html)


@pytest.mark.parametrize("url", ["/widget/demo", "/chat", "/"])
def test_pages_with_the_widget_have_no_inline_script_or_style(
    client: FlaskClient, url: str
) -> None:
    """The widget needs no 'unsafe-inline': the pages that carry it have none either."""
    html = client.get(url).get_data(as_text=True)
    assert not INLINE_SCRIPT.search(html), url
    assert not INLINE_STYLE.search(html), url
