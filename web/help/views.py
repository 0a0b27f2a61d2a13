"""Help centre pages: home, categories, articles with feedback, chat starts and service levels."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response as BaseResponse

from kb.feedback import (
    find_feedback,
    get_feedback,
    record_feedback,
    start_chat,
    update_comment,
)
from kb.service_levels import describe_plan
from web.db import db_session
from web.errors import wants_json
from web.extensions import knowledge_base
from web.help import bp
from web.help.searching import clean_query
from web.help.service import (
    PageNotFound,
    category_articles,
    chat_context,
    count_view,
    get_category,
    get_published_article,
    home_page,
    moved_to,
)
from web.rendering import clean_user_text, render_article
from web.security import limit_voting, settings, visitor_id

TOC_MIN_HEADINGS = 3
RELATED_COUNT = 5
HELPFUL_VALUES = {"yes": True, "no": False}


@bp.get("/")
def home() -> str:
    """The home page: a big search box, categories, popular and recently updated articles."""
    return render_template("help/home.html", page=home_page(session=db_session()))


@bp.get("/categories/<slug>")
def category(slug: str) -> str:
    """A category and its published articles."""
    session = db_session()
    found = get_category(session=session, slug=slug)
    return render_template(
        "help/category.html",
        category=found,
        articles=category_articles(session=session, category=found),
    )


@bp.get("/articles/<slug>")
def article(slug: str) -> str | BaseResponse:
    """A published article: body, contents, related articles and "was this helpful?".

    A former slug of a renamed article redirects permanently to the current one.
    """
    session = db_session()
    try:
        found = get_published_article(session=session, slug=slug)
    except PageNotFound:
        new_slug = moved_to(session=session, slug=slug)
        if new_slug is None:
            raise
        return redirect(url_for("help.article", slug=new_slug), code=301)
    if request.method == "GET":
        count_view(session=session, article=found)
        session.commit()
    rendered = render_article(found.body)
    return render_template(
        "help/article.html",
        article=found,
        body=rendered.html,
        toc=rendered.headings if len(rendered.headings) >= TOC_MIN_HEADINGS else (),
        related=knowledge_base().related(f"article:{found.id}", limit=RELATED_COUNT),
        feedback=get_feedback(session=session, article=found, visitor_id=visitor_id()),
    )


def _parse_feedback() -> tuple[bool, str | None]:
    """The vote and comment from the feedback form; a 400 says what is wrong."""
    raw = request.form.get("helpful", "")
    if raw not in HELPFUL_VALUES:
        raise BadRequest("Please answer “yes” or “no” to “Was this article helpful?”.")
    comment = request.form.get("comment")
    return HELPFUL_VALUES[raw], None if comment is None else clean_user_text(comment)


@bp.post("/articles/<slug>/feedback")
@limit_voting
def article_feedback(slug: str) -> BaseResponse:
    """Record "was this helpful?"; a later answer from the same visitor replaces the first."""
    session = db_session()
    found = get_published_article(session=session, slug=slug)
    helpful, comment = _parse_feedback()
    feedback = record_feedback(
        session=session, article=found, visitor_id=visitor_id(), helpful=helpful, comment=comment
    )
    session.commit()
    message = (
        "Thanks for letting us know — glad it helped!"
        if helpful
        else "Thanks for telling us. We'll use it to improve this article."
    )
    if wants_json():
        html = render_template("help/_feedback.html", article=found, feedback=feedback)
        return jsonify(ok=True, helpful=helpful, message=message, html=html)
    flash(message, "success")
    return redirect(url_for("help.article", slug=found.slug, _anchor="feedback"))


@bp.post("/chat/start")
@limit_voting
def chat_start() -> BaseResponse:
    """Keep what a chat should open with (an unhelpful article, a failed search), then go chat."""
    origin = request.form.get("origin", "")
    session = db_session()
    visitor = visitor_id()
    if origin == "article_feedback":
        raw_id = request.form.get("feedback_id", "")
        if not raw_id.isdigit():
            raise BadRequest("The chat form is missing the feedback it follows.")
        feedback = find_feedback(session=session, feedback_id=int(raw_id), visitor_id=visitor)
        comment = request.form.get("comment")
        if comment is not None:
            update_comment(session=session, feedback=feedback, comment=clean_user_text(comment))
        chat = start_chat(session=session, origin=origin, visitor_id=visitor, feedback=feedback)
    elif origin == "search":
        query = clean_query(request.form.get("q"))
        chat = start_chat(session=session, origin=origin, visitor_id=visitor, query=query)
    else:
        raise BadRequest("A chat starts from an article or a search.")
    session.commit()
    return redirect(url_for("help.chat", start=chat.token))


@bp.get("/chat")
def chat() -> str:
    """Where a chat opens: shows the context it starts with (the chat widget reads the token)."""
    token = request.args.get("start", "")
    context = chat_context(session=db_session(), token=token) if token else None
    return render_template("help/chat.html", context=context)


@bp.get("/service-levels")
def service_levels() -> str:
    """What customers can expect, when, and through which channel, per plan."""
    plans = [describe_plan(plan) for plan in settings().service_plans]
    return render_template("help/service_levels.html", plans=plans)
