"""The moderators' queue: pending and flagged posts, what moderators do with them, and their log.

Approve, hide and delete a question or answer, resolve its flags, suspend a customer, edit the
held-keyword list. Each action writes a ModerationAction (who, when, the reason). Functions only
flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from kb.changes import record_change
from kb.community import CommunityError, NotFound, set_moderation
from kb.models import (
    Answer,
    Flag,
    FlagTarget,
    HeldKeyword,
    Moderation,
    ModerationAction,
    Question,
    Role,
    User,
)
from kb.moderation import KEYWORDS_EDITED, held_keywords

MAX_REASON = 500
MAX_KEYWORD = 100
MAX_KEYWORDS = 500
MODERATORS = frozenset({Role.EDITOR, Role.ADMIN})


class ModerationError(CommunityError):
    """A moderation action was refused or its input was invalid; the message says why."""


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A post waiting for a moderator: pending (held) or carrying unresolved flags."""

    post: Question | Answer
    flags: list[Flag] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """'question' or 'answer'."""
        return "question" if isinstance(self.post, Question) else "answer"

    @property
    def question(self) -> Question:
        """The question itself, or the one an answer belongs to."""
        return self.post if isinstance(self.post, Question) else self.post.question

    @property
    def pending(self) -> bool:
        """Whether the post is held from readers."""
        return self.post.moderation == Moderation.PENDING


def queue(*, session: Session, limit: int = 200) -> list[QueueItem]:
    """Pending posts and posts with unresolved flags; most flagged first, then oldest first."""
    open_flags = list(
        session.scalars(select(Flag).where(Flag.resolved.is_(False)).order_by(Flag.id))
    )
    by_post: dict[tuple[FlagTarget, int], list[Flag]] = {}
    for flag in open_flags:
        by_post.setdefault((FlagTarget(flag.target), flag.target_id), []).append(flag)
    flagged_q = [i for t, i in by_post if t == FlagTarget.QUESTION]
    flagged_a = [i for t, i in by_post if t == FlagTarget.ANSWER]
    questions = session.scalars(
        select(Question).where(
            or_(Question.moderation == Moderation.PENDING, Question.id.in_(flagged_q))
        )
    )
    answers = session.scalars(
        select(Answer).where(or_(Answer.moderation == Moderation.PENDING, Answer.id.in_(flagged_a)))
    )
    items = [
        QueueItem(post, by_post.get((FlagTarget.QUESTION, post.id), []))
        for post in questions
        if post.moderation != Moderation.HIDDEN or (FlagTarget.QUESTION, post.id) in by_post
    ] + [
        QueueItem(post, by_post.get((FlagTarget.ANSWER, post.id), []))
        for post in answers
        if post.moderation != Moderation.HIDDEN or (FlagTarget.ANSWER, post.id) in by_post
    ]
    items.sort(key=lambda item: (-len(item.flags), item.post.created_at, item.post.id))
    return items[:limit]


def get_post(*, session: Session, kind: str, post_id: int) -> Question | Answer:
    """The question or answer (``kind``) with ``post_id``; raises NotFound."""
    post: Question | Answer | None
    if kind == "question":
        post = session.get(Question, post_id)
    elif kind == "answer":
        post = session.get(Answer, post_id)
    else:
        raise ModerationError(f"unknown post kind {kind!r}; expected question or answer")
    if post is None:
        raise NotFound(f"no {kind} with id {post_id}")
    return post


def approve(
    *, session: Session, post: Question | Answer, moderator: User, reason: str = ""
) -> ModerationAction:
    """Show the post to everyone and resolve its flags."""
    _check_moderator(moderator)
    reason = _reason(reason, required=False)
    set_moderation(session=session, answer_or_question=post, state=Moderation.VISIBLE)
    post.moderation_reason = ""
    _resolve_flags(session, post)
    return _log(session, "approve", post, moderator, reason)


