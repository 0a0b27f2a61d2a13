"""Community Q&A: list and read questions with their visible answers; signed-in customers post."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import url_for
from flask_login import current_user
from spectree import Response as Responses
from sqlalchemy.orm import Session
from werkzeug.exceptions import Unauthorized

from kb import community
from kb.documents import Source
from kb.models import Answer, Moderation, Question, User
from kb.moderation import PostRules
from web.api import bp
from web.api.articles import known_category
from web.api.errors import InvalidInput
from web.api.schemas import (
    MIN_TITLE,
    AnswerOut,
    CategoryRef,
    ErrorResponse,
    NewAnswer,
    NewQuestion,
    QuestionListQuery,
    QuestionOut,
    QuestionPage,
    QuestionSummary,
)
from web.api.spec import SIGNED_IN, api_spec
from web.community.service import acting_user, can_see, post_answer, post_question
from web.db import db_session
from web.rendering import clean_user_text, plain_text, render_community
from web.security import limit_posting, settings
from web.urls import content_url

F = TypeVar("F", bound=Callable[..., Any])
QUESTION_ID = {"question_id": "The question's id."}
POST_ERRORS: dict[str, Any] = {
    "HTTP_401": ErrorResponse,
    "HTTP_403": ErrorResponse,
    "HTTP_413": ErrorResponse,
    "HTTP_429": ErrorResponse,
}


def signed_in(view: F) -> F:
    """Refuse (401) anyone not signed in, before their input is even looked at."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            raise Unauthorized()
        return view(*args, **kwargs)

    return cast(F, wrapper)


@bp.get("/community/questions")
@api_spec.validate(
    resp=Responses(HTTP_200=QuestionPage), tags=["community"], operation_id="listQuestions"
)
def list_questions(query: QuestionListQuery) -> QuestionPage:
    """List community questions, newest first, with how many visible answers each has."""
    session = db_session()
    known_category(session, query.category)
    page, total = community.browse_questions(
        session=session,
        category=query.category,
        status=query.status,
        limit=query.per_page,
        offset=query.offset,
    )
    items = [_summary(item.question, answers=item.answers, accepted=item.accepted) for item in page]
    return QuestionPage(items=items, **query.envelope(total))


@bp.get("/community/questions/<int:question_id>")
@api_spec.validate(
    resp=Responses(HTTP_200=QuestionOut, HTTP_404=ErrorResponse),
    tags=["community"],
    operation_id="getQuestion",
    path_parameter_descriptions=QUESTION_ID,
)
def get_question(question_id: int) -> QuestionOut:
    """Read a community question with its visible answers, each marked as community content."""
    return _question(_readable(db_session(), question_id))


@bp.post("/community/questions")
@limit_posting
@signed_in
@api_spec.validate(
    json=NewQuestion,
    resp=Responses(HTTP_201=QuestionOut, **POST_ERRORS),
    tags=["community"],
    operation_id="askQuestion",
    security=SIGNED_IN,
)
def ask_question(json: NewQuestion) -> tuple[QuestionOut, int, dict[str, str]]:
    """Ask the community a question.

    It is visible at once, or ``pending`` until a moderator approves it when it holds a reviewed
    keyword. New accounts may include only a few links.
    """
    session = db_session()
    title = clean_user_text(json.title)
    if len(title) < MIN_TITLE:
        raise InvalidInput.field(
            "title", f"'title' is too short: write at least {MIN_TITLE} characters of text."
        )
    known_category(session, json.category)
    posted = post_question(
        session=session,
        author=_author(session),
        title=title,
        body=clean_user_text(json.body),
        category=json.category,
        rules=PostRules.for_site(session=session, settings=settings()),
    )
    session.commit()
    question = cast(Question, posted.post)
    location = url_for("api.get_question", question_id=question.id, _external=True)
    return _question(question), 201, {"Location": location}


@bp.post("/community/questions/<int:question_id>/answers")
@limit_posting
@signed_in
@api_spec.validate(
    json=NewAnswer,
    resp=Responses(HTTP_201=AnswerOut, HTTP_404=ErrorResponse, **POST_ERRORS),
    tags=["community"],
    operation_id="answerQuestion",
    security=SIGNED_IN,
    path_parameter_descriptions=QUESTION_ID,
)
def answer_question(question_id: int, json: NewAnswer) -> tuple[AnswerOut, int, dict[str, str]]:
    """Answer a community question; moderation works as for questions."""
    session = db_session()
    author = _author(session)
    question = _readable(session, question_id)
    body = clean_user_text(json.body)
    if not body:
        raise InvalidInput.field("body", "'body' must contain text, not only markup.")
    posted = post_answer(
        session=session,
        author=author,
        question=question,
        body=body,
        rules=PostRules.for_site(session=session, settings=settings()),
    )
    session.commit()
    answer = cast(Answer, posted.post)
    location = url_for(
        "api.get_question", question_id=question.id, _anchor=f"answer-{answer.id}", _external=True
    )
    return _answer(answer), 201, {"Location": location}


def _readable(session: Session, question_id: int) -> Question:
    """The question, if visible or if the signed-in viewer wrote it or is staff; else NotFound."""
    question = community.get_question(session=session, question_id=question_id)
    viewer = None
    if current_user.is_authenticated:
        viewer = session.get(User, int(current_user.get_id()))
    if not can_see(question, viewer):
        raise community.NotFound(f"no question with id {question_id}")
    return question


def _author(session: Session) -> User:
    """The signed-in person's account row (NotAllowed, a 403, if it is suspended)."""
    return acting_user(session=session, user_id=int(current_user.get_id()))


def _summary(question: Question, *, answers: int, accepted: bool) -> QuestionSummary:
    """A question as lists show it."""
    category = question.category
    return QuestionSummary(
        id=question.id,
        title=question.title,
        excerpt=plain_text(question.body),
        status=question.status,
        category=None if category is None else CategoryRef(slug=category.slug, name=category.name),
        author=None if question.author is None else question.author.display_name,
        answer_count=answers,
        has_accepted_answer=accepted,
        created_at=question.created_at,
        updated_at=question.updated_at,
        url=content_url(Source.COMMUNITY, str(question.id), external=True),
    )


def _question(question: Question) -> QuestionOut:
    """A question with its visible answers."""
    answers = [a for a in question.answers if a.moderation == Moderation.VISIBLE]
    summary = _summary(question, answers=len(answers), accepted=any(a.accepted for a in answers))
    return QuestionOut(
        **summary.model_dump(),
        body=question.body,
        html=render_community(question.body),
        moderation=question.moderation,
        answers=[_answer(answer) for answer in answers],
    )


def _answer(answer: Answer) -> AnswerOut:
    """An answer as the API shows it."""
    return AnswerOut(
        id=answer.id,
        question_id=answer.question_id,
        body=answer.body,
        html=render_community(answer.body),
        author=None if answer.author is None else answer.author.display_name,
        score=answer.score,
        accepted=answer.accepted,
        moderation=answer.moderation,
        created_at=answer.created_at,
    )
