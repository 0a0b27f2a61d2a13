"""Community moderation under /editor/moderation: the queue, customer suspension, held keywords.

Every action needs a reason where it takes something away (hide, delete, suspend) and is logged
with who and when (kb.moderation_queue); the page shows the log.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from flask import render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from kb import moderation_queue as mq
from kb.community import NotFound
from kb.models import ModerationAction, Question, User
from web.db import db_session
from web.editor import bp
from web.editor.outcomes import back_to, refused, signed_in_editor
from web.errors import error_response
from web.roles import EDITORS, staff_required
from web.security import settings

Action = Callable[..., ModerationAction]
ACTIONS: dict[str, tuple[str, Action]] = {
    "approve": ("approved", mq.approve),
    "hide": ("hidden", mq.hide),
    "delete": ("deleted", mq.delete_post),
    "resolve": ("left as it is; its flags are resolved", mq.resolve_flags),
}
MAX_KEYWORDS_TEXT = 60_000
_back = partial(back_to, "editor.moderation")
_refused = partial(refused, "editor.moderation")


@bp.get("/moderation")
@staff_required(*EDITORS)
def moderation() -> str:
    """The queue of pending and flagged posts, the held keywords and the moderators' log."""
    session = db_session()
    return render_template(
        "editor/moderation.html",
        items=mq.queue(session=session),
        keywords=mq.effective_keywords(session=session, configured=settings().held_keywords),
        log=mq.history(session=session, limit=30),
        suspended=mq.suspended_customers(session=session),
        max_reason=mq.MAX_REASON,
    )


@bp.post("/moderation/questions/<int:post_id>", defaults={"kind": "question"})
@bp.post("/moderation/answers/<int:post_id>", defaults={"kind": "answer"})
@staff_required(*EDITORS)
def moderate(kind: str, post_id: int) -> ResponseReturnValue:
    """Approve, hide, delete a post or resolve its flags, with a reason."""
    session = db_session()
    try:
        post = mq.get_post(session=session, kind=kind, post_id=post_id)
    except NotFound:
        return error_response(404, f"There is no {kind} {post_id}; it may have been deleted.")
    action = request.form.get("action", "")
    if action not in ACTIONS:
        return _refused("Choose approve, hide, delete or resolve flags.")
    done, service = ACTIONS[action]
    title = post.title if isinstance(post, Question) else f"The answer to “{post.question.title}”"
    label = f"“{title}”" if isinstance(post, Question) else title
    return _moderate(service, f"{label} is {done}.", post=post)


@bp.post("/moderation/users/<int:user_id>/suspend", defaults={"change": "suspend"})
@bp.post("/moderation/users/<int:user_id>/reinstate", defaults={"change": "reinstate"})
@staff_required(*EDITORS)
def suspend(user_id: int, change: str) -> ResponseReturnValue:
    """Suspend a customer (signed out, no more posting) or reinstate them, with a reason."""
    session = db_session()
    user = session.get(User, user_id)
    if user is None:
        return error_response(404, f"There is no account {user_id}.")
    if change == "suspend":
        said = (
            f"{user.display_name} is suspended: signed out, and they can no longer post, "
            "vote or flag."
        )
        return _moderate(mq.suspend_customer, said, user=user)
    said = f"{user.display_name} can sign in and take part again."
    return _moderate(mq.reinstate_customer, said, user=user)


@bp.post("/moderation/keywords")
@staff_required(*EDITORS)
def keywords() -> ResponseReturnValue:
    """Replace the held-keyword list (one keyword or phrase per line)."""
    text = request.form.get("keywords")
    if text is None:
        return _refused("Send the keyword list (one per line; empty to hold nothing).")
    if len(text) > MAX_KEYWORDS_TEXT:
        return _refused(f"The list is over {MAX_KEYWORDS_TEXT:,} characters.")
    return _moderate(
        mq.set_held_keywords,
        lambda action: f"Held keywords saved: {action.summary}.",
        keywords=text.splitlines(),
    )


def _moderate(
    service: Action, said: str | Callable[[ModerationAction], str], **target: object
) -> Response:
    """Do ``service`` to ``target`` as the signed-in editor with the form's reason; commit, say so."""
    session = db_session()
    try:
        action = service(
            session=session,
            moderator=signed_in_editor(),
            reason=request.form.get("reason", ""),
            **target,
        )
    except mq.ModerationError as error:
        return _refused(str(error))
    session.commit()
    return _back(said if isinstance(said, str) else said(action))