def hide(
    *, session: Session, post: Question | Answer, moderator: User, reason: str
) -> ModerationAction:
    """Hide the post from readers (its author still sees it) and resolve its flags."""
    _check_moderator(moderator)
    reason = _reason(reason, required=True)
    set_moderation(session=session, answer_or_question=post, state=Moderation.HIDDEN)
    post.moderation_reason = f"Hidden by a moderator: {reason}"[:200]
    _resolve_flags(session, post)
    return _log(session, "hide", post, moderator, reason)


def delete_post(
    *, session: Session, post: Question | Answer, moderator: User, reason: str
) -> ModerationAction:
    """Delete the post for good (a question with its answers); the log keeps what it was."""
    _check_moderator(moderator)
    reason = _reason(reason, required=True)
    action = _log(session, "delete", post, moderator, reason)
    question = post if isinstance(post, Question) else post.question
    if isinstance(post, Question):
        answer_ids = [answer.id for answer in post.answers]
        _delete_flags(session, FlagTarget.ANSWER, answer_ids)
        _delete_flags(session, FlagTarget.QUESTION, [post.id])
        session.delete(post)
    else:
        _delete_flags(session, FlagTarget.ANSWER, [post.id])
        question.answers.remove(post)
    session.flush()
    record_change(session=session, kind="question", entity_id=question.id)
    return action


def resolve_flags(
    *, session: Session, post: Question | Answer, moderator: User, reason: str = ""
) -> ModerationAction:
    """Mark the post's flags handled and leave it as it is (a held post stays held)."""
    _check_moderator(moderator)
    reason = _reason(reason, required=False)
    _resolve_flags(session, post)
    return _log(session, "resolve_flags", post, moderator, reason)


def suspend_customer(
    *, session: Session, user: User, moderator: User, reason: str
) -> ModerationAction:
    """Suspend a customer: signed out at their next request, and no more posting, voting or flags."""
    _check_moderator(moderator)
    reason = _reason(reason, required=True)
    if user.role != Role.CUSTOMER:
        raise ModerationError(
            f"{user.display_name} is staff ({user.role.value}); staff accounts are suspended by "
            "an admin under Admin → Users."
        )
    if user.suspended:
        raise ModerationError(f"{user.display_name} is already suspended.")
    user.suspended = True
    return _log_user(session, "suspend", user, moderator, reason)


def reinstate_customer(
    *, session: Session, user: User, moderator: User, reason: str = ""
) -> ModerationAction:
    """Let a suspended customer sign in and take part again."""
    _check_moderator(moderator)
    reason = _reason(reason, required=False)
    if user.role != Role.CUSTOMER:
        raise ModerationError(f"{user.display_name} is staff, not a customer.")
    if not user.suspended:
        raise ModerationError(f"{user.display_name} is not suspended.")
    user.suspended = False
    return _log_user(session, "reinstate", user, moderator, reason)


def set_held_keywords(
    *, session: Session, keywords: Sequence[str], moderator: User, reason: str = ""
) -> ModerationAction:
    """Replace the held-keyword list (blank lines dropped, duplicates ignored regardless of case)."""
    _check_moderator(moderator)
    reason = _reason(reason, required=False)
    cleaned: dict[str, str] = {}
    for raw in keywords:
        keyword = " ".join(raw.split())
        if not keyword:
            continue
        if len(keyword) > MAX_KEYWORD:
            raise ModerationError(
                f"The keyword “{keyword[:30]}…” is {len(keyword)} characters; "
                f"the limit is {MAX_KEYWORD}."
            )
        cleaned.setdefault(keyword.casefold(), keyword)
    if len(cleaned) > MAX_KEYWORDS:
        raise ModerationError(f"{len(cleaned)} keywords; the limit is {MAX_KEYWORDS}.")
    before = {k.casefold() for k in session.scalars(select(HeldKeyword.keyword))}
    session.execute(delete(HeldKeyword))
    session.add_all(HeldKeyword(keyword=k, added_by=moderator.id) for k in cleaned.values())
    added = sorted(cleaned[k] for k in cleaned.keys() - before)
    removed = len(before - cleaned.keys())
    summary = f"{len(cleaned)} keywords; added: {', '.join(added) or 'none'}; removed {removed}"
    return _record(
        session, moderator, reason, action=KEYWORDS_EDITED, target="keywords", summary=summary
    )


