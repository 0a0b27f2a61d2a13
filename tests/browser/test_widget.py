"""The chat widget in a real browser, on the real help centre and a host page, against a stubbed chat API.

The chat API is answered inside the browser by ``ChatStub`` (see chat_stub.py), so these tests pin the
widget's behaviour on its own; the full-stack test through Rasa lives with the end-to-end tests.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.chat_stub import ChatStub
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.model]


@pytest.fixture
def stub(page: Page, base_url: str) -> ChatStub:
    """The chat API, stubbed for this page."""
    return ChatStub(origin=base_url).install(page)


class Chat:
    """The widget on a page, found through its shadow root."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.host = page.locator("#tier0-chat")
        self.launcher = self.host.get_by_role("button", name="Chat with us")
        self.panel = self.host.get_by_role("dialog", name="Chat with us")
        self.input = self.panel.get_by_role("textbox", name="Your message")
        self.human = self.panel.get_by_role("button", name="Talk to a person")
        self.log = self.panel.get_by_role("log")
        self.state = self.panel.locator(".t0-state")
        self.alert = self.panel.locator(".t0-alert")

    def messages(self, sender: str) -> Locator:
        """Messages from ``customer``, ``bot``, ``agent`` or ``system``."""
        return self.log.locator(f".t0-from-{sender} .t0-text")

    def say(self, text: str) -> None:
        """Type a message and press Enter."""
        self.input.fill(text)
        self.input.press("Enter")

    def ids(self) -> list[str]:
        """The ids of the messages shown, in order."""
        return [
            str(value)
            for value in self.log.locator("[data-id]").evaluate_all(
                "nodes => nodes.map(node => node.dataset.id)"
            )
        ]


def _api_calls(stub: ChatStub) -> list[tuple[str, str]]:
    """Method and path of every chat API call so far."""
    return [(method, re.sub(r"^https?://[^/]+", "", url)) for method, url, _ in stub.calls]


def test_launcher_opens_a_dialog_with_focus_and_escape_closes_it(
    page: Page, base_url: str, stub: ChatStub
) -> None:
    """Keyboard only: Enter on the launcher opens, focus moves in, Tab works, Escape returns focus."""
    page.goto(base_url + "/widget/demo")
    chat = Chat(page)
    expect(chat.launcher).to_be_visible()
    expect(chat.launcher).to_have_attribute("aria-expanded", "false")
    expect(chat.panel).to_be_hidden()
    chat.launcher.focus()
    page.keyboard.press("Enter")
    expect(chat.panel).to_be_visible()
    expect(chat.launcher).to_have_attribute("aria-expanded", "true")
    expect(chat.input).to_be_focused()
    expect(chat.state).to_have_text("Our assistant answers right away")
    expect(chat.human).to_be_visible()
    page.keyboard.press("Tab")
    expect(chat.panel.get_by_role("button", name="Send")).to_be_focused()
    screenshot(page, "widget-open-desktop")
    page.keyboard.press("Escape")
    expect(chat.panel).to_be_hidden()
    expect(chat.launcher).to_be_focused()
    # The close button works too, and opening alone starts no conversation (lazy).
    chat.launcher.click()
    chat.panel.get_by_role("button", name="Close chat").click()
    expect(chat.panel).to_be_hidden()
    expect(chat.launcher).to_be_focused()
    assert stub.calls == []


