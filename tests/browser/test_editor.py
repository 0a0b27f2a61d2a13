"""The editor console in a real browser: write with a live preview, submit, publish, find it in
search; compare revisions side by side and inline, and restore one with a note.

Staff are written straight into the served database; everything else goes through the pages.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from kb.knowledge_base import KnowledgeBase
from kb.models import Role
from tests.browser.conftest import screenshot
from tests.browser.staff import keep, sign_in
from tests.web.staff_helpers import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.model]

BODY = """Fit the Trailbell to the left side of the handlebar so your thumb reaches it.

## What you need

- A 4 mm hex key
- Five minutes

## Fitting it

1. Loosen the clamp screw.
2. Slide the bell onto the bar and **tighten** until it does not turn.

| Bar diameter | Shim |
|---|---|
| 22.2 mm | yes |
| 31.8 mm | no |
"""


def save_body(page: Page, body: str, note: str) -> None:
    """Replace the body on the edit page, give a note and save."""
    page.locator("#body").fill(body)
    page.locator("#note").fill(note)
    page.get_by_role("button", name=re.compile(r"^Save")).click()
    expect(page.locator(".flash-success")).to_contain_text("saved")


def test_write_preview_submit_publish_and_find_it(
    page: Page, base_url: str, served_kb: KnowledgeBase
) -> None:
    """An editor writes with a live preview, submits, publishes; customers then find it."""
    editor = make_staff(served_kb, Role.EDITOR)
    sign_in(page, base_url, editor)
    expect(page.locator(".site-nav").get_by_role("link", name="Editor")).to_be_visible()
    page.get_by_role("link", name="New article").first.click()

    page.locator("#title").fill("Fitting the Trailbell bicycle bell")
    expect(page.locator("#slug")).to_have_attribute(
        "placeholder", "fitting-the-trailbell-bicycle-bell"
    )
    page.locator("#category").select_option("products-and-sizing")
    page.locator("#tags").fill("bikes, accessories")
    page.locator("#summary").fill("Where the Trailbell goes and how to tighten it.")
    page.locator("#review_by").fill("2027-06-30")
    page.locator("#body").fill(BODY + "\n<script>window.hacked = 1</script>\n")
    preview = page.locator("#article-preview")
    expect(preview.locator("h2#what-you-need")).to_have_text("What you need")
    expect(preview.locator("table td").first).to_have_text("22.2 mm")
    expect(page.locator("#preview-status")).to_have_text("Preview up to date")
    assert preview.locator("script").count() == 0
    assert page.evaluate("window.hacked") is None

    page.locator("#body").fill(BODY)
    page.locator("#note").fill("First version")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash-success")).to_contain_text("saved")
    expect(page.locator("#article-state")).to_contain_text("Draft")
    page.locator("#body").press("Control+End")
    page.locator("#body").type("\n\nAsk in store if your bar is carbon.")
    expect(preview.locator("p").last).to_have_text("Ask in store if your bar is carbon.")
    page.evaluate("window.scrollTo(0, 0)")
    keep(page, "editor-edit", full_page=True)
    page.locator("#body").fill(BODY)  # back as saved, so leaving the page does not warn

    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".flash-success")).to_have_text("Sent for review.")
    expect(page.locator("#article-state")).to_contain_text("In review")
    page.locator("#workflow-note").fill("Checked the hex key size")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("Published")
    expect(page.locator("#article-state")).to_contain_text("Published")

    page.get_by_role("navigation", name="Editor").get_by_role("link", name="Articles").click()
    expect(page.locator("#article-table")).to_contain_text("Fitting the Trailbell bicycle bell")
    screenshot(page, "editor-articles")
    page.get_by_role("navigation", name="Editor").get_by_role("link", name="Overview").click()
    expect(page.locator("#editor-counts")).to_be_visible()
    screenshot(page, "editor-home")

    started = time.monotonic()
    page.goto(base_url + "/search?q=Trailbell+bicycle+bell")
    while page.get_by_role("link", name="Fitting the Trailbell bicycle bell").count() == 0:
        assert time.monotonic() - started < 5, "the published article never reached search"
        page.wait_for_timeout(200)
        page.reload()
    page.get_by_role("link", name="Fitting the Trailbell bicycle bell").first.click()
    expect(page.locator("h1")).to_have_text("Fitting the Trailbell bicycle bell")
    expect(page.locator("#article-body h2").first).to_have_text("What you need")


def test_diff_and_restore(page: Page, base_url: str, served_kb: KnowledgeBase) -> None:
    """Two edits, the diff side by side and inline, then revision 1 restored with a note."""
    editor = make_staff(served_kb, Role.EDITOR)
    sign_in(page, base_url, editor)
    page.goto(base_url + "/editor/articles/new")
    page.locator("#title").fill("Puncture repair at home")
    page.locator("#body").fill(
        "Patch kits fix most punctures.\n\n## Steps\n\n1. Take the wheel off.\n"
        "2. Find the hole.\n3. Patch it.\n"
    )
    page.locator("#note").fill("First draft")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash-success")).to_contain_text("saved")
    save_body(
        page,
        "Patch kits fix most punctures.\n\n## Steps\n\n1. Take the wheel off.\n"
        "2. Find the hole by pumping the tube up under water.\n3. Sand, glue and patch it.\n"
        "4. Wait two minutes before inflating.\n",
        "Clearer steps",
    )
    page.get_by_role("link", name="History").click()
    expect(page.locator("#revision-table tbody tr")).to_have_count(2)
    expect(page.locator("#revision-2")).to_contain_text("Clearer steps")
    expect(page.locator("#revision-2")).to_contain_text(editor.email.split("@")[0])
    side = page.locator("#diff-side")
    expect(side).to_be_visible()
    expect(side.locator("tr.row-replace").first).to_contain_text("2. Find the hole.")
    expect(side.locator("td.ins").last).to_contain_text("Wait two minutes")
    keep(page, "editor-history")

    page.get_by_role("link", name="Inline").click()
    expect(side).to_be_hidden()
    inline = page.locator("#diff-inline")
    expect(inline.locator("li.line-delete")).to_have_count(2)
    expect(inline.locator("li.line-insert")).to_have_count(3)
    assert "view=inline" in page.url

    page.locator("#revision-1 summary").click()
    page.locator("#restore-note-1").fill("The short steps tested better")
    page.get_by_role("button", name="Restore revision 1").click()
    expect(page.locator(".flash-success")).to_have_text("Revision 1 restored as revision 3.")
    expect(page.locator("#revision-3")).to_contain_text("The short steps tested better")
    expect(page.locator("#diff-same")).to_contain_text("Revisions 1 and 3 have the same content.")
    page.get_by_role("link", name="Puncture repair at home").click()
    expect(page.locator("#body")).to_have_value(re.compile(r"2\. Find the hole\.\n"))
