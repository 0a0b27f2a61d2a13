"""The moderators' queue: pending and flagged posts, approve / hide / delete, suspend, held keywords."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.changes import latest_change_id
from kb.community import NotFound, add_answer, get_or_create_user, save_question
from kb.config import Settings
from kb.models import (
    Answer,
    Flag,
    Moderation,
    ModerationAction,
    Question,
    Role,
    User,
)
from kb.moderation import PostRules, check_post, flag_post, held_keywords
from kb.moderation_queue import (
    MAX_REASON,
    ModerationError,
    approve,
    delete_post,
    get_post,
    hide,
    history,
    queue,
    reinstate_customer,
    resolve_flags,
    set_held_keywords,
    suspend_customer,
)
from tests.kb.helpers import make_editor, new_changes


def customer(session: Session, name: str) -> User:
    """A customer account."""
    return get_or_create_user(session=session, display_name=name, email=f"{name}@example.com")


def thread(session: Session) -> tuple[Question, Answer, User]:
    """A visible question by Quinn with one answer by Ann; and Ann."""
    quinn, ann = customer(session, "quinn"), customer(session, "ann")
    question, _ = save_question(
        session=session, title="Do the boots run small?", body="Size 9.", author=quinn
    )
    answer = add_answer(session=session, question=question, body="Buy casino chips", author=ann)
    return question, answer, ann


def flagged(session: Session, post: Question | Answer, times: int) -> None:
    """``times`` different customers flag ``post``."""
    for n in range(times):
        flag_post(
            session=session,
            post=post,
            user=customer(session, f"flagger{n}"),
            reason="spam",
            hide_threshold=3,
        )


def test_queue_lists_pending_and_flagged_posts_most_flagged_first(session: Session) -> None:
    """A held question and a flagged answer wait; a visible unflagged post does not."""
    question, answer, _ = thread(session)
    held, _ = save_question(session=session, title="Free crypto", moderation="pending")
    save_question(session=session, title="A fine question")
    flagged(session, answer, 2)

    items = queue(session=session)

    assert [(item.kind, item.post.id) for item in items] == [
        ("answer", answer.id),
        ("question", held.id),
    ]
    assert [flag.reason for flag in items[0].flags] == ["spam", "spam"]
    assert items[0].question is question and not items[0].pending
    assert items[1].pending and items[1].flags == []


def test_approve_shows_the_post_resolves_flags_and_logs_who_and_why(session: Session) -> None:
    """Approving a post held by flags makes it visible, resolves the flags, records the action."""
    _, answer, _ = thread(session)
    flagged(session, answer, 3)
    assert queue(session=session)[0].pending
    editor = make_editor(session)
    since = latest_change_id(session=session)

    action = approve(session=session, post=answer, moderator=editor, reason="Not spam, a joke")

    assert answer.moderation == Moderation.VISIBLE and answer.moderation_reason == ""
    assert queue(session=session) == []
    open_flags = select(func.count()).select_from(Flag).where(Flag.resolved.is_(False))
    assert session.scalar(open_flags) == 0
    assert (action.action, action.target, action.target_id) == ("approve", "answer", answer.id)
    assert action.moderator is editor and action.reason == "Not spam, a joke"
    assert action.created_at is not None
    assert ("question", answer.question_id) in new_changes(session, since)


def test_hide_needs_a_reason_and_keeps_it_on_the_post(session: Session) -> None:
    """Hiding without a reason is refused; with one the post is hidden and says why."""
    question, _, _ = thread(session)
    editor = make_editor(session)
    with pytest.raises(ModerationError, match="Give a reason"):
        hide(session=session, post=question, moderator=editor, reason="  ")
    with pytest.raises(ModerationError, match=f"limit is {MAX_REASON}"):
        hide(session=session, post=question, moderator=editor, reason="x" * (MAX_REASON + 1))

    hide(session=session, post=question, moderator=editor, reason="Off topic")

    assert question.moderation == Moderation.HIDDEN
    assert question.moderation_reason == "Hidden by a moderator: Off topic"
    assert [a.action for a in history(session=session)] == ["hide"]


def test_delete_removes_the_post_and_its_flags_but_the_log_remembers(session: Session) -> None:
    """A deleted answer is gone with its flags; the log keeps its excerpt, moderator and reason."""
    question, answer, _ = thread(session)
    flagged(session, answer, 1)
    answer_id = answer.id
    editor = make_editor(session)

    delete_post(session=session, post=answer, moderator=editor, reason="Spam link")

    assert session.get(Answer, answer_id) is None and question.answers == []
    assert session.scalar(select(func.count()).select_from(Flag)) == 0
    [entry] = history(session=session)
    assert entry.summary.startswith("Answer to “Do the boots run small?”: Buy casino chips")
    assert (entry.action, entry.target_id, entry.reason) == ("delete", answer_id, "Spam link")


def test_deleting_a_question_deletes_its_answers(session: Session) -> None:
    """A question goes with its answers; search learns of it."""
    question, answer, _ = thread(session)
    ids = question.id, answer.id
    since = latest_change_id(session=session)

    delete_post(session=session, post=question, moderator=make_editor(session), reason="Dupe")

    assert session.get(Question, ids[0]) is None and session.get(Answer, ids[1]) is None
    assert ("question", ids[0]) in new_changes(session, since)


def test_resolve_flags_leaves_the_post_as_it_is(session: Session) -> None:
    """Dismissing flags on a visible post keeps it visible and empties the queue."""
    _, answer, _ = thread(session)
    flagged(session, answer, 1)
    resolve_flags(session=session, post=answer, moderator=make_editor(session))
    assert answer.moderation == Moderation.VISIBLE and queue(session=session) == []


def test_only_editors_and_admins_moderate(session: Session) -> None:
    """Agents, customers and suspended editors are refused."""
    question, _, ann = thread(session)
    agent = User(display_name="Aggie", email="aggie@example.com", role=Role.AGENT)
    gone = User(display_name="Ed", email="ed@example.com", role=Role.EDITOR, suspended=True)
    session.add_all([agent, gone])
    for who in (agent, ann, gone):
        with pytest.raises(ModerationError, match="cannot moderate"):
            approve(session=session, post=question, moderator=who)


def test_suspend_a_customer_and_reinstate(session: Session) -> None:
    """Suspending a customer needs a reason, is logged, and is undone by reinstating."""
    _, _, ann = thread(session)
    editor = make_editor(session)
    with pytest.raises(ModerationError, match="Give a reason"):
        suspend_customer(session=session, user=ann, moderator=editor, reason="")

    suspend_customer(session=session, user=ann, moderator=editor, reason="Repeated spam")
    assert ann.suspended
    with pytest.raises(ModerationError, match="already suspended"):
        suspend_customer(session=session, user=ann, moderator=editor, reason="again")
    reinstate_customer(session=session, user=ann, moderator=editor)

    assert not ann.suspended
    assert [(a.action, a.target, a.target_id) for a in history(session=session)] == [
        ("reinstate", "user", ann.id),
        ("suspend", "user", ann.id),
    ]


def test_staff_accounts_are_not_suspended_here(session: Session) -> None:
    """Staff are suspended by an admin under Admin → Users, not from moderation."""
    editor = make_editor(session)
    other = make_editor(session, "Olga")
    with pytest.raises(ModerationError, match="Admin → Users"):
        suspend_customer(session=session, user=other, moderator=editor, reason="no")
    assert not other.suspended


def test_held_keywords_come_from_settings_until_moderators_edit_them(session: Session) -> None:
    """The configured list applies until edited; then the edited one, even when emptied."""
    configured = ("casino",)
    assert held_keywords(session=session, configured=configured) == ["casino"]
    editor = make_editor(session)

    action = set_held_keywords(
        session=session,
        keywords=["  Loan   shark ", "loan shark", "", "Refund scam"],
        moderator=editor,
        reason="New spam wave",
    )

    assert held_keywords(session=session, configured=configured) == ["Loan shark", "Refund scam"]
    assert action.summary == "2 keywords; added: Loan shark, Refund scam; removed 0"
    rules = PostRules.for_site(session=session, settings=Settings(held_keywords=["casino"]))
    ann = customer(session, "ann")
    assert check_post("beware the LOAN SHARK", author=ann, rules=rules) == Moderation.PENDING
    assert check_post("a casino night", author=ann, rules=rules) == Moderation.VISIBLE

    set_held_keywords(session=session, keywords=[], moderator=editor)
    assert held_keywords(session=session, configured=configured) == []


def test_over_long_keyword_is_refused_with_its_length(session: Session) -> None:
    """A keyword over 100 characters is named and measured."""
    with pytest.raises(ModerationError, match="is 101 characters; the limit is 100"):
        set_held_keywords(session=session, keywords=["k" * 101], moderator=make_editor(session))
    assert session.scalar(select(func.count()).select_from(ModerationAction)) == 0


def test_get_post_not_found_and_bad_kind(session: Session) -> None:
    """Unknown ids are NotFound; unknown kinds a ModerationError."""
    with pytest.raises(NotFound, match="no answer with id 999"):
        get_post(session=session, kind="answer", post_id=999)
    with pytest.raises(ModerationError, match="unknown post kind"):
        get_post(session=session, kind="vote", post_id=1)