def test_question_answer_article_card_and_quick_replies(
    page: Page, base_url: str, stub: ChatStub
) -> None:
    """The conversation starts on the first message; typing shows; articles open in a new tab."""
    page.goto(base_url + "/widget/demo")
    chat = Chat(page)
    chat.launcher.click()
    stub.hold = True
    chat.say("How do I return my boots?")
    expect(chat.messages("customer")).to_have_text(["How do I return my boots?"])
    expect(chat.input).to_have_value("")
    expect(chat.panel.locator(".t0-typing")).to_be_visible()
    expect(chat.panel.locator(".t0-typing")).to_contain_text("typing")
    stub.release()
    expect(chat.panel.locator(".t0-typing")).to_be_hidden()
    expect(chat.messages("bot")).to_have_text(
        [
            "You can return unworn items within 30 days for a full refund.",
            "Did that answer your question?",
        ]
    )
    card = chat.log.get_by_role("link", name=re.compile("How to return an item"))
    expect(card).to_have_attribute("href", base_url + "/articles/how-to-return-an-item")
    expect(card).to_have_attribute("target", "_blank")
    expect(card).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    screenshot(page, "widget-answer")
    assert _api_calls(stub)[:2] == [
        ("POST", "/api/v1/conversations"),
        ("POST", "/api/v1/conversations/1/messages"),
    ]
    assert stub.calls[0][2] == {}  # anonymous, no chat start
    chat.log.get_by_role("button", name="Yes, thanks").click()
    expect(chat.messages("bot").last).to_have_text("Great — glad that helped!")
    assert stub.posted()[-1] == {"payload": "/affirm"}
    # The customer sees the button's title, and used quick replies go away.
    expect(chat.messages("customer")).to_have_text(["How do I return my boots?", "Yes, thanks"])
    expect(chat.log.get_by_role("button", name="Yes, thanks")).to_be_hidden()
    assert len(stub.conversations) == 1


def test_talk_to_a_person_then_the_agent_reply_arrives_by_polling(
    page: Page, base_url: str, stub: ChatStub
) -> None:
    """Queued is shown honestly; agent replies appear without duplicates, with a badge when closed."""
    page.goto(base_url + "/widget/demo")
    chat = Chat(page)
    chat.launcher.click()
    chat.human.click()
    expect(chat.state).to_have_text("Waiting for a person — we'll reply here")
    expect(chat.messages("customer")).to_have_text(["Talk to a person"])
    expect(chat.messages("system")).to_have_text(["Our team replies within 4 business hours."])
    assert stub.posted() == [{"payload": "/request_human"}]
    stub.agent_says("Hi, I'm Sam. Let me look at your order.")
    expect(chat.messages("agent")).to_have_text(["Hi, I'm Sam. Let me look at your order."])
    expect(chat.state).to_have_text("You're chatting with a person from our team")
    expect(chat.log.locator(".t0-from-agent .t0-sender")).to_have_text(["Support team:"])
    expect(chat.log.locator(".t0-from-agent .t0-sender").first).to_be_visible()
    gets = [path for method, path in _api_calls(stub) if method == "GET"]
    assert gets and all("wait=20" in path and "after=" in path for path in gets)  # long polls
    assert any(path.endswith(f"after={stub.only.messages[-2]['id']}") for path in gets)
    # Closed, it keeps polling while a person owns the chat, and counts what is new.
    page.keyboard.press("Escape")
    stub.agent_says("Found it — a refund is on its way.")
    expect(chat.launcher).to_contain_text("1 new message")
    chat.launcher.click()
    expect(chat.messages("agent")).to_have_count(2)
    expect(chat.launcher).not_to_contain_text("new message")
    assert chat.ids() == [str(message["id"]) for message in stub.only.messages]
    screenshot(page, "widget-agent-reply")


def test_the_conversation_survives_a_reload(page: Page, base_url: str, stub: ChatStub) -> None:
    """Reloading restores the messages (GET after=0) and carries on in the same conversation."""
    page.goto(base_url + "/widget/demo")
    chat = Chat(page)
    chat.launcher.click()
    chat.say("Where is my order?")
    expect(chat.messages("bot")).to_have_text(["You said: Where is my order?"])
    page.reload()
    chat = Chat(page)
    expect(chat.launcher).to_be_visible()
    chat.launcher.click()
    expect(chat.messages("customer")).to_have_text(["Where is my order?"])
    expect(chat.messages("bot")).to_have_text(["You said: Where is my order?"])
    assert ("GET", "/api/v1/conversations/1/messages?after=0") in _api_calls(stub)
    chat.say("Thanks")
    expect(chat.messages("bot")).to_have_count(2)
    assert len(stub.conversations) == 1
    assert chat.ids() == [str(message["id"]) for message in stub.only.messages]