def effective_keywords(*, session: Session, configured: Sequence[str]) -> list[str]:
    """The held keywords in force (the moderators' list once edited, else ``configured``)."""
    return held_keywords(session=session, configured=configured)


def suspended_customers(*, session: Session) -> list[User]:
    """Customers who are suspended, by name (to reinstate)."""
    query = select(User).where(User.role == Role.CUSTOMER, User.suspended.is_(True))
    return list(session.scalars(query.order_by(User.display_name, User.id)))


def history(*, session: Session, limit: int = 50) -> list[ModerationAction]:
    """The newest moderation actions first."""
    query = select(ModerationAction).order_by(ModerationAction.id.desc()).limit(limit)
    return list(session.scalars(query))


def _check_moderator(user: User) -> None:
    """ModerationError unless ``user`` is an active editor or admin."""
    if user.role not in MODERATORS or user.suspended:
        raise ModerationError(
            f"{user.display_name} ({user.role.value}) cannot moderate; editors and admins can."
        )


def _reason(reason: str, *, required: bool) -> str:
    """The reason on one line; ModerationError if it is missing (when required) or too long."""
    reason = " ".join(reason.split())
    if required and not reason:
        raise ModerationError("Give a reason: the author and other moderators will see it.")
    if len(reason) > MAX_REASON:
        raise ModerationError(f"The reason is {len(reason)} characters; the limit is {MAX_REASON}.")
    return reason


def _target(post: Question | Answer) -> FlagTarget:
    """The flag target kind for ``post``."""
    return FlagTarget.QUESTION if isinstance(post, Question) else FlagTarget.ANSWER


def _resolve_flags(session: Session, post: Question | Answer) -> None:
    """Mark the post's open flags resolved."""
    query = select(Flag).where(
        Flag.target == _target(post), Flag.target_id == post.id, Flag.resolved.is_(False)
    )
    for flag in session.scalars(query):
        flag.resolved = True
    session.flush()


def _delete_flags(session: Session, target: FlagTarget, ids: list[int]) -> None:
    """Remove the flags of deleted posts."""
    if ids:
        session.execute(delete(Flag).where(Flag.target == target, Flag.target_id.in_(ids)))


def _summary(post: Question | Answer) -> str:
    """A short description of the post for the log."""
    if isinstance(post, Question):
        text = f"Question “{post.title}”"
    else:
        excerpt = " ".join(post.body.split())[:80]
        text = f"Answer to “{post.question.title}”: {excerpt}"
    author = post.author.display_name if post.author else "unknown author"
    return f"{text} by {author}"[:200]


def _log(
    session: Session, action: str, post: Question | Answer, moderator: User, reason: str
) -> ModerationAction:
    """Record a moderator's action on a post."""
    return _record(
        session,
        moderator,
        reason,
        action=action,
        target=_target(post).value,
        target_id=post.id,
        summary=_summary(post),
    )


def _log_user(
    session: Session, action: str, user: User, moderator: User, reason: str
) -> ModerationAction:
    """Record a moderator's action on a customer account."""
    summary = f"{user.display_name} <{user.email or 'no e-mail'}>"
    return _record(
        session, moderator, reason, action=action, target="user", target_id=user.id, summary=summary
    )


def _record(
    session: Session,
    moderator: User,
    reason: str,
    *,
    action: str,
    target: str,
    summary: str,
    target_id: int | None = None,
) -> ModerationAction:
    """Write one entry in the moderators' log (the summary cut to fit)."""
    entry = ModerationAction(
        action=action,
        target=target,
        target_id=target_id,
        summary=summary[:200],
        reason=reason,
        moderator_id=moderator.id,
    )
    session.add(entry)
    session.flush()
    return entry
