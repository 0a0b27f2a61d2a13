"""Taking part: answering, voting, accepting and flagging, with permissions and abuse limits."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.knowledge_base import KnowledgeBase
from kb.models import Flag, Moderation, User
from tests.web.conftest import build_app
from tests.web.people import answer, answer_row, ask, question_row, sign_up, unique, user
from web.community.service import NotAllowed, acting_user


@pytest.fixture
def app(demo_kb: KnowledgeBase) -> Flask:
    """The app with CSRF off, so tests can post forms directly."""
    return build_app(demo_kb, csrf=False)


@dataclass
class Thread:
    """A question by ``asker`` with one answer by ``helper``."""

    asker: FlaskClient
    helper: FlaskClient
    question_id: int
    answer_id: int


def person(app: Flask) -> FlaskClient:
    """A new signed-in customer with their own cookie jar."""
    client = app.test_client()
    sign_up(client)
    return client


@pytest.fixture
def thread(app: Flask) -> Thread:
    """A fresh question and answer by two different people."""
    asker, helper = person(app), person(app)
    question_id = ask(asker, unique("Thread "), "What size should I get?")
    answer_id = answer(helper, question_id, "Go half a size up.")
    return Thread(asker, helper, question_id, answer_id)


def score(kb: KnowledgeBase, answer_id: int) -> int:
    """The stored score of an answer."""
    return answer_row(kb, answer_id).score


# answers


def test_answer_is_stored_and_shown_with_the_community_badge(
    thread: Thread, demo_kb: KnowledgeBase
) -> None:
    """The answer appears on the page with the community badge and its author."""
    page = thread.asker.get(f"/community/questions/{thread.question_id}").get_data(as_text=True)
    assert f'id="answer-{thread.answer_id}"' in page
    assert "Go half a size up." in page
    block = page[page.index(f'id="answer-{thread.answer_id}"') :]
    assert 'class="badge badge-community">Community answer' in block
    assert answer_row(demo_kb, thread.answer_id).moderation == Moderation.VISIBLE


def test_anonymous_answer_goes_to_sign_in(client: FlaskClient, thread: Thread) -> None:
    """Answering without an account sends the visitor to sign in, back to the question."""
    response = client.post(
        f"/community/questions/{thread.question_id}/answers",
        data={"body": "Anonymous answer"},
        headers={"Referer": f"http://localhost/community/questions/{thread.question_id}"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/account/sign-in?next=/community/questions/{thread.question_id}"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write your answer before posting it."),
        ("<script>alert(1)</script>", "Write your answer before posting it."),
        ("a" * 10_001, "Keep your answer to 10,000 characters."),
        ("https://a.example https://b.example", "New accounts can include at most 1 link"),
    ],
)
def test_answer_bad_input_keeps_the_page_and_text(
    thread: Thread, demo_kb: KnowledgeBase, body: str, message: str
) -> None:
    """Problems re-show the question page with a 400, the message and the typed text."""
    before = len(question_row(demo_kb, thread.question_id).answers)
    response = thread.helper.post(
        f"/community/questions/{thread.question_id}/answers", data={"body": body}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert 'id="answer-form"' in page
    if body.startswith("https"):
        assert f"{body}</textarea>" in page
    assert len(question_row(demo_kb, thread.question_id).answers) == before


def test_answer_to_a_missing_question(thread: Thread) -> None:
    """Answering a question that does not exist is a 404."""
    response = thread.helper.post("/community/questions/99999999/answers", data={"body": "x"})
    assert response.status_code == 404


def test_answer_honeypot(thread: Thread, demo_kb: KnowledgeBase) -> None:
    """A filled honeypot on the answer form stores nothing."""
    before = len(question_row(demo_kb, thread.question_id).answers)
    response = thread.helper.post(
        f"/community/questions/{thread.question_id}/answers",
        data={"body": "Bot answer", "website": "x"},
    )
    assert response.status_code == 302
    assert len(question_row(demo_kb, thread.question_id).answers) == before


def test_held_answer_is_visible_only_to_its_author(thread: Thread, app: Flask) -> None:
    """An answer with a held keyword waits; its author sees it with the notice, others don't."""
    answer_id = answer(thread.asker, thread.question_id, "Try the payday loan shop.")
    own = thread.asker.get(f"/community/questions/{thread.question_id}").get_data(as_text=True)
    assert f'id="answer-{answer_id}"' in own
    assert "Waiting for a moderator" in own
    other = app.test_client().get(f"/community/questions/{thread.question_id}")
    assert f'id="answer-{answer_id}"' not in other.get_data(as_text=True)
    vote = thread.helper.post(f"/community/answers/{answer_id}/vote", data={"value": "1"})
    assert vote.status_code == 404