def test_send_failures_keep_the_text_and_explain(page: Page, base_url: str, stub: ChatStub) -> None:
    """Network down: 'Couldn't send — retry' with the text kept; 429: wait; too long: a friendly limit."""
    page.goto(base_url + "/widget/demo")
    chat = Chat(page)
    chat.launcher.click()
    chat.say("Hello there")
    expect(chat.messages("bot")).to_have_count(1)

    stub.fail_next = "network"
    chat.say("Is the Tarn jacket waterproof?")
    expect(chat.alert).to_have_text("Couldn't send — retry")
    expect(chat.input).to_have_value("Is the Tarn jacket waterproof?")
    expect(chat.messages("customer")).to_have_count(1)
    chat.alert.get_by_role("button", name="retry").click()
    expect(chat.messages("bot").last).to_have_text("You said: Is the Tarn jacket waterproof?")
    expect(chat.alert).to_be_hidden()
    expect(chat.input).to_have_value("")

    stub.fail_next = 429
    chat.say("And the boots?")
    expect(chat.alert).to_contain_text("Too many messages, wait a moment")
    expect(chat.input).to_have_value("And the boots?")

    sent = len(stub.posted())
    chat.input.fill("x" * 2001)
    expect(chat.panel.locator(".t0-hint")).to_contain_text("under 2,000 characters")
    chat.input.press("Enter")
    expect(chat.input).to_have_attribute("aria-invalid", "true")
    assert len(stub.posted()) == sent
    chat.input.fill("x" * 2000)
    expect(chat.input).to_have_attribute("aria-invalid", "false")
    # The failed requests are expected console noise here.
    page.problems[:] = [  # type: ignore[attr-defined]
        problem
        for problem in page.problems  # type: ignore[attr-defined]
        if "ERR_INTERNET_DISCONNECTED" not in problem and "Failed to fetch" not in problem
    ]


def test_markup_in_messages_stays_text(page: Page, base_url: str, stub: ChatStub) -> None:
    """Whatever anyone writes is shown as text: no element, no script, no handler."""
    page.goto(base_url + "/widget/demo")
    chat = Chat(page)
    chat.launcher.click()
    attack = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script><b>bold</b>'
    chat.say(attack)
    expect(chat.messages("bot")).to_have_text([f"You said: {attack}"])
    expect(chat.messages("customer")).to_have_text([attack])
    assert chat.log.locator("img, script, b").count() == 0
    assert page.evaluate("window.pwned") is None


def test_chat_with_us_from_a_failed_search_opens_the_widget_with_its_context(
    page: Page, base_url: str, stub: ChatStub
) -> None:
    """The ChatStart page opens the widget by itself and starts the conversation with the token."""
    page.goto(base_url + "/search?q=quantum+flux+capacitor+warp+drive+calibration")
    page.locator("#chat-from-search").click()
    page.wait_for_url(re.compile(r"/chat\?start="))
    token = page.url.split("start=", 1)[1]
    chat = Chat(page)
    expect(chat.panel).to_be_visible()
    expect(chat.input).to_be_focused()
    expect(chat.panel.locator(".t0-intro")).to_contain_text("won't need to repeat yourself")
    assert stub.calls == []  # nothing is created until the customer writes
    page.keyboard.press("Escape")
    page.locator("#open-chat").click()  # "Closed it by mistake? Open the chat"
    expect(chat.input).to_be_focused()
    chat.say("The warp drive is making a noise")
    expect(chat.messages("bot")).to_have_count(1)
    assert stub.only.body == {"start": token}
    # Back on the same chat page later: the same conversation, not a new one.
    page.reload()
    chat = Chat(page)
    expect(chat.messages("customer")).to_have_text(["The warp drive is making a noise"])
    assert len(stub.conversations) == 1
    # The help home page's "Chat with us" opens the widget in place.
    page.goto(base_url + "/")
    page.get_by_role("link", name="Chat with us").click()
    expect(chat.panel).to_be_visible()
    assert page.url.rstrip("/") == base_url


