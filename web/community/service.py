"""Community rules as the site applies them: who may post, vote, accept and flag, and how.

Each function takes the session and the acting user's row, checks the rules, calls the kb and
flushes; the view commits. Refusals raise NotAllowed (403) or kb errors (400/404).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kb import analytics
from kb.community import NotFound, accept_answer, add_answer, save_question, vote
from kb.models import Answer, Moderation, Question, Role, User
from kb.moderation import FlagOutcome, PostRules, check_post, flag_post, held_keyword

log = logging.getLogger(__name__)


class NotAllowed(Exception):
    """The person may not do this; the message says why (shown with a 403)."""


@dataclass(frozen=True, slots=True)
class Posted:
    """A saved question or answer and whether it waits for a moderator."""

    post: Question | Answer

    @property
    def pending(self) -> bool:
        """Whether the post is held for review."""
        return self.post.moderation != Moderation.VISIBLE


def acting_user(*, session: Session, user_id: int) -> User:
    """The signed-in person's row; NotAllowed if the account is gone or suspended."""
    user = session.get(User, user_id)
    if user is None or user.suspended:
        raise NotAllowed("Your account is suspended, so you can't post, vote or flag.")
    return user


def can_see(post: Question | Answer, viewer: User | None) -> bool:
    """Visible posts to everyone; held ones only to their author and to staff."""
    if post.moderation == Moderation.VISIBLE:
        return True
    return viewer is not None and (viewer.id == post.author_id or viewer.role != Role.CUSTOMER)


def post_question(
    *,
    session: Session,
    author: User,
    title: str,
    body: str,
    category: str | None,
    rules: PostRules,
    search_event: int | None = None,
) -> Posted:
    """Save a new question (pending if it holds a held keyword); raises LinkLimitExceeded."""
    text = f"{title}\n\n{body}"
    state = check_post(text, author=author, rules=rules)
    question, _ = save_question(
        session=session,
        title=title,
        body=body,
        author=author,
        category=category or None,
        moderation=state,
    )
    _note_hold(question, text, rules)
    if search_event is not None:
        analytics.record_posted_question(
            session=session, event_id=search_event, question_id=question.id
        )
    return Posted(question)


def post_answer(
    *, session: Session, author: User, question: Question, body: str, rules: PostRules
) -> Posted:
    """Add an answer (pending if it holds a held keyword); raises LinkLimitExceeded."""
    if not can_see(question, author):
        raise NotFound(f"no question with id {question.id}")
    state = check_post(body, author=author, rules=rules)
    answer = add_answer(
        session=session, question=question, body=body, author=author, moderation=state
    )
    _note_hold(answer, body, rules)
    session.flush()
    return Posted(answer)


def cast_vote(*, session: Session, voter: User, answer: Answer, value: int) -> Answer:
    """One up (+1) or down (-1) vote per person; a new value replaces the old one."""
    _public(answer)
    if answer.author_id == voter.id:
        raise NotAllowed("You can't vote on your own answer.")
    return vote(session=session, answer=answer, user=voter, value=value)


def accept(*, session: Session, user: User, answer: Answer) -> Answer:
    """Mark the answer accepted; only the person who asked, or staff, may."""
    _public(answer)
    if answer.question.author_id != user.id and user.role == Role.CUSTOMER:
        raise NotAllowed("Only the person who asked, or our staff, can accept an answer.")
    return accept_answer(session=session, answer=answer)


def flag(
    *, session: Session, user: User, post: Question | Answer, reason: str, hide_threshold: int
) -> FlagOutcome:
    """Report a post (once per person); at the threshold it is held for review."""
    _public(post)
    if post.author_id == user.id:
        raise NotAllowed("You can't flag your own post.")
    outcome = flag_post(
        session=session, post=post, user=user, reason=reason, hide_threshold=hide_threshold
    )
    if outcome.hidden:
        log.info("%s %s held after %d flags", type(post).__name__, post.id, outcome.flags)
    return outcome


def _public(post: Question | Answer) -> None:
    """NotFound unless the post, and an answer's question, are visible to everyone."""
    question = post if isinstance(post, Question) else post.question
    if post.moderation != Moderation.VISIBLE or question.moderation != Moderation.VISIBLE:
        kind = "question" if isinstance(post, Question) else "answer"
        raise NotFound(f"no {kind} with id {post.id}")


def _note_hold(post: Question | Answer, text: str, rules: PostRules) -> None:
    """Say why a post waits for review (for the moderators' queue)."""
    if post.moderation == Moderation.PENDING:
        keyword = held_keyword(text, rules.held_keywords)
        post.moderation_reason = f"Held keyword: {keyword}"[:200] if keyword else "Held for review"
