"""Community pages: the question list, a question with its answers, asking and answering."""

from __future__ import annotations

import logging

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from kb.articles import list_categories
from kb.community import get_question
from kb.models import User
from kb.moderation import LinkLimitExceeded
from web.community import bp
from web.community.access import account_required, post_rules, reader
from web.community.forms import MAX_TITLE, AnswerForm, FlagForm, QuestionForm, TitleForm
from web.community.reading import list_page, my_questions, parse_page, question_page
from web.community.service import Posted, post_answer, post_question
from web.community.suggestions import Suggestions, similar
from web.db import db_session
from web.extensions import knowledge_base
from web.rendering import clean_user_text
from web.security import limit_posting, visitor_id

log = logging.getLogger(__name__)

Page = str | tuple[str, int] | Response
PENDING_MESSAGE = (
    "Your post is waiting for a moderator. You can see it; others will once it's approved."
)


@bp.get("/")
def index() -> Page:
    """Questions, newest or unanswered, optionally in one topic, a page at a time."""
    session = db_session()
    listing = list_page(
        session=session,
        tab=request.args.get("tab", "newest"),
        category=request.args.get("category") or None,
        page=parse_page(request.args.get("page")),
    )
    viewer = reader()
    mine = my_questions(session=session, user_id=viewer.id) if viewer else []
    return render_template(
        "community/index.html",
        listing=listing,
        categories=list_categories(session=session),
        mine=mine,
    )


@bp.get("/questions/<int:question_id>")
def question(question_id: int) -> Page:
    """A question and its answers."""
    return _question_page(question_id, AnswerForm())


@bp.post("/questions/<int:question_id>/answers", endpoint="answer")
@limit_posting
@account_required
def answer(question_id: int, user: User) -> Page:
    """Post an answer; problems re-show the page with what was typed."""
    session = db_session()
    asked = get_question(session=session, question_id=question_id)
    form = AnswerForm()
    if not form.validate():
        return _question_page(question_id, form, status=400)
    if form.caught_bot():
        log.warning("Answer honeypot filled by user %s; nothing stored", user.id)
        flash("Thanks, your answer is posted.", "success")
        return redirect(url_for("community.question", question_id=question_id))
    try:
        posted = post_answer(
            session=session, author=user, question=asked, body=form.body.data, rules=post_rules()
        )
    except LinkLimitExceeded as error:
        form.body.errors.append(str(error))
        return _question_page(question_id, form, status=400)
    session.commit()
    _flash_posted(posted, "Thanks, your answer is posted.")
    return redirect(
        url_for("community.question", question_id=question_id, _anchor=f"answer-{posted.post.id}")
    )


@bp.get("/ask")
def ask() -> Page:
    """Asking, step one (the title) and two (similar answers, then the details)."""
    if "title" not in request.args:
        return render_template("community/ask.html", title_form=TitleForm(formdata=None))
    title_form = TitleForm(formdata=request.args)
    if not title_form.validate():
        return render_template("community/ask.html", title_form=title_form), 400
    suggestions = _similar(title_form.title.data)
    form = QuestionForm(
        formdata=None, title=title_form.title.data, event_id=suggestions.event_id or ""
    )
    return _ask_page(form, suggestions)


@bp.post("/ask", endpoint="post_question")
@limit_posting
@account_required
def post(user: User) -> Page:
    """Post the question; problems re-show the form with what was typed."""
    form = QuestionForm()
    _topic_choices(form)
    if not form.validate():
        return _ask_page(form, None, status=400)
    if form.caught_bot():
        log.warning("Question honeypot filled by user %s; nothing stored", user.id)
        flash("Thanks, your question is posted.", "success")
        return redirect(url_for("community.index"))
    session = db_session()
    try:
        posted = post_question(
            session=session,
            author=user,
            title=form.title.data,
            body=form.body.data or "",
            category=form.category.data or None,
            rules=post_rules(),
            search_event=form.search_event(),
        )
    except LinkLimitExceeded as error:
        form.form_errors.append(str(error))
        return _ask_page(form, None, status=400)
    session.commit()
    _flash_posted(posted, "Your question is posted. Answers will appear here.")
    return redirect(url_for("community.question", question_id=posted.post.id))


@bp.get("/ask/similar")
def similar_questions() -> Response:
    """Live suggestions while a title is typed (JSON)."""
    title = clean_user_text(request.args.get("title", ""))
    if len(title) > MAX_TITLE:
        raise BadRequest(f"Keep the question to {MAX_TITLE} characters.")
    suggestions = _similar(title)
    return jsonify(
        title=suggestions.title,
        event_id=suggestions.event_id,
        results=[item.as_json() for item in suggestions.items],
    )


def _flash_posted(posted: Posted, message: str) -> None:
    """Tell the author their post is up, or that it waits for a moderator."""
    if posted.pending:
        flash(PENDING_MESSAGE, "warning")
    else:
        flash(message, "success")


def _similar(title: str) -> Suggestions:
    """Search for the title and record it as an ask-flow search."""
    session = db_session()
    viewer = reader()
    suggestions = similar(
        session=session,
        knowledge_base=knowledge_base(),
        title=title,
        visitor_id=visitor_id(),
        user_id=viewer.id if viewer else None,
    )
    session.commit()
    return suggestions


def _topic_choices(form: QuestionForm) -> None:
    """Fill the topic list from the categories."""
    form.set_topics([(c.slug, c.name) for c in list_categories(session=db_session())])


def _ask_page(form: QuestionForm, suggestions: Suggestions | None, status: int = 200) -> Page:
    """Step two of asking."""
    _topic_choices(form)
    page = render_template(
        "community/ask.html",
        title_form=TitleForm(formdata=None, title=form.title.data),
        form=form,
        suggestions=suggestions,
        signed_in=current_user.is_authenticated,
    )
    return page, status


def _question_page(question_id: int, form: AnswerForm, status: int = 200) -> Page:
    """The question page with the given answer form."""
    page = question_page(session=db_session(), question_id=question_id, viewer=reader())
    return render_template(
        "community/question.html", page=page, form=form, flag_form=FlagForm(formdata=None)
    ), status
