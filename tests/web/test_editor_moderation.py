"""The editor console's moderation queue, the agent drafts inbox, promotion and the moderation API."""

from __future__ import annotations

import html as htmllib

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb import editorial
from kb.community import accept_answer, add_answer, get_or_create_user, save_question
from kb.knowledge_base import KnowledgeBase
from kb.models import (
    Answer,
    Article,
    ArticleStatus,
    Moderation,
    ModerationAction,
    Phrasing,
    PhrasingSource,
    Question,
    Role,
    User,
)
from kb.moderation import flag_post
from tests.web.conftest import build_app
from tests.web.editor_helpers import flashes, module_kb, signed_in
from tests.web.people import sign_up, unique
from tests.web.staff_helpers import make_staff

ekb = pytest.fixture(scope="module")(module_kb)


@pytest.fixture(scope="module")
def eapp(ekb: KnowledgeBase) -> Flask:
    """The app on this module's knowledge base (signing in often: no sign-in rate limit)."""
    return build_app(ekb, csrf=False, sign_in_rate_limit="1000 per minute")


def page(client: FlaskClient, url: str) -> str:
    """A page's HTML (asserting 200)."""
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return htmllib.unescape(response.get_data(as_text=True))


def flagged_answer(kb: KnowledgeBase, flags: int = 3) -> tuple[int, int, int]:
    """A question with an answer flagged ``flags`` times; (question id, answer id, author id)."""
    with kb.sessions() as session:
        author = get_or_create_user(
            session=session, display_name=unique("spammer"), email=f"{unique()}@example.com"
        )
        question, _ = save_question(session=session, title=f"Boots {unique()} sizing?")
        answer = add_answer(
            session=session, question=question, body="Cheap pills here", author=author
        )
        for _ in range(flags):
            reader = get_or_create_user(
                session=session, display_name=unique("r"), email=f"{unique()}@example.com"
            )
            flag_post(session=session, post=answer, user=reader, reason="Spam", hide_threshold=3)
        session.commit()
        return question.id, answer.id, author.id


def moderation(kb: KnowledgeBase, action: str) -> ModerationAction:
    """The newest logged moderation action of this kind."""
    with kb.sessions() as session:
        query = select(ModerationAction).where(ModerationAction.action == action)
        found = session.scalars(query.order_by(ModerationAction.id.desc())).first()
        assert found is not None
        return found


def test_queue_shows_a_flagged_answer_with_its_flags(eapp: Flask, ekb: KnowledgeBase) -> None:
    """The page lists the held answer, its flag reasons and the moderation buttons."""
    _, answer_id, _ = flagged_answer(ekb)
    client, _ = signed_in(eapp, ekb)
    html = page(client, "/editor/moderation")
    assert f'id="answer-{answer_id}"' in html
    assert "3 flags" in html and "Cheap pills here" in html and "Spam" in html
    assert "Hidden after 3 flags, waiting for review" in html


def test_hide_needs_a_reason_then_is_logged(eapp: Flask, ekb: KnowledgeBase) -> None:
    """No reason: refused with the message; with one the answer is hidden and logged."""
    _, answer_id, _ = flagged_answer(ekb)
    client, editor = signed_in(eapp, ekb)
    url = f"/editor/moderation/answers/{answer_id}"

    refused = client.post(url, data={"action": "hide"}, follow_redirects=True)
    assert "Give a reason" in " ".join(flashes(refused.get_data(as_text=True)))
    done = client.post(url, data={"action": "hide", "reason": "Spam"}, follow_redirects=True)

    assert "is hidden" in " ".join(flashes(done.get_data(as_text=True)))
    with ekb.sessions() as session:
        row = session.get(Answer, answer_id)
        assert row is not None and row.moderation == Moderation.HIDDEN
    entry = moderation(ekb, "hide")
    assert (entry.target_id, entry.moderator_id, entry.reason) == (answer_id, editor.id, "Spam")
    assert "Spam" in page(client, "/editor/moderation").split('id="moderation-log"')[1]


def test_approve_and_delete(eapp: Flask, ekb: KnowledgeBase) -> None:
    """Approve shows a held answer; delete removes a question; unknown actions are refused."""
    question_id, answer_id, _ = flagged_answer(ekb)
    client, _ = signed_in(eapp, ekb)
    bad = client.post(f"/editor/moderation/answers/{answer_id}", data={"action": "burn"})
    assert bad.status_code == 303

    client.post(f"/editor/moderation/answers/{answer_id}", data={"action": "approve"})
    client.post(
        f"/editor/moderation/questions/{question_id}", data={"action": "delete", "reason": "Dupe"}
    )

    with ekb.sessions() as session:
        assert session.get(Question, question_id) is None
    assert moderation(ekb, "approve").target_id == answer_id
    assert moderation(ekb, "delete").target_id == question_id
    missing = client.post("/editor/moderation/answers/999999", data={"action": "approve"})
    assert missing.status_code == 404


