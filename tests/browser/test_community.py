"""Community Q&A in a real browser: sign up, ask with suggestions, answer, vote, accept; XSS stays text."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.model]

PASSWORD = "correct horse battery"
XSS = [
    "<script>window.__xss = 1</script>",
    '<img src=x onerror="window.__xss = 1">',
    '"><svg onload="window.__xss = 1">',
    "[click me](javascript:window.__xss=1)",
    '<a href="javascript:window.__xss=1">link</a>',
    '<iframe src="javascript:window.__xss=1"></iframe>',
    "{{ 7 * 7 }}",
]


def _sign_up(page: Page, base_url: str, name: str) -> str:
    """Create an account through the form; returns its email."""
    email = f"{name.lower().replace(' ', '.')}.{uuid.uuid4().hex[:8]}@example.com"
    page.goto(base_url + "/account/sign-up")
    page.locator("#email").fill(email)
    page.locator("#display_name").fill(name)
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    page.locator("#sign-up-submit").click()
    expect(page.locator(".nav-user")).to_have_text(name)
    return email


def _second_browser(playwright: Playwright, tmp_path: Path) -> BrowserContext:
    """Another person's browser, with its own empty profile."""
    profile = tmp_path / "profile-2"
    profile.mkdir()
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )


def test_ask_answer_vote_accept(
    page: Page, base_url: str, playwright: Playwright, tmp_path: Path
) -> None:
    """The whole community loop between two customers."""
    _sign_up(page, base_url, "Ada Walker")
    page.goto(base_url + "/community/ask")
    title = page.locator("#title")
    title.press_sequentially("How do I return hiking boots I wore once?", delay=20)
    suggestions = page.locator("#similar-results .similar-item a")
    expect(suggestions.first).to_be_visible()
    screenshot(page, "community-ask-suggestions")
    page.locator("#ask-continue").click()
    expect(page.locator("#ask-form")).to_be_visible()
    unique = uuid.uuid4().hex[:6]
    page.locator("#title").fill(f"Can I swap trail runners {unique} bought on sale?")
    page.locator("#body").fill("They were marked final sale but the size is wrong.")
    page.locator("#post-question").click()
    expect(page.locator("#question-title")).to_contain_text(unique)
    question_url = page.url

    other = _second_browser(playwright, tmp_path)
    try:
        helper = other.new_page()
        _sign_up(helper, base_url, "Ben Ortiz")
        helper.goto(question_url)
        helper.locator("#answer-body").fill(
            f"Final sale items {unique} can't be returned, but support swapped my size once."
        )
        helper.locator("#answer-submit").click()
        answer = helper.locator("article.answer").last
        expect(answer).to_contain_text(unique)
        expect(answer.locator(".badge-community")).to_be_visible()
    finally:
        other.close()

    page.goto(question_url)
    answer = page.locator("article.answer").last
    answer_id = (answer.get_attribute("id") or "").removeprefix("answer-")
    page.locator(f"#vote-{answer_id}-up").click()
    expect(page.locator(f"#score-{answer_id} .score-value")).to_have_text("1")
    expect(page.locator(f"#vote-{answer_id}-up")).to_have_attribute("aria-pressed", "true")
    page.locator(f"#accept-{answer_id}").click()
    expect(page.locator(f"#answer-{answer_id}")).to_contain_text("Accepted answer")
    screenshot(page, "community-question", full_page=True)
    # The accepted answer is now searchable as community content.
    page.goto(base_url + f"/search?q=final+sale+{unique}&source=community")
    expect(page.locator("#search-results .search-hit").first).to_contain_text("trail runners")


def test_xss_payloads_posted_through_the_forms_never_execute(page: Page, base_url: str) -> None:
    """Every payload is shown as text on every page it reaches, and no script runs."""
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    payload = " ".join(XSS)
    _sign_up(page, base_url, "Eve Tester")
    marker = uuid.uuid4().hex[:6]
    page.goto(base_url + "/community/ask?title=" + f"Question {marker}")
    page.locator("#title").fill(f"Question {marker} <script>window.__xss = 1</script>")
    page.locator("#body").fill(payload)
    page.locator("#post-question").click()
    expect(page.locator("#question-title")).to_contain_text("Question " + marker)
    page.locator("#answer-body").fill(payload)
    page.locator("#answer-submit").click()
    expect(page.locator("article.answer").last).to_contain_text("{{ 7 * 7 }}")
    # Links in posts never carry javascript: URLs.
    hrefs = page.locator(".post-body a").evaluate_all("links => links.map(a => a.href)")
    assert not [href for href in hrefs if href.lower().startswith("javascript")]
    # The same text through the search box and the article feedback comment.
    page.goto(base_url + "/search?q=" + "%3Cimg%20src%3Dx%20onerror%3D%22window.__xss%3D1%22%3E")
    page.goto(base_url + "/articles/how-to-return-an-item")
    page.locator("#feedback-no").click()
    page.locator("#feedback-comment").fill(payload)
    page.locator("#feedback-send").click()
    expect(page.locator("#feedback-comment")).to_have_value(re.compile(r"7 \* 7"))
    page.goto(base_url + "/community/")
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