def test_a_bad_chat_link_or_signature_still_gets_the_customer_a_chat(
    page: Page, base_url: str, stub: ChatStub
) -> None:
    """An expired start token or a rejected identity falls back to a plain chat, never an error."""
    page.goto(base_url + "/widget/demo")
    page.evaluate(
        "window.Tier0ChatConfig = {identity: {external_id: 'c-1'}, signature: 'forged'};"
        "window.Tier0Chat.open({start: 'expired'})"
    )
    chat = Chat(page)
    expect(chat.input).to_be_focused()
    chat.say("Hello?")
    expect(chat.messages("bot")).to_have_text(["You said: Hello?"])
    started = [body for method, url, body in stub.calls if url.endswith("/conversations")]
    assert started == [
        {"start": "expired", "identity": {"external_id": "c-1"}, "signature": "forged"},
        {"start": "expired"},
        {},
    ]
    assert stub.only.body == {}
    page.problems[:] = [p for p in page.problems if "status of 403" not in p]  # type: ignore[attr-defined]


@pytest.fixture
def shop(base_url: str) -> Iterator[str]:
    """A host site on another origin (its own server) with a strict CSP, embedding the widget."""
    csp = (
        f"default-src 'self'; script-src 'self' {base_url}; style-src 'self' {base_url}; "
        f"connect-src {base_url}; img-src 'self'"
    )
    pages = {
        "/": (
            "text/html",
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>Shop</title>"
            '<script src="/config.js"></script>'
            f'<script src="{base_url}/widget.js" defer></script></head>'
            "<body><h1>A shop on another domain</h1>"
            "<button id=help type=button data-tier0-chat-open>Help</button></body></html>",
        ),
        "/config.js": (
            "text/javascript",
            "window.Tier0ChatConfig = {identity: {external_id: 'c-42', email: 'ada@example.com',"
            " name: 'Ada', plan: 'plus'}, signature: 'good-signature'};",
        ),
    }

    class Shop(BaseHTTPRequestHandler):
        """Serves the shop's two files."""

        def do_GET(self) -> None:
            """One file, or 404."""
            kind, body = pages.get(self.path, ("text/plain", "not found"))
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Security-Policy", csp)
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_embedding_on_another_origin_with_a_signed_identity(
    page: Page, base_url: str, stub: ChatStub, shop: str
) -> None:
    """From another origin the widget finds the API beside its script and passes Tier0ChatConfig."""
    page.goto(shop + "/")
    chat = Chat(page)
    expect(chat.launcher).to_be_visible()
    page.locator("#help").click()
    expect(chat.panel).to_be_visible()
    chat.say("How do I return an item?")
    expect(chat.messages("bot")).to_have_count(2)
    assert stub.only.body == {
        "identity": {
            "external_id": "c-42",
            "email": "ada@example.com",
            "name": "Ada",
            "plan": "plus",
        },
        "signature": "good-signature",
    }
    assert all(url.startswith(base_url + "/api/v1/") for _, url, _ in stub.calls)
    # The stylesheet came from the widget's origin too: the panel is laid out, not unstyled.
    box = chat.panel.bounding_box()
    assert box is not None and 300 <= box["width"] <= 400
    page.evaluate("window.Tier0Chat.close()")
    expect(chat.panel).to_be_hidden()
    page.evaluate("window.Tier0Chat.open()")
    expect(chat.panel).to_be_visible()


def test_on_a_phone_the_panel_is_full_screen(page: Page, base_url: str, stub: ChatStub) -> None:
    """At 390 px the panel covers the screen, the launcher hides, and Tab stays inside."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base_url + "/articles/how-to-return-an-item")
    chat = Chat(page)
    launcher_box = chat.launcher.bounding_box()
    assert launcher_box is not None and launcher_box["x"] + launcher_box["width"] <= 390
    screenshot(page, "widget-phone-closed")
    chat.launcher.click()
    box = chat.panel.bounding_box()
    assert box == {"x": 0, "y": 0, "width": 390, "height": 844}
    expect(chat.launcher).to_be_hidden()
    expect(chat.panel).to_have_attribute("aria-modal", "true")
    chat.say("How do I return my boots?")
    expect(chat.messages("bot")).to_have_count(2)
    screenshot(page, "widget-phone-open")
    for _ in range(12):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "document.activeElement && document.activeElement.id === 'tier0-chat'"
        )
        assert focused, "focus left the full-screen chat"
    page.keyboard.press("Escape")
    expect(chat.launcher).to_be_focused()