def test_suspending_a_customer_signs_them_out_and_stops_posting(
    eapp: Flask, ekb: KnowledgeBase
) -> None:
    """The suspended customer is signed out at their next request and cannot sign in again."""
    customer = eapp.test_client()
    email = sign_up(customer)
    title = f"Before the ban {unique()}?"
    assert customer.post("/community/ask", data={"title": title}).status_code == 302
    with ekb.sessions() as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
    client, _ = signed_in(eapp, ekb)

    refused = client.post(f"/editor/moderation/users/{user_id}/suspend", data={"reason": ""})
    assert refused.status_code == 303
    client.post(f"/editor/moderation/users/{user_id}/suspend", data={"reason": "Spam"})

    asked = customer.post("/community/ask", data={"title": f"After the ban {unique()}?"})
    assert asked.status_code == 302 and "/account/sign-in" in asked.headers["Location"]
    with ekb.sessions() as session:
        mine = session.scalars(select(Question.title).where(Question.author_id == user_id))
        assert list(mine) == [title]
    again = customer.post(
        "/account/sign-in", data={"email": email, "password": "correct horse battery"}
    )
    assert again.status_code != 302 and "account is suspended" in again.get_data(as_text=True)
    assert moderation(ekb, "suspend").reason == "Spam"

    client.post(f"/editor/moderation/users/{user_id}/reinstate", data={})
    with ekb.sessions() as session:
        row = session.get(User, user_id)
        assert row is not None and not row.suspended


def test_staff_cannot_be_suspended_from_moderation(eapp: Flask, ekb: KnowledgeBase) -> None:
    """An agent's account is refused with a pointer to the admin console."""
    agent = make_staff(ekb, Role.AGENT)
    client, _ = signed_in(eapp, ekb)
    done = client.post(
        f"/editor/moderation/users/{agent.id}/suspend",
        data={"reason": "no"},
        follow_redirects=True,
    )
    assert "Admin → Users" in htmllib.unescape(" ".join(flashes(done.get_data(as_text=True))))


def test_held_keywords_edit_holds_new_posts(eapp: Flask, ekb: KnowledgeBase) -> None:
    """After editing the list, a question with the new keyword waits for review."""
    client, _ = signed_in(eapp, ekb)
    word = unique("kw")
    saved = client.post(
        "/editor/moderation/keywords",
        data={"keywords": f"casino\n{word}\n", "reason": "spam wave"},
        follow_redirects=True,
    )
    assert "Held keywords saved" in " ".join(flashes(saved.get_data(as_text=True)))
    assert word in page(client, "/editor/moderation")

    customer = eapp.test_client()
    sign_up(customer)
    customer.post("/community/ask", data={"title": f"Is {word} legit at all?", "body": ""})

    with ekb.sessions() as session:
        held = session.scalar(select(Question).where(Question.title.contains(word)))
        assert held is not None and held.moderation == Moderation.PENDING
        assert held.moderation_reason == f"Held keyword: {word}"


def agent_draft(kb: KnowledgeBase, title: str) -> int:
    """An agent's draft from a conversation (as kb.desk.save_as_draft leaves it); its id."""
    agent = make_staff(kb, Role.AGENT)
    with kb.sessions() as session:
        author = session.get(User, agent.id)
        assert author is not None
        article = editorial.create_draft(
            session=session,
            editor=author,
            title=title,
            body="Yes, within 14 days.",
            origin="conversation",
            origin_ref=unique("conv"),
        )
        article.phrasings.append(
            Phrasing(text=f"can I send back {title}?", source=PhrasingSource.EDITOR)
        )
        session.commit()
        return article.id


def test_inbox_lists_drafts_and_publishes_one(eapp: Flask, ekb: KnowledgeBase) -> None:
    """The draft shows with the customer's words; publish takes it live and out of the inbox."""
    title = f"Returning {unique()}"
    draft_id = agent_draft(ekb, title)
    client, _ = signed_in(eapp, ekb)
    html = page(client, "/editor/inbox")
    assert title in html and f"can I send back {title}?" in html

    done = client.post(f"/editor/inbox/{draft_id}/publish", follow_redirects=True)

    assert f"“{title}” is published." in flashes(done.get_data(as_text=True))
    assert title not in page(client, "/editor/inbox")
    assert client.post(f"/editor/inbox/{draft_id}/publish").status_code == 404


