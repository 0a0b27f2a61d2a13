"""Community actions on a page: vote, accept and flag (forms that work without JavaScript)."""

from __future__ import annotations

from flask import flash, jsonify, redirect, url_for
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from kb.community import get_answer, get_question
from kb.models import Answer, Moderation, Question, User
from web.community import bp
from web.community.access import account_required
from web.community.forms import FlagForm, VoteForm
from web.community.service import accept, cast_vote, flag
from web.db import db_session
from web.errors import wants_json
from web.security import limit_voting, settings


@bp.post("/answers/<int:answer_id>/vote", endpoint="vote")
@limit_voting
@account_required
def vote(answer_id: int, user: User) -> Response:
    """Vote an answer up or down (JSON for the page script, else back to the page)."""
    form = VoteForm()
    if not form.validate():
        raise BadRequest(_first_error(form.errors))
    session = db_session()
    answer = cast_vote(
        session=session,
        voter=user,
        answer=get_answer(session=session, answer_id=answer_id),
        value=form.value.data,
    )
    session.commit()
    if wants_json():
        return jsonify(answer_id=answer.id, score=answer.score, vote=form.value.data)
    flash("Thanks for voting.", "success")
    return _back_to(answer)


@bp.post("/answers/<int:answer_id>/accept", endpoint="accept")
@limit_voting
@account_required
def accept_view(answer_id: int, user: User) -> Response:
    """Accept an answer (the person who asked, or staff)."""
    session = db_session()
    answer = accept(
        session=session, user=user, answer=get_answer(session=session, answer_id=answer_id)
    )
    session.commit()
    flash("You accepted this answer. Thanks for letting others know what worked.", "success")
    return _back_to(answer)


@bp.post("/questions/<int:question_id>/flag", endpoint="flag_question")
@limit_voting
@account_required
def flag_question(question_id: int, user: User) -> Response:
    """Report a question to the moderators."""
    session = db_session()
    return _flag(get_question(session=session, question_id=question_id), user)


@bp.post("/answers/<int:answer_id>/flag", endpoint="flag_answer")
@limit_voting
@account_required
def flag_answer(answer_id: int, user: User) -> Response:
    """Report an answer to the moderators."""
    session = db_session()
    return _flag(get_answer(session=session, answer_id=answer_id), user)


def _flag(post: Question | Answer, user: User) -> Response:
    """Record the flag, say what happened and go back."""
    form = FlagForm()
    if not form.validate():
        raise BadRequest(_first_error(form.errors))
    session = db_session()
    outcome = flag(
        session=session,
        user=user,
        post=post,
        reason=form.reason.data or "",
        hide_threshold=settings().flag_hide_threshold,
    )
    session.commit()
    if not outcome.counted:
        flash("You've already flagged this. A moderator will take a look.", "info")
    elif outcome.hidden:
        flash("Thanks. The post is hidden until a moderator reviews it.", "success")
    else:
        flash("Thanks for flagging this. A moderator will take a look.", "success")
    question = post if isinstance(post, Question) else post.question
    if question.moderation != Moderation.VISIBLE:
        return redirect(url_for("community.index"))
    return _back_to(post)


def _back_to(post: Question | Answer) -> Response:
    """Redirect to the post on its question page."""
    if isinstance(post, Question):
        return redirect(url_for("community.question", question_id=post.id))
    return redirect(
        url_for("community.question", question_id=post.question_id, _anchor=f"answer-{post.id}")
    )


def _first_error(errors: dict[str | None, list[str]]) -> str:
    """The first validation message of a form."""
    for messages in errors.values():
        if messages:
            return str(messages[0])
    return "That request didn't work."
