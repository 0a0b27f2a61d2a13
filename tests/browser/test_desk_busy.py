"""The desk when the server holds no more long polls (TIER0_LONG_POLL_MAX reached).

A second ``tier0 serve`` on the same data holds at most one long poll; a customer's poll keeps that
place taken. The desk's poll is then answered at once with nothing new: the page must not hammer
the server with polls, and a customer's message must still show up within seconds.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Request, expect

from kb.knowledge_base import KnowledgeBase
from kb.models import Role
from tests.browser.conftest import serving
from tests.browser.staff import sign_in
from tests.browser.test_desk import chat_api
from tests.web.desk_helpers import Case, escalated
from tests.web.staff_helpers import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.model]


@pytest.fixture(scope="module")
def busy_url(server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``tier0 serve`` on the browser tests' data, holding at most one long poll."""
    env = {**server_env, "TIER0_LONG_POLL_MAX": "1", "TIER0_BACKGROUND_WORKER": "false"}
    with serving(env, tmp_path_factory.mktemp("busy-log") / "serve.log") as url:
        yield url


def hold_the_place(base_url: str, case: Case, stop: threading.Event) -> threading.Thread:
    """A customer's widget long-polling over and over, so the one place stays taken."""
    last = max(m["id"] for m in chat_api(base_url, case)["messages"])
    url = f"{base_url}/api/v1/conversations/{case.public_id}/messages?after={last}&wait=4"

    def run() -> None:
        while not stop.is_set():
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {case.token}"})
            with urllib.request.urlopen(request, timeout=15) as response:
                json.loads(response.read())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_the_desk_polls_calmly_and_still_shows_new_messages(
    page: Page, busy_url: str, served_kb: KnowledgeBase
) -> None:
    """With no long poll to spare the desk asks every few seconds, not in a loop, and a
    customer's message still appears on its own."""
    agent = make_staff(served_kb, Role.AGENT)
    waiting = escalated(served_kb, name="Walter Waiting", text="Is anyone there?")
    case = escalated(served_kb, name="Bea Busy", text="My parcel is lost")
    stop = threading.Event()
    holder = hold_the_place(busy_url, waiting, stop)
    polls: list[str] = []

    def count(request: Request) -> None:
        if "/messages.json" in request.url and "wait=" in request.url:
            polls.append(request.url)

    try:
        page.wait_for_timeout(500)  # the holder is waiting by now
        sign_in(page, busy_url, agent, lands_on="/desk")
        page.on("request", count)
        page.goto(f"{busy_url}/desk/escalations/{case.id}")
        expect(page.locator("#transcript")).to_contain_text("My parcel is lost")
        page.wait_for_timeout(6_000)
        assert 1 <= len(polls) <= 5, polls  # about one every 2.5 s, not a busy loop
        chat_api(busy_url, case, {"text": "It was a birthday present"})
        expect(
            page.locator("#transcript .msg-customer").filter(has_text="birthday present")
        ).to_be_visible(timeout=6_000)
    finally:
        stop.set()
        holder.join(timeout=20)