def test_merge_as_phrasing_and_as_revision(eapp: Flask, ekb: KnowledgeBase) -> None:
    """Phrasing: back to the inbox; revision: to the target's edit page with a pending revision."""
    client, editor = signed_in(eapp, ekb)
    with ekb.sessions() as session:
        me = session.get(User, editor.id)
        assert me is not None
        target = editorial.create_draft(
            session=session, editor=me, title=f"Returns {unique()}", body="Old text."
        )
        editorial.publish(session=session, article=target, editor=me)
        session.commit()
        target_id, slug = target.id, target.slug
    first, second = agent_draft(ekb, f"A {unique()}"), agent_draft(ekb, f"B {unique()}")

    nothing = client.post(f"/editor/inbox/{first}/merge", data={"mode": "phrasing"})
    assert nothing.status_code == 303
    as_phrasing = client.post(
        f"/editor/inbox/{first}/merge", data={"mode": "phrasing", "target": slug}
    )
    as_revision = client.post(
        f"/editor/inbox/{second}/merge", data={"mode": "revision", "target": slug}
    )

    assert as_phrasing.headers["Location"].endswith("/editor/inbox")
    assert as_revision.headers["Location"].endswith(f"/editor/articles/{target_id}")
    with ekb.sessions() as session:
        live = session.get(Article, target_id)
        assert live is not None and live.body == "Old text." and live.draft_revision
        assert len(live.phrasings) == 2
        pending = editorial.working_copy(session=session, article=live)
        assert "Yes, within 14 days." in pending.body
        for draft_id in (first, second):
            row = session.get(Article, draft_id)
            assert row is not None and row.status == ArticleStatus.ARCHIVED


def test_dismiss_archive_or_delete(eapp: Flask, ekb: KnowledgeBase) -> None:
    """The flash says which; a deleted draft is gone."""
    kept, gone = agent_draft(ekb, f"K {unique()}"), agent_draft(ekb, f"G {unique()}")
    client, _ = signed_in(eapp, ekb)
    archived = client.post(f"/editor/inbox/{kept}/dismiss", data={"how": "archive"})
    deleted = client.post(
        f"/editor/inbox/{gone}/dismiss", data={"how": "delete"}, follow_redirects=True
    )
    assert archived.status_code == 303
    assert any("is deleted" in text for text in flashes(deleted.get_data(as_text=True)))
    with ekb.sessions() as session:
        row = session.get(Article, kept)
        assert row is not None and row.status == ArticleStatus.ARCHIVED
        assert session.get(Article, gone) is None


def test_promote_an_accepted_answer(eapp: Flask, ekb: KnowledgeBase) -> None:
    """The draft credits the author and links back; promoting again is refused."""
    with ekb.sessions() as session:
        sam = get_or_create_user(
            session=session, display_name="Sam Helper", email=f"{unique()}@example.com"
        )
        question, _ = save_question(session=session, title=f"Change address {unique()}?")
        answer = add_answer(session=session, question=question, body="Orders → Edit.", author=sam)
        accept_answer(session=session, answer=answer)
        session.commit()
        answer_id, question_id = answer.id, question.id
    client, _ = signed_in(eapp, ekb)
    assert f'id="answer-{answer_id}"' in page(client, "/editor/inbox")

    done = client.post(f"/editor/inbox/answers/{answer_id}/promote")

    assert done.status_code == 303 and "/editor/articles/" in done.headers["Location"]
    with ekb.sessions() as session:
        article = session.scalar(select(Article).where(Article.origin_ref == f"answer:{answer_id}"))
        assert article is not None and article.origin == "community"
        assert f"/community/questions/{question_id}#answer-{answer_id}" in article.body
        assert "by Sam Helper" in article.body
    again = client.post(f"/editor/inbox/answers/{answer_id}/promote", follow_redirects=True)
    assert "already promoted" in " ".join(flashes(again.get_data(as_text=True)))
    assert client.post("/editor/inbox/answers/999999/promote").status_code == 404


def test_agents_cannot_moderate(eapp: Flask, ekb: KnowledgeBase) -> None:
    """Agents get 403 on the pages and the API."""
    client, agent = signed_in(eapp, ekb, Role.AGENT)
    assert client.get("/editor/moderation").status_code == 403
    assert client.get("/editor/inbox").status_code == 403
    assert eapp.test_client().get("/api/v1/moderation", headers=agent.headers).status_code == 403


def test_moderation_api_lists_the_queue(eapp: Flask, ekb: KnowledgeBase) -> None:
    """The JSON queue has the flagged answer with its flags and the held keywords."""
    _, answer_id, author_id = flagged_answer(ekb, flags=1)
    editor = make_staff(ekb, Role.EDITOR)
    api = eapp.test_client()
    assert api.get("/api/v1/moderation").status_code == 401

    body = api.get("/api/v1/moderation", headers=editor.headers).get_json()

    [item] = [i for i in body["items"] if i["kind"] == "answer" and i["id"] == answer_id]
    assert item["author_id"] == author_id and item["moderation"] == "visible"
    assert [flag["reason"] for flag in item["flags"]] == ["Spam"]
    assert isinstance(body["held_keywords"], list)
