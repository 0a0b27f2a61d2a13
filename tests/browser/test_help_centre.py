"""The help centre in a real browser: instant search, full results, article feedback, chat context."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.model]


def test_instant_search_shows_results_while_typing(page: Page, base_url: str) -> None:
    """Typing a natural question (with a typo) shows matching articles before pressing Enter."""
    page.goto(base_url + "/")
    box = page.locator("#search-hero")
    box.press_sequentially("how do i retrun my boots", delay=30)
    options = page.locator("#search-hero-results [role=option]")
    expect(options.first).to_be_visible()
    expect(options.first).to_contain_text("return", ignore_case=True)
    expect(box).to_have_attribute("aria-expanded", "true")
    screenshot(page, "help-instant-search")
    # Keyboard: arrow down highlights the first option, Enter opens it.
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/articles/"))
    expect(page.locator("h1")).to_contain_text("return", ignore_case=True)


def test_full_results_page_with_filters_and_did_you_mean(page: Page, base_url: str) -> None:
    """The shareable results page corrects typos, highlights snippets, filters and paginates."""
    page.goto(base_url + "/search?q=waterprof+jaket")
    expect(page.locator("#did-you-mean")).to_contain_text("waterproof jacket")
    hits = page.locator("#search-results .search-hit")
    expect(hits.first).to_be_visible()
    expect(hits.first.locator("mark").first).to_be_visible()
    screenshot(page, "help-search-results", full_page=True)
    page.locator("#filter-source-community").check()
    page.locator("#apply-filters").click()
    page.wait_for_url(re.compile(r"source=community"))
    community_hits = page.locator("#search-results .search-hit")
    expect(community_hits.first).to_be_visible()
    for index in range(community_hits.count()):
        expect(community_hits.nth(index).locator(".badge-community")).to_be_visible()


def test_an_unanswerable_search_offers_the_community_and_a_chat(page: Page, base_url: str) -> None:
    """Nothing found: ask the community (query carried along) or chat (context stored)."""
    page.goto(base_url + "/search?q=quantum+flux+capacitor+warp+drive+calibration")
    expect(page.locator("#no-answer")).to_be_visible()
    ask = page.locator("#ask-community")
    expect(ask).to_have_attribute("href", re.compile(r"title=quantum"))
    page.locator("#chat-from-search").click()
    page.wait_for_url(re.compile(r"/chat\?start="))
    expect(page.locator("#chat-context-query")).to_contain_text("quantum flux capacitor")


def test_article_feedback_no_with_a_comment_starts_a_chat_with_context(
    page: Page, base_url: str
) -> None:
    """'No' + a comment is stored once per visitor, and the chat opens with the article and comment."""
    page.goto(base_url + "/articles/how-to-return-an-item")
    page.locator("#feedback-no").click()
    expect(page.locator("#feedback-thanks")).to_have_attribute("data-feedback-state", "no")
    page.locator("#feedback-comment").fill("I bought these boots in a shop, not online.")
    page.locator("#feedback-send").click()
    expect(page.locator("#feedback-comment")).to_have_value(
        "I bought these boots in a shop, not online."
    )
    screenshot(page, "help-article-feedback")
    page.locator("#chat-with-us").click()
    page.wait_for_url(re.compile(r"/chat\?start="))
    expect(page.locator("#chat-context-article")).to_contain_text("How to return an item")
    expect(page.locator("#chat-context-comment")).to_contain_text("bought these boots in a shop")
    # Reloading the article shows the visitor's vote: one vote per visitor, not a fresh form.
    page.goto(base_url + "/articles/how-to-return-an-item")
    expect(page.locator("#feedback-thanks")).to_have_attribute("data-feedback-state", "no")


def test_article_page_on_a_phone(page: Page, base_url: str) -> None:
    """At phone width the article is readable and its feedback reachable by keyboard."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base_url + "/articles/how-to-return-an-item")
    expect(page.locator("#article-body")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    page.locator("#feedback-yes").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#feedback-thanks")).to_have_attribute("data-feedback-state", "yes")
    screenshot(page, "help-article-phone", full_page=True)
