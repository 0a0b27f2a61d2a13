"""Reading the community: the question list (tabs, topics, pages) and question pages."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.knowledge_base import KnowledgeBase
from kb.models import Question
from tests.web.conftest import build_app
from tests.web.people import answer, ask, sign_up, unique


@pytest.fixture
def app(demo_kb: KnowledgeBase) -> Flask:
    """The app with CSRF off, so tests can post forms directly."""
    return build_app(demo_kb, csrf=False)


def demo_question(kb: KnowledgeBase, title: str) -> Question:
    """A demo question by title."""
    with kb.sessions() as session:
        found = session.scalar(select(Question).where(Question.title == title))
        assert found is not None
        _ = list(found.answers)
        return found


def question_list(page: str) -> str:
    """The main question list of an index page (not the "My questions" box)."""
    start = page.index('result-count"')
    return page[start : page.index("</section>", start)]


# the list


def test_index_lists_questions_with_counts(client: FlaskClient) -> None:
    """Anyone can read the list: newest first, titles link to questions, with answer counts."""
    asker = client.application.test_client()
    sign_up(asker)
    title = unique("Listed ")
    question_id = ask(asker, title)
    helper = client.application.test_client()
    sign_up(helper)
    answer(helper, question_id, "An answer.")
    response = client.get("/community/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    listed = question_list(page)
    assert f'<a href="/community/questions/{question_id}">{title}</a>' in listed
    item = listed[
        listed.rindex("<li", 0, listed.index(title)) : listed.index("</li>", listed.index(title))
    ]
    assert "<strong>1</strong> answer" in item
    assert "<strong>0</strong> votes" in item
    assert "Community questions" in page
    assert 'id="ask-button"' in page
    assert "Sign in</a> or <a" in page  # the join-in box for anonymous readers


def test_index_marks_accepted_answers(client: FlaskClient) -> None:
    """A question with an accepted answer shows the accepted marker in the list."""
    asker = client
    sign_up(asker)
    title = unique("Accepted marker ")
    question_id = ask(asker, title)
    helper = client.application.test_client()
    sign_up(helper)
    answer_id = answer(helper, question_id, "Use the small size.")
    asker.post(f"/community/answers/{answer_id}/accept")
    page = client.application.test_client().get("/community/").get_data(as_text=True)
    listed = question_list(page)
    item = listed[listed.index(title) :]
    item = item[: item.index("</li>")]
    assert "Accepted answer" in item


def test_unanswered_tab(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """The unanswered tab lists questions without a visible answer, newest first."""
    sign_up(client)
    waiting = unique("Still waiting ")
    answered = unique("Already answered ")
    ask(client, waiting)
    answered_id = ask(client, answered)
    other = client.application.test_client()
    sign_up(other)
    answer(other, answered_id, "Here is how.")
    page = client.get("/community/?tab=unanswered").get_data(as_text=True)
    assert waiting in question_list(page)
    assert answered not in question_list(page)
    assert 'aria-current="page">Unanswered' in page
    assert "waiting for an answer" in page


def test_category_filter(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Filtering by topic keeps only that topic's questions and selects it in the list."""
    page = client.get("/community/?category=warranty-and-repairs").get_data(as_text=True)
    assert 'value="warranty-and-repairs" selected' in page
    assert "Has anyone had a warranty claim approved without sending the item back?" in page
    assert "Do the Summit Mid boots run narrow?" not in page


def test_pagination(client: FlaskClient) -> None:
    """Twenty questions a page, with links between pages."""
    first = client.get("/community/").get_data(as_text=True)
    assert first.count('class="question-item"') == 20
    assert 'rel="next" href="/community/?page=2"' in first
    second = client.get("/community/?page=2")
    assert second.status_code == 200
    assert 'rel="prev"' in second.get_data(as_text=True)
    beyond = client.get("/community/?page=999").get_data(as_text=True)
    assert "There are no more questions here." in beyond


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=abc", "The page must be a whole number from 1 to 10000."),
        ("page=0", "The page must be a whole number from 1 to 10000."),
        ("tab=popular", "Unknown list &#39;popular&#39;; choose newest or unanswered."),
        ("category=tents", "Unknown category &#39;tents&#39;"),
    ],
)
def test_index_bad_parameters(client: FlaskClient, query: str, message: str) -> None:
    """Bad list parameters get a 400 page saying what was wrong."""
    response = client.get(f"/community/?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_my_questions(client: FlaskClient) -> None:
    """Signed-in people see their own latest questions, held ones marked."""
    sign_up(client)
    mine = unique("Mine ")
    held = unique("Held casino ")
    ask(client, mine)
    ask(client, held)
    page = client.get("/community/").get_data(as_text=True)
    box = page[page.index('id="my-questions-title"') :]
    assert mine in box
    assert held in box
    assert "Waiting for a moderator" in box


# a question


def test_question_page_for_anonymous_readers(client: FlaskClient, demo_kb: KnowledgeBase) -> None:
    """Reading needs no account; answers carry the community badge; posting asks to sign in."""
    question = demo_question(demo_kb, "Can I return boots I wore once on a short trail?")
    response = client.get(f"/community/questions/{question.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h1 id="question-title">Can I return boots I wore once on a short trail?</h1>' in page
    assert page.count('class="badge badge-community">Community answer') == len(question.answers)
    assert "Know the answer?" in page
    assert f"/account/sign-in?next=/community/questions/{question.id}" in page
    assert 'id="answer-form"' not in page


def test_answers_sorted_accepted_first_then_score(client: FlaskClient) -> None:
    """The accepted answer comes first, then the best-scored; badges say which is accepted."""
    sign_up(client)
    question_id = ask(client, unique("Ordering "))
    people = []
    for _ in range(3):
        person = client.application.test_client()
        sign_up(person)
        people.append(person)
    low = answer(people[0], question_id, "Low answer")
    high = answer(people[1], question_id, "High answer")
    chosen = answer(people[2], question_id, "Chosen answer")
    people[0].post(f"/community/answers/{high}/vote", data={"value": "1"})
    people[1].post(f"/community/answers/{low}/vote", data={"value": "-1"})
    client.post(f"/community/answers/{chosen}/accept")
    page = client.get(f"/community/questions/{question_id}").get_data(as_text=True)
    order = [
        int(n) for n in re.findall(r'<article class="answer card[^"]*" id="answer-(\d+)"', page)
    ]
    assert order == [chosen, high, low]
    accepted = page[page.index(f'id="answer-{chosen}"') : page.index(f'id="answer-{high}"')]
    assert "badge-accepted" in accepted
    assert "Accept this answer" not in accepted


def test_question_page_404(client: FlaskClient) -> None:
    """A missing question gets the friendly 404 page."""
    response = client.get("/community/questions/99999999")
    assert response.status_code == 404
    assert "We couldn&#39;t find that question or answer." in response.get_data(as_text=True)


def test_markdown_in_posts_is_rendered_safely(client: FlaskClient) -> None:
    """Community Markdown becomes limited HTML; links are marked as user content."""
    sign_up(client)
    question_id = ask(
        client, unique("Markdown "), "Some **bold** and a [guide](https://example.com/guide)."
    )
    page = client.get(f"/community/questions/{question_id}").get_data(as_text=True)
    assert "<strong>bold</strong>" in page
    assert 'href="https://example.com/guide"' in page
    assert "nofollow" in page