# votes


def test_one_vote_per_person_and_changing_it(
    thread: Thread, app: Flask, demo_kb: KnowledgeBase
) -> None:
    """Voting twice counts once; voting the other way flips; each person has one vote."""
    url = f"/community/answers/{thread.answer_id}/vote"
    assert thread.asker.post(url, data={"value": "1"}).status_code == 302
    thread.asker.post(url, data={"value": "1"})
    assert score(demo_kb, thread.answer_id) == 1
    thread.asker.post(url, data={"value": "-1"})
    assert score(demo_kb, thread.answer_id) == -1
    person(app).post(url, data={"value": "1"})
    assert score(demo_kb, thread.answer_id) == 0
    page = thread.asker.get(f"/community/questions/{thread.question_id}").get_data(as_text=True)
    assert re.search(rf'id="vote-{thread.answer_id}-down"\s+aria-pressed="true"', page)


def test_vote_as_json(thread: Thread) -> None:
    """The page script gets the new score as JSON."""
    response = thread.asker.post(
        f"/community/answers/{thread.answer_id}/vote",
        data={"value": "1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.get_json() == {"answer_id": thread.answer_id, "score": 1, "vote": 1}


def test_cannot_vote_on_own_answer(thread: Thread, demo_kb: KnowledgeBase) -> None:
    """Voting on your own answer is refused with a 403 and a clear message (HTML and JSON)."""
    url = f"/community/answers/{thread.answer_id}/vote"
    response = thread.helper.post(url, data={"value": "1"})
    assert response.status_code == 403
    assert "You can&#39;t vote on your own answer." in response.get_data(as_text=True)
    as_json = thread.helper.post(url, data={"value": "1"}, headers={"Accept": "application/json"})
    assert as_json.get_json()["error"]["message"] == "You can't vote on your own answer."
    assert score(demo_kb, thread.answer_id) == 0
    page = thread.helper.get(f"/community/questions/{thread.question_id}").get_data(as_text=True)
    assert f'id="vote-{thread.answer_id}-up"' not in page


@pytest.mark.parametrize(("value", "status"), [("0", 400), ("2", 400), ("up", 400), ("", 400)])
def test_vote_values(thread: Thread, value: str, status: int) -> None:
    """Only +1 and -1 are votes."""
    response = thread.asker.post(
        f"/community/answers/{thread.answer_id}/vote", data={"value": value}
    )
    assert response.status_code == status


def test_vote_needs_an_account_and_an_answer(client: FlaskClient, thread: Thread) -> None:
    """Anonymous votes go to sign in; votes on missing answers are 404."""
    anonymous = client.post(f"/community/answers/{thread.answer_id}/vote", data={"value": "1"})
    assert anonymous.headers["Location"].startswith("/account/sign-in?next=")
    missing = thread.asker.post("/community/answers/99999999/vote", data={"value": "1"})
    assert missing.status_code == 404


def test_voting_is_rate_limited(demo_kb: KnowledgeBase) -> None:
    """Past the voting limit a person gets a 429."""
    app = build_app(demo_kb, csrf=False, vote_rate_limit="2 per minute")
    asker, helper = person(app), person(app)
    question_id = ask(asker, unique("Limits "))
    answer_id = answer(helper, question_id, "An answer")
    url = f"/community/answers/{answer_id}/vote"
    statuses = [asker.post(url, data={"value": v}).status_code for v in ("1", "-1", "1")]
    assert statuses == [302, 302, 429]


# accepting


def test_asker_accepts_and_the_answer_becomes_searchable(
    thread: Thread, demo_kb: KnowledgeBase
) -> None:
    """Accepting marks the answer; its text is then found by search as community content."""
    phrase = unique("zqx")
    answer_id = answer(thread.helper, thread.question_id, f"Wax the seams with {phrase} balm.")
    demo_kb.sync(force=True)
    refs = {hit.ref for hit in demo_kb.search(phrase, limit=10).hits}
    assert str(thread.question_id) not in refs
    response = thread.asker.post(f"/community/answers/{answer_id}/accept")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#answer-{answer_id}")
    assert answer_row(demo_kb, answer_id).accepted
    assert question_row(demo_kb, thread.question_id).status == "answered"
    demo_kb.sync(force=True)
    hits = [h for h in demo_kb.search(phrase, limit=10).hits if h.ref == str(thread.question_id)]
    assert hits
    assert hits[0].source.value == "community"
    page = thread.asker.get(f"/community/questions/{thread.question_id}").get_data(as_text=True)
    block = page[page.index(f'id="answer-{answer_id}"') :]
    assert 'class="badge badge-accepted">Accepted answer' in block[: block.index("</article>")]


def test_only_the_asker_or_staff_can_accept(
    thread: Thread, app: Flask, demo_kb: KnowledgeBase
) -> None:
    """Anyone else gets a 403; staff may accept."""
    url = f"/community/answers/{thread.answer_id}/accept"
    stranger = person(app)
    response = stranger.post(url)
    assert response.status_code == 403
    assert "Only the person who asked, or our staff, can accept an answer." in response.get_data(
        as_text=True
    )
    helper_page = thread.helper.get(f"/community/questions/{thread.question_id}")
    assert "Accept this answer" not in helper_page.get_data(as_text=True)
    assert not answer_row(demo_kb, thread.answer_id).accepted
    staff = app.test_client()
    email = sign_up(staff)
    with demo_kb.sessions() as session:
        row = session.get(User, user(demo_kb, email).id)
        assert row is not None
        row.role = "editor"  # type: ignore[assignment]
        session.commit()
    assert staff.post(url).status_code == 302
    assert answer_row(demo_kb, thread.answer_id).accepted


def test_accept_needs_an_account(client: FlaskClient, thread: Thread) -> None:
    """Anonymous accepts go to sign in."""
    response = client.post(f"/community/answers/{thread.answer_id}/accept")
    assert response.headers["Location"].startswith("/account/sign-in")


# flags


def test_flag_once_per_person(thread: Thread, app: Flask, demo_kb: KnowledgeBase) -> None:
    """A flag is recorded once per person, with its reason; the post stays up below the threshold."""
    flagger = person(app)
    url = f"/community/answers/{thread.answer_id}/flag"
    assert flagger.post(url, data={"reason": "Rude"}).status_code == 302
    again = flagger.post(url, data={"reason": "Still rude"}, follow_redirects=True)
    assert "You&#39;ve already flagged this." in again.get_data(as_text=True)
    with demo_kb.sessions() as session:
        reasons = session.scalars(select(Flag.reason).where(Flag.target_id == thread.answer_id))
        assert [r for r in reasons if r in {"Rude", "Still rude"}] == ["Rude"]
    assert answer_row(demo_kb, thread.answer_id).moderation == Moderation.VISIBLE
    page = flagger.get(f"/community/questions/{thread.question_id}").get_data(as_text=True)
    assert "You flagged this" in page


def test_flags_from_three_people_hide_a_question(
    thread: Thread, app: Flask, client: FlaskClient, demo_kb: KnowledgeBase
) -> None:
    """At the threshold the question is held: gone from the list, its page and search."""
    title = question_row(demo_kb, thread.question_id).title
    url = f"/community/questions/{thread.question_id}/flag"
    for _ in range(demo_kb.settings.flag_hide_threshold):
        response = person(app).post(url, data={"reason": "spam"})
    assert response.headers["Location"] == "/community/"
    stored = question_row(demo_kb, thread.question_id)
    assert stored.moderation == Moderation.PENDING
    assert client.get(f"/community/questions/{thread.question_id}").status_code == 404
    assert title not in client.get("/community/").get_data(as_text=True)
    demo_kb.sync(force=True)
    assert str(thread.question_id) not in {h.ref for h in demo_kb.search(title, limit=10).hits}
    own = thread.asker.get(f"/community/questions/{thread.question_id}")
    assert own.status_code == 200
    assert "Waiting for a moderator" in own.get_data(as_text=True)


def test_flag_rules(thread: Thread, client: FlaskClient) -> None:
    """No flagging your own post (403), over-long reasons (400), anonymous (sign in), missing (404)."""
    own = thread.helper.post(f"/community/answers/{thread.answer_id}/flag", data={"reason": ""})
    assert own.status_code == 403
    assert "You can&#39;t flag your own post." in own.get_data(as_text=True)
    long = thread.asker.post(
        f"/community/answers/{thread.answer_id}/flag", data={"reason": "x" * 501}
    )
    assert long.status_code == 400
    assert "Keep the reason to 500 characters." in long.get_data(as_text=True)
    anonymous = client.post(f"/community/questions/{thread.question_id}/flag")
    assert anonymous.headers["Location"].startswith("/account/sign-in")
    assert thread.asker.post("/community/questions/99999999/flag").status_code == 404


# XSS


PAYLOADS = [
    "<script>alert('xss')</script>Boots",
    '<img src=x onerror="alert(1)">Tents',
    '"><svg onload=alert(1)>Jackets',
    '[click me](javascript:alert(1)) and <a href="javascript:alert(2)">link</a>',
    "<iframe src=//evil.example></iframe>Poles",
    "1 < 2 && 3 > 2 <b onmouseover=alert(1)>bold</b>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_payloads_are_stored_as_text_and_rendered_inert(
    demo_kb: KnowledgeBase, payload: str
) -> None:
    """Markup is stripped on save, everything is escaped or sanitised on render."""
    app = build_app(demo_kb, csrf=False, new_account_days=0)  # links allowed
    asker, helper = person(app), person(app)
    question_id = ask(asker, unique("XSS ") + payload, payload)
    answer_id = answer(helper, question_id, payload)
    stored = question_row(demo_kb, question_id)
    for text in (stored.title, stored.body, answer_row(demo_kb, answer_id).body):
        assert "<script" not in text
        assert "onerror" not in text
        assert "<svg" not in text
        assert "<iframe" not in text
    for url in (f"/community/questions/{question_id}", "/community/"):
        page = asker.get(url).get_data(as_text=True)
        body = page[page.index("<main") :]
        assert "<script" not in body
        assert "alert(" not in re.sub(r"&[#\w]+;", "", " ".join(re.findall(r"<[^>]+>", body)))
        assert "javascript:" not in " ".join(re.findall(r'href="[^"]*"', body))
        assert "<iframe" not in body
        assert "<svg" not in body


def test_text_that_looks_like_markup_survives(thread: Thread, demo_kb: KnowledgeBase) -> None:
    """Comparisons and ampersands are kept as the person wrote them."""
    question_id = ask(thread.asker, unique("Sizes "), "Is 9 < 10 & 11 > 10 in EU sizes?")
    assert question_row(demo_kb, question_id).body == "Is 9 < 10 & 11 > 10 in EU sizes?"
    page = thread.asker.get(f"/community/questions/{question_id}").get_data(as_text=True)
    assert "Is 9 &lt; 10 &amp; 11 &gt; 10 in EU sizes?" in page


# services


def test_acting_user_refuses_suspended_accounts(
    demo_kb: KnowledgeBase, client: FlaskClient
) -> None:
    """The posting service refuses a suspended account even mid-session."""
    email = sign_up(client)
    with demo_kb.sessions() as session:
        row = session.get(User, user(demo_kb, email).id)
        assert row is not None
        row.suspended = True
        session.flush()
        with pytest.raises(NotAllowed, match="suspended"):
            acting_user(session=session, user_id=row.id)
        with pytest.raises(NotAllowed):
            acting_user(session=session, user_id=99_999_999)
        session.rollback()
