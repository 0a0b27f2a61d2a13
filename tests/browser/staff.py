"""Staff in the browser tests: written straight into the served database, signed in through the form."""

from __future__ import annotations

import os
import re
import shutil

from playwright.sync_api import Page

from tests.browser.conftest import REPO, screenshot
from tests.web.people import PASSWORD
from tests.web.staff_helpers import Staff

DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"


def sign_in(page: Page, base_url: str, staff: Staff, *, lands_on: str = "/editor") -> None:
    """Sign in through the form and land on ``lands_on`` (the editor console by default)."""
    page.goto(f"{base_url}/account/sign-in?next={lands_on}")
    page.locator("#email").fill(staff.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#sign-in-submit").click()
    page.wait_for_url(re.compile(rf"{re.escape(lands_on)}/?$"))


def keep(page: Page, name: str, *, full_page: bool = False) -> None:
    """A screenshot for the test artifacts; with ``TIER0_UPDATE_SCREENSHOTS=1`` also the README's
    copy in docs/screenshots (so an ordinary test run never changes tracked files)."""
    path = screenshot(page, name, full_page=full_page)
    if os.environ.get("TIER0_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / f"{name}.png")
