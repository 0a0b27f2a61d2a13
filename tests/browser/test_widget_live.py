"""The chat widget on the help centre, through the real Rasa server, action server and web app."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_widget import Chat
from web.stack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.rasa, pytest.mark.model]


def test_a_customer_chats_with_the_bot_and_reaches_a_person(page: Page, stack: Stack) -> None:
    """Ask, get an answer card, ask for a person, reload: the conversation is all still there."""
    page.goto(stack.web_url + "/")
    chat = Chat(page)
    chat.launcher.click()
    expect(chat.input).to_be_focused()
    chat.say("How do I return hiking boots I wore once indoors?")
    expect(chat.messages("bot").first).to_be_visible(timeout=30_000)
    card = chat.panel.locator("a", has_text="eturn").first
    expect(card).to_be_visible()
    expect(chat.panel.get_by_role("button", name="Yes, thanks")).to_be_visible()
    screenshot(page, "widget-answer")
    chat.human.click()
    expect(chat.state).to_contain_text("Waiting for a person", timeout=30_000)
    expect(chat.messages("system").first).to_be_visible()
    screenshot(page, "widget-handoff")
    shown = chat.ids()
    page.reload()
    chat = Chat(page)
    chat.launcher.click()
    expect(chat.messages("customer").first).to_contain_text("hiking boots")
    assert chat.ids() == shown
