"""Moderation and knowledge capture in a real browser: hide a flagged answer with a reason, and
promote an accepted community answer to an article draft.

Staff, posts and flags are written straight into the served database (as readers' flags would
leave them); everything else goes through the pages.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from kb import editorial
from kb.articles import add_phrasing
from kb.community import accept_answer, add_answer, get_or_create_user, save_question
from kb.knowledge_base import KnowledgeBase
from kb.models import Answer, Moderation, Role
from kb.moderation import flag_post
from tests.browser.staff import keep, sign_in
from tests.web.people import unique
from tests.web.staff_helpers import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.model]


def community(kb: KnowledgeBase) -> tuple[int, int]:
    """A spam answer flagged by three readers and a held question; an accepted helpful answer.

    Returns (flagged answer id, accepted answer id).
    """
    with kb.sessions() as session:

        def person(name: str):  # type: ignore[no-untyped-def]
            return get_or_create_user(
                session=session, display_name=name, email=f"{unique(name.lower())}@example.com"
            )

        asker, spammer, helper = person("Priya"), person("Deal Bot"), person("Marta Hill")
        question, _ = save_question(
            session=session,
            title="Do the Ridgeline boots run small?",
            body="I'm usually a 42. Should I size up for winter socks?",
            author=asker,
        )
        add_answer(
            session=session,
            question=question,
            body="They run half a size small: go up half a size for thick socks.",
            author=helper,
        )
        spam = add_answer(
            session=session,
            question=question,
            body="Cheap boots at www.example.com/deals, 90% off today only!!!",
            author=spammer,
        )
        for name in ("Tom", "Ines", "Kofi"):
            flag_post(
                session=session, post=spam, user=person(name), reason="Spam link", hide_threshold=3
            )
        save_question(
            session=session,
            title="Crypto giveaway for hikers",
            body="Send 1 coin, get 2 back.",
            author=spammer,
            moderation=Moderation.PENDING,
        )
        asked, _ = save_question(
            session=session,
            title="How do I re-waterproof my jacket?",
            body="Water no longer beads on it.",
            author=asker,
        )
        accepted = add_answer(
            session=session,
            question=asked,
            body="Wash it with a technical cleaner, then tumble dry on low for 20 minutes: "
            "the heat reactivates the DWR coating. If water still soaks in, use a spray-on "
            "reproofer.",
            author=helper,
        )
        accept_answer(session=session, answer=accepted)
        agent = person("Sam Agent")
        agent.role = Role.AGENT
        draft = editorial.create_draft(
            session=session,
            editor=agent,
            title="Returning sale items",
            body="Sale items can be returned within 14 days, unworn and with their tags.",
            origin="conversation",
            origin_ref=unique("conv"),
        )
        add_phrasing(session=session, article=draft, text="can I send back stuff from the sale?")
        session.commit()
        return spam.id, accepted.id


def test_an_editor_hides_a_flagged_answer_and_promotes_an_accepted_one(
    page: Page, base_url: str, served_kb: KnowledgeBase
) -> None:
    """The queue shows the flags; hiding needs a reason and lands in the log; promoting opens a
    draft that credits the author and links back to the answer."""
    spam_id, accepted_id = community(served_kb)
    editor = make_staff(served_kb, Role.EDITOR, name=unique("edna"))
    sign_in(page, base_url, editor)

    page.get_by_role("navigation", name="Editor").get_by_role("link", name="Moderation").click()
    item = page.locator(f"#answer-{spam_id}")
    expect(item).to_contain_text("3 flags")
    expect(item).to_contain_text("Spam link")
    expect(page.locator("#keywords")).to_be_visible()
    keep(page, "editor-moderation", full_page=True)

    item.get_by_role("button", name="Hide").click()
    expect(page.locator(".flash")).to_contain_text("Give a reason")
    page.locator(f"#answer-{spam_id}").get_by_label("Reason").fill("Advertising with a link")
    page.locator(f"#answer-{spam_id}").get_by_role("button", name="Hide").click()
    expect(page.locator(".flash")).to_contain_text("is hidden")
    expect(page.locator(f"#answer-{spam_id}")).to_have_count(0)
    expect(page.locator("#moderation-log")).to_contain_text("Advertising with a link")
    with served_kb.sessions() as session:
        hidden = session.get(Answer, spam_id)
        assert hidden is not None and hidden.moderation == Moderation.HIDDEN

    page.get_by_role("navigation", name="Editor").get_by_role("link", name="Agent drafts").click()
    card = page.locator(f"#answer-{accepted_id}")
    expect(card).to_contain_text("How do I re-waterproof my jacket?")
    expect(page.locator("#drafts-title")).to_contain_text("Waiting")
    expect(page.get_by_text("can I send back stuff from the sale?")).to_be_visible()
    keep(page, "editor-inbox")
    card.get_by_role("button", name="Promote to an article draft").click()

    page.wait_for_url(re.compile(r"/editor/articles/\d+$"))
    expect(page.locator("#title")).to_have_value("How do I re-waterproof my jacket?")
    body = page.locator("#body").input_value()
    assert "by Marta Hill" in body and f"#answer-{accepted_id}" in body
